"""The JSON Lines output of `npre extract` (`--out FILE.jsonl`): one process, one file.

    npre extract INPUT --out OUT.jsonl

INPUT is any kind `npre.bulk.inputs` reads. OUT gets one JSON line per document, appended
batch by batch and synced: an interrupted run keeps what it wrote, and a rerun skips the
documents OUT holds (a line cut by the interruption is dropped and redone). A bad row is
reported with its line and skipped; it never stops the rest. OUT's summary (documents,
relations, new relations, new organisms and chemicals) is printed and written beside it as
`OUT.summary.json`. The table layout (`--out DIR`) is `npre.bulk.job`'s.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from npre.bulk.inputs import BadRow, InputDocument, Row
from npre.text.evidence import relation_evidence


def done_ids(out: Path) -> set[str]:
    """Ids OUT already answers; a last line cut by an interruption is removed first."""
    out = Path(out)
    if not out.exists():
        return set()
    data = out.read_bytes()
    complete = data[: data.rfind(b"\n") + 1]
    if len(complete) != len(data):
        with out.open("r+b") as handle:
            handle.truncate(len(complete))
    return {json.loads(line)["id"] for line in complete.decode("utf-8").splitlines() if line}


def _batches(rows: Iterable[InputDocument], size: int) -> Iterator[list[InputDocument]]:
    batch: list[InputDocument] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class RunReport:
    extracted: int = 0
    skipped: int = 0  # already in OUT
    bad_rows: int = 0
    seconds: float = 0.0


def extract_to_file(
    loaded,
    rows: Iterable[Row],
    out: Path,
    batch_size: int = 16,
    report_bad_row: Callable[[BadRow], None] = lambda bad: None,
    progress: Callable[[int], None] = lambda n: None,
) -> RunReport:
    """Extract every document OUT lacks, appending a synced batch at a time.

    `loaded` is a `service_model.LoadedModel` (the extractor, its version and LOTUS table).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = done_ids(out)
    report = RunReport()

    def pending() -> Iterator[InputDocument]:
        for row in rows:
            if isinstance(row, BadRow):
                report.bad_rows += 1
                report_bad_row(row)
            elif row.id in done:
                report.skipped += 1
            else:
                done.add(row.id)  # a repeated id in the input is answered once
                yield row

    started = time.perf_counter()
    with out.open("a", encoding="utf-8") as handle:
        for batch in _batches(pending(), batch_size):
            found = loaded.extractor.extract_many([(d.title, d.abstract) for d in batch])
            for document, extraction in zip(batch, found, strict=True):
                handle.write(json.dumps(_answer(loaded, document, extraction)) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
            report.extracted += len(batch)
            progress(len(batch))
    report.seconds = time.perf_counter() - started
    return report


def _answer(loaded, document: InputDocument, extraction) -> dict:
    lotus = loaded.lotus
    relations = []
    confidences = getattr(extraction, "confidences", None) or [None] * len(extraction.relations)
    for (organism, chemical), confidence in zip(extraction.relations, confidences, strict=True):
        relation = {"organism": organism, "chemical": chemical, "confidence": confidence}
        relation |= relation_evidence(document.title, document.abstract, organism, chemical)
        if lotus is not None:
            relation |= lotus.annotate(organism, chemical)
        relations.append(relation)
    return {
        "id": document.id,
        "relations": relations,
        "model": loaded.uri,
        "model_version": loaded.version,
        "lotus_snapshot": lotus.snapshot if lotus is not None else None,
    }


def summarise(out: Path) -> dict:
    """What OUT holds: documents, relations, and what LOTUS lacks among them."""
    documents, relations, new_relations = 0, 0, 0
    new_organisms: set[str] = set()
    new_chemicals: set[str] = set()
    with Path(out).open(encoding="utf-8") as handle:
        for line in handle:
            answer = json.loads(line)
            documents += 1
            for relation in answer["relations"]:
                relations += 1
                new_relations += relation.get("status") == "new"
                if relation.get("organism_status") == "new":
                    new_organisms.add(relation["organism"])
                if relation.get("chemical_status") == "new":
                    new_chemicals.add(relation["chemical"])
    return {
        "documents": documents,
        "relations": relations,
        "new_relations": new_relations,
        "new_organisms": len(new_organisms),
        "new_chemicals": len(new_chemicals),
    }
