"""What confidences are worth: precision and recall over a threshold on them, and the
precision of the surer and the less sure half of the answers."""

from __future__ import annotations

from npre.scoring.metric import score

Pair = tuple[str, str]
Scored = dict[str, list[tuple[Pair, float]]]  # PMID -> [((organism, chemical), confidence)]
THRESHOLDS = [round(0.05 * step, 2) for step in range(20)]


def above(predicted: Scored, threshold: float) -> dict[str, list[Pair]]:
    return {
        pmid: [pair for pair, confidence in found if confidence >= threshold]
        for pmid, found in predicted.items()
    }


def precision_recall_curve(
    gold: dict[str, list[Pair]], predicted: Scored, thresholds: list[float] = THRESHOLDS
) -> list[dict]:
    """The paper's metric on the relations at or above each threshold (a DVC plot)."""
    points = []
    for threshold in thresholds:
        kept = above(predicted, threshold)
        result = score(gold, kept)
        points.append(
            {
                "threshold": threshold,
                "precision": result["precision"],
                "recall": result["recall"],
                "f1": result["f1"],
                "relations": sum(len(pairs) for pairs in kept.values()),
            }
        )
    return points


def precision_by_half(gold: dict[str, list[Pair]], predicted: Scored) -> dict:
    """Precision of the upper and the lower half of all answers ranked by confidence: a
    confidence worth having makes the upper half clearly more precise."""
    answers = [(c, pmid, pair) for pmid, found in predicted.items() for pair, c in found]
    ranked = sorted(answers, key=lambda item: -item[0])
    middle = len(ranked) // 2

    def precision(part: list) -> float | None:
        if not part:
            return None
        chosen: dict[str, list[Pair]] = {pmid: [] for pmid in predicted}
        for _, pmid, pair in part:
            chosen[pmid].append(pair)
        return score(gold, chosen)["precision"]

    return {
        "upper_half_precision": precision(ranked[:middle]),
        "lower_half_precision": precision(ranked[middle:]),
        "median_confidence": ranked[middle][0] if ranked else None,
    }
