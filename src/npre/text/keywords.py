"""Keywords of a seed abstract for the instructions, never containing an entity name.

Two extractors behind one call, `extractor.keywords(doc, top_n)`:
- `StatisticalKeywords` (the default, no model): abstract words ranked by frequency, then
  length;
- `EmbeddingKeywords` (KeyBERT's method with a local sentence-transformers model, set by
  `instructions.keyword_model`): 1..k-word phrases of the abstract ranked by the cosine
  similarity of their embedding to the document's, diversified by maximal marginal
  relevance.

Both remove the entity names from the text before extracting and drop any keyword that
contains a word of an entity name or of a chemical's class (the exclusion list), so
keywords cannot leak the labels a prompt states.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Protocol

from npre.data.records import Document
from npre.text.matching import word_pattern
from npre.text.stopwords import STOPWORDS

TOKEN = re.compile(r"[A-Za-z][A-Za-z\-]{3,}")
PHRASE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-']*")


def entity_names(doc: Document) -> list[str]:
    """Every name a prompt may state: organisms, chemicals and the chemicals' classes."""
    names = [e.label for e in [*doc.organisms, *doc.chemicals]]
    names += [c.superclass for c in doc.chemicals if c.superclass]
    return [n for n in names if n and n.strip()]


def exclusion_words(doc: Document) -> set[str]:
    """Every word (3+ characters) of every entity name, lowercased, and its singular
    ("flavonoids" -> "flavonoid"), so a keyword cannot name a class a prompt states."""
    words = set()
    for name in entity_names(doc):
        for word in re.split(r"[\s,()\-]+", name.lower()):
            if len(word) > 2:
                words.add(word)
                if len(word) > 4 and word.endswith("s"):
                    words.add(word[:-1])
    return words


def is_clean(keyword: str, excluded: set[str]) -> bool:
    """No word of the keyword is an excluded word, or contains one of 5+ letters.

    Short name fragments ("ent" of "ent-kaurane") only block equal words, or every
    keyword containing them ("treatment", "present") would go.
    """
    words = re.split(r"[\s\-]+", keyword.lower())
    return not any(x == w or (len(x) >= 5 and x in w) for w in words for x in excluded)


def masked_text(doc: Document) -> str:
    """The abstract with every entity name blanked out."""
    return word_pattern(entity_names(doc)).sub(" ", doc.AbstractText)


class KeywordExtractor(Protocol):
    def keywords(self, doc: Document, top_n: int) -> list[str]: ...


class StatisticalKeywords:
    """Abstract words ranked by frequency then length, stopwords and entity names excluded."""

    def keywords(self, doc: Document, top_n: int) -> list[str]:
        excluded = exclusion_words(doc)
        words = [t.strip("-").lower() for t in TOKEN.findall(masked_text(doc))]
        counts = Counter(w for w in words if len(w) > 3 and w not in STOPWORDS)
        ranked = sorted(counts, key=lambda w: (-counts[w], -len(w), w))
        return [w for w in ranked if is_clean(w, excluded)][:top_n]


def candidate_phrases(text: str, max_words: int) -> list[str]:
    """1..`max_words`-word phrases inside runs of non-stopwords (KeyBERT's candidates)."""
    phrases: dict[str, None] = {}
    for chunk in re.split(r"[.,;:!?()\[\]\"]+", text):
        run: list[str] = []
        for word in [*PHRASE_WORD.findall(chunk), ""]:
            if word and word.lower() not in STOPWORDS and len(word) > 2:
                run.append(word.lower())
                continue
            for n in range(1, max_words + 1):
                for i in range(len(run) - n + 1):
                    phrases[" ".join(run[i : i + n])] = None
            run = []
    return list(phrases)


def mmr(doc_vec, cand_vecs, top_n: int, diversity: float) -> list[int]:
    """Maximal marginal relevance over unit vectors: indices, most relevant first."""
    import numpy as np

    relevance = cand_vecs @ doc_vec
    similarity = cand_vecs @ cand_vecs.T
    chosen = [int(np.argmax(relevance))]
    while len(chosen) < min(top_n, len(cand_vecs)):
        rest = [i for i in range(len(cand_vecs)) if i not in chosen]
        redundancy = similarity[np.ix_(rest, chosen)].max(axis=1)
        scores = (1 - diversity) * relevance[rest] - diversity * redundancy
        chosen.append(rest[int(np.argmax(scores))])
    return chosen


class EmbeddingKeywords:
    """KeyBERT-style keyphrases with a sentence-transformers model (a local folder)."""

    def __init__(self, model: str, max_words: int = 2, diversity: float = 0.5):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise RuntimeError(
                f"instructions.keyword_model is {model!r} but sentence-transformers is not "
                "installed: pip install 'npre[keywords]', or set keyword_model: null"
            ) from None
        try:
            self.model = SentenceTransformer(model, device="cpu")
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"instructions.keyword_model {model!r}: {exc}") from None
        self.max_words, self.diversity = max_words, diversity

    def keywords(self, doc: Document, top_n: int) -> list[str]:
        excluded = exclusion_words(doc)
        text = masked_text(doc)
        candidates = [c for c in candidate_phrases(text, self.max_words) if is_clean(c, excluded)]
        if not candidates or top_n <= 0:
            return []
        vectors = self.model.encode(
            [text, *candidates], normalize_embeddings=True, convert_to_numpy=True
        )
        return [candidates[i] for i in mmr(vectors[0], vectors[1:], top_n, self.diversity)]


def make_extractor(
    model: str | None, max_words: int = 2, diversity: float = 0.5
) -> KeywordExtractor:
    return StatisticalKeywords() if not model else EmbeddingKeywords(model, max_words, diversity)
