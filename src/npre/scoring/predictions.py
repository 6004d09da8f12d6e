"""Prediction files (JSON Lines of PMID and relations), as `npre evaluate` writes them."""

from __future__ import annotations

from pathlib import Path

from npre.data.records import iter_json_lines


def read_predictions(path: Path) -> tuple[dict[str, list[tuple[str, str]]], int]:
    """Predictions JSON Lines -> ({PMID: [(organism, chemical)]}, malformed pieces).

    Bad lines name their number; `malformed` (pieces of model output the parser dropped,
    written by `npre evaluate`) is summed over the file, 0 where absent.
    """
    predicted: dict[str, list[tuple[str, str]]] = {}
    malformed = 0

    def convert(row: dict) -> tuple[str, list[tuple[str, str]], int]:
        pairs = [(r["organism"], r["chemical"]) for r in row.get("relations", [])]
        return str(row["PMID"]), pairs, int(row.get("malformed", 0))

    for pmid, pairs, dropped in iter_json_lines(path, "a prediction record", convert):
        predicted.setdefault(pmid, []).extend(pairs)
        malformed += dropped
    return predicted, malformed
