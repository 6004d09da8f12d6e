"""Metrics of a synthetic set, for the validate stage's DVC metrics file.

- label alignment: the share of documents meeting the alignment expectation, and the mean
  of the paper's alignment score;
- entity diversity of the documents that passed: distinct organisms, chemicals, classes and
  relations (names compared lowercased);
- lexical diversity of the passed abstracts: distinct-n (distinct n-grams / all n-grams,
  Li et al. 2016) for n = 1..3, and, against the seed abstracts, novel-n: the share of the
  distinct synthetic n-grams that no seed abstract contains.

Tokens are lowercased words (letters/digits, inner hyphens and apostrophes kept).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from npre.data.records import Document
from npre.text.matching import alignment_score

WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
ORDERS = (1, 2, 3)


def tokens(text: str) -> list[str]:
    return WORD.findall(text.lower())


def ngrams(words: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


def _ngram_sets(texts: Iterable[str], n: int) -> tuple[set, int]:
    """Distinct n-grams over all texts (n-grams never span two texts), and their total."""
    distinct: set = set()
    total = 0
    for text in texts:
        grams = ngrams(tokens(text), n)
        distinct.update(grams)
        total += len(grams)
    return distinct, total


def lexical_diversity(texts: list[str], seed_texts: list[str] | None = None) -> dict:
    """distinct-n of `texts`; with `seed_texts`, novel-n and the seeds' own distinct-n."""
    report: dict[str, float | int] = {}
    for n in ORDERS:
        distinct, total = _ngram_sets(texts, n)
        report[f"distinct_{n}"] = round(len(distinct) / total, 4) if total else 0.0
        report[f"ngrams_{n}"] = len(distinct)
        if seed_texts is not None:
            seed_distinct, seed_total = _ngram_sets(seed_texts, n)
            novel = len(distinct - seed_distinct)
            report[f"novel_{n}"] = round(novel / len(distinct), 4) if distinct else 0.0
            report[f"seed_distinct_{n}"] = (
                round(len(seed_distinct) / seed_total, 4) if seed_total else 0.0
            )
    return report


def entity_diversity(docs: list[Document]) -> dict:
    organisms, chemicals, classes, relations = set(), set(), set(), set()
    for doc in docs:
        organisms.update(o.label.lower() for o in doc.organisms)
        for chemical in doc.chemicals:
            (classes if chemical.type == "class" else chemicals).add(chemical.label.lower())
        relations.update((o.lower(), c.lower()) for o, c in doc.label_pairs())
    return {
        "distinct_organisms": len(organisms),
        "distinct_chemicals": len(chemicals),
        "distinct_classes": len(classes),
        "distinct_relations": len(relations),
    }


def alignment_metrics(docs: list[Document], quarantined_for_alignment: int) -> dict:
    """Share of documents meeting the alignment expectation; mean score over labelled docs."""
    scores = [alignment_score(d.text, d.label_pairs()) for d in docs if d.label_pairs()]
    return {
        "pass_rate": round(1 - quarantined_for_alignment / len(docs), 4) if docs else 0.0,
        "mean_score": round(sum(scores) / len(scores), 4) if scores else 0.0,
    }


def synthetic_set_metrics(
    all_docs: list[Document],
    passed: list[Document],
    failures_by_expectation: dict[str, int],
    alignment_expectation: str,
    seeds: list[Document] | None = None,
) -> dict:
    """The alignment, entity and lexical metrics of a gated synthetic set."""
    seed_texts = [d.AbstractText for d in seeds] if seeds is not None else None
    return {
        "alignment": alignment_metrics(
            all_docs, failures_by_expectation.get(alignment_expectation, 0)
        ),
        "entities": entity_diversity(passed),
        "lexical": lexical_diversity([d.AbstractText for d in passed], seed_texts),
    }
