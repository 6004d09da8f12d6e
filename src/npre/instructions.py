"""The `instructions` stage: prompts (title, keywords, main findings) from seed documents.

Keywords come from a statistical extractor over the seed abstract and never contain an
entity name (the exclusion list), so they cannot leak labels. Each seed gets several
prompts with independent random choices, reproducible with the seed.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter

from npre.matching import word_pattern
from npre.records import Document
from npre.stopwords import STOPWORDS

INSTRUCTION = (
    "Instructions: Given a title, a list of keywords and main findings, write the abstract "
    "of a scientific article in natural-products chemistry."
)

TOKEN = re.compile(r"[A-Za-z][A-Za-z\-]{3,}")


def rng_for(*parts: object) -> random.Random:
    """A random generator seeded from the given parts (stable across processes)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def exclusion_words(doc: Document) -> set[str]:
    """Every word of every entity name, lowercased: keywords may not contain them."""
    words = set()
    for entity in [*doc.organisms, *doc.chemicals]:
        words.update(w.lower() for w in re.split(r"[\s,()\-]+", entity.label) if len(w) > 2)
    return words


def keyword_candidates(doc: Document) -> list[str]:
    """Abstract terms ranked by frequency then length, entity names excluded."""
    excluded = exclusion_words(doc)
    names = word_pattern([e.label for e in [*doc.organisms, *doc.chemicals]])
    text = names.sub(" ", doc.AbstractText)
    counts = Counter(t.lower() for t in TOKEN.findall(text) if t.lower() not in STOPWORDS)
    ranked = sorted(counts, key=lambda w: (-counts[w], -len(w), w))
    return [w for w in ranked if w not in excluded and not any(x in w for x in excluded)]


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def main_findings(doc: Document, rng: random.Random) -> str:
    """Verbalise the labels: one sentence per organism, phrasing drawn at random."""
    chems_by_org: dict[str, list[str]] = {}
    orgs = {o.id: o.label for o in doc.organisms}
    chems = {c.id: c.label for c in doc.chemicals}
    for org_id, chem_id in doc.relations:
        if org_id in orgs and chem_id in chems:
            chems_by_org.setdefault(orgs[org_id], []).append(chems[chem_id])
    sentences = []
    for organism, chemicals in chems_by_org.items():
        chemicals = list(dict.fromkeys(chemicals))
        rng.shuffle(chemicals)
        listed = _join(chemicals)
        verb = "was" if len(chemicals) == 1 else "were"
        style = rng.randrange(3)
        if style == 0:
            sentences.append(f"{listed} {verb} isolated from {organism}.")
        elif style == 1:
            sentences.append(f"{organism} produces {listed}.")
        else:
            sentences.append(f"{listed} {verb} identified in {organism}.")
    return " ".join(s[0].upper() + s[1:] for s in sentences)


def build_prompts(doc: Document, n_prompts: int, n_keywords: int, seed: int) -> list[Document]:
    """`n_prompts` prompt records for one seed document (labels carried over)."""
    candidates = keyword_candidates(doc)
    prompts = []
    for k in range(n_prompts):
        rng = rng_for(seed, doc.PMID, k)
        pool = candidates[: max(2 * n_keywords, n_keywords)]
        keywords = rng.sample(pool, min(n_keywords, len(pool)))
        findings = main_findings(doc, rng)
        text = (
            f"{INSTRUCTION}\nTitle: {doc.ArticleTitle}\nKeywords: {', '.join(keywords)}\n"
            f"Main findings: {findings}\nAbstract:"
        )
        prompts.append(
            doc.model_copy(
                update={
                    "PMID": f"{doc.PMID}-p{k}",
                    "AbstractText": "",
                    "seed_pmid": doc.PMID,
                    "prompt": text,
                    "extra": {"keywords": keywords, "findings": findings},
                }
            )
        )
    return prompts
