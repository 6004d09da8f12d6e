"""Bulk extraction: the champion over a file of abstracts, resumable, for completing LOTUS.

    npre extract INPUT --out OUT.jsonl

INPUT is one of:
- JSON Lines (`.jsonl`, `.ndjson`): objects with `abstract`, optional `title` and `id`;
- CSV (`.csv`): columns `abstract`, optional `title` and `id`;
- a curated-format JSON (`.json`): a dict keyed by PMID, as `npre evaluate` reads;
- PMIDs (`.txt`, `.pmids`): one per line, fetched through the PubMed client into its cache.
A document without an id is named by its file and line ("input.csv:7").

OUT gets one JSON line per document, appended batch by batch and synced: an interrupted
run keeps what it wrote, and a rerun skips the documents OUT holds (a line cut by the
interruption is dropped and redone). A bad row is reported with its line and skipped; it
never stops the rest. OUT's summary (documents, relations, new relations, new organisms
and chemicals) is printed and written beside it as `OUT.summary.json`.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from npre.text.evidence import relation_evidence

JSON_LINES = {".jsonl", ".ndjson"}
PMID_LISTS = {".txt", ".pmids"}


class BulkInputError(ValueError):
    """The input file as a whole cannot be read (not a bad row: those are skipped)."""


@dataclass
class InputDocument:
    id: str
    title: str
    abstract: str


@dataclass
class BadRow:
    where: str  # "FILE:LINE" or "PMID 123"
    problem: str


Row = InputDocument | BadRow


def _document(where: str, record: object) -> Row:
    if not isinstance(record, dict):
        return BadRow(where, f"expected an object with 'abstract', got {type(record).__name__}")
    abstract, title = record.get("abstract"), record.get("title") or ""
    if not isinstance(abstract, str) or not abstract.strip():
        return BadRow(where, "no 'abstract' text")
    if not isinstance(title, str):
        return BadRow(where, f"'title' is {type(title).__name__}, not text")
    identifier = record.get("id") or record.get("PMID") or where
    return InputDocument(str(identifier), title, abstract)


def _json_lines(path: Path) -> Iterator[Row]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield BadRow(f"{path.name}:{number}", f"not JSON ({exc.msg})")
                continue
            yield _document(f"{path.name}:{number}", record)


def _csv_rows(path: Path) -> Iterator[Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if "abstract" not in (reader.fieldnames or []):
            raise BulkInputError(f"{path}: no 'abstract' column (found {reader.fieldnames})")
        for record in reader:
            where = f"{path.name}:{reader.line_num}"
            if None in record:  # more cells than the header names
                yield BadRow(where, f"{len(reader.fieldnames) + len(record[None])} cells")
                continue
            yield _document(where, record)


def _curated(path: Path) -> Iterator[Row]:
    from npre.data.records import RecordError, read_curated_set

    try:
        documents = read_curated_set(path)
    except RecordError as exc:
        raise BulkInputError(str(exc)) from None
    for document in documents:
        yield InputDocument(document.PMID, document.ArticleTitle, document.AbstractText)


def _pmids(path: Path, fetch: Callable[[list[str]], dict[str, dict]] | None) -> Iterator[Row]:
    wanted: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            pmid = line.strip()
            if not pmid:
                continue
            if pmid.isdigit():
                wanted.append(pmid)
            else:
                yield BadRow(f"{path.name}:{number}", f"{pmid!r} is not a PMID")
    if fetch is None:
        raise BulkInputError(f"{path}: a PMID list needs the PubMed client")
    records = fetch(wanted)
    for pmid in dict.fromkeys(wanted):
        record = records.get(pmid) or {}
        if not (record.get("AbstractText") or "").strip():
            yield BadRow(f"PMID {pmid}", "PubMed has no abstract for it")
            continue
        yield InputDocument(pmid, record.get("ArticleTitle") or "", record["AbstractText"])


def read_inputs(
    path: Path, fetch_pmids: Callable[[list[str]], dict[str, dict]] | None = None
) -> Iterator[Row]:
    """Documents and bad rows of INPUT, in order; the kind is told by the file suffix."""
    path = Path(path)
    if not path.is_file():
        raise BulkInputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in JSON_LINES:
        return _json_lines(path)
    if suffix == ".csv":
        return _csv_rows(path)
    if suffix == ".json":
        return _curated(path)
    if suffix in PMID_LISTS:
        return _pmids(path, fetch_pmids)
    kinds = ", ".join(sorted({*JSON_LINES, ".csv", ".json", *PMID_LISTS}))
    raise BulkInputError(f"{path}: unknown input kind {suffix!r} (one of {kinds})")


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
    for organism, chemical in extraction.relations:
        relation = {"organism": organism, "chemical": chemical}
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
