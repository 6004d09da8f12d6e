"""The paper's evaluation metric: micro precision, recall and F1 over (organism, chemical) pairs.

Normalisation, as in Delmas et al.: lowercase; remove periods; drop the words "an" and
"the"; remove all whitespace. Pairs are deduplicated per document after normalisation and
matched exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ARTICLES = re.compile(r"\b(?:an|the)\b")


def normalise(name: str) -> str:
    text = name.lower().replace(".", " ")
    text = ARTICLES.sub(" ", text)
    return re.sub(r"\s+", "", text)


def normalised_pairs(pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(normalise(org), normalise(chem)) for org, chem in pairs}


def _prf(tp: int, n_pred: int, n_gold: int) -> dict:
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def score(
    gold: dict[str, list[tuple[str, str]]],
    predicted: dict[str, list[tuple[str, str]]],
    groups: dict[str, str] | None = None,
) -> dict:
    """Micro P/R/F1 of `predicted` against `gold` (both keyed by document id).

    Documents absent from `predicted` count as predicting nothing. With `groups`
    (document id -> kingdom), per-group scores are added under `per_group`. Organism-only
    and chemical-only recall tell which half of a pair a model misses.
    """
    tp = n_pred = n_gold = 0
    org_hits = org_total = chem_hits = chem_total = 0
    per_group: dict[str, list[int]] = {}
    for doc_id, gold_pairs in gold.items():
        g = normalised_pairs(gold_pairs)
        p = normalised_pairs(predicted.get(doc_id, []))
        hits = len(g & p)
        tp, n_pred, n_gold = tp + hits, n_pred + len(p), n_gold + len(g)
        g_orgs, p_orgs = {o for o, _ in g}, {o for o, _ in p}
        g_chems, p_chems = {c for _, c in g}, {c for _, c in p}
        org_hits, org_total = org_hits + len(g_orgs & p_orgs), org_total + len(g_orgs)
        chem_hits, chem_total = chem_hits + len(g_chems & p_chems), chem_total + len(g_chems)
        if groups is not None:
            acc = per_group.setdefault(groups.get(doc_id) or "unknown", [0, 0, 0])
            acc[0], acc[1], acc[2] = acc[0] + hits, acc[1] + len(p), acc[2] + len(g)
    result = _prf(tp, n_pred, n_gold)
    result.update(
        {
            "true_positives": tp,
            "predicted": n_pred,
            "gold": n_gold,
            "organism_recall": org_hits / org_total if org_total else 0.0,
            "chemical_recall": chem_hits / chem_total if chem_total else 0.0,
        }
    )
    if groups is not None:
        result["per_group"] = {k: _prf(*v) for k, v in sorted(per_group.items())}
    return result
