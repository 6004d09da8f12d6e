"""Inputs of `npre extract`: the file kinds it reads, row by row, and arguments to files.

A file's kind is told by its name:
- JSON Lines (`.jsonl`, `.ndjson`): objects with `abstract`, optional `title` and `id`;
- CSV (`.csv`): columns `abstract`, optional `title` and `id`;
- a curated-format JSON (`.json`): a dict keyed by PMID, as `npre evaluate` reads;
- PMIDs (`.txt`, `.pmids`): one per line, fetched through the PubMed client into its cache;
- PubMed baseline and update files (`.xml`, `.xml.gz`): a `PubmedArticleSet` as NCBI
  ships it, streamed (each record is dropped once read); a `DeleteCitation`'s PMIDs are
  rows of kind "deleted", a record without an abstract a row of kind "no_abstract".
A document without an id is named by its file and line ("input.csv:7"). A row that cannot
be a document is a `BadRow` (where, why); it never stops the rest.
"""

from __future__ import annotations

import csv
import glob
import gzip
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

JSON_LINES = {".jsonl", ".ndjson"}
PMID_LISTS = {".txt", ".pmids"}
PUBMED_XML = (".xml", ".xml.gz")


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
    kind: str = "bad_row"  # or "no_abstract", "deleted", "repeated"
    id: str | None = None  # the document's id, when the row names one


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
            yield BadRow(f"PMID {pmid}", "PubMed has no abstract for it", "no_abstract", pmid)
            continue
        yield InputDocument(pmid, record.get("ArticleTitle") or "", record["AbstractText"])


def _pubmed_xml(path: Path) -> Iterator[Row]:
    """The records of a baseline or update file, streamed: each top-level record is
    parsed, turned into rows, then cleared, so memory stays flat over a whole file."""
    from npre.clients.pubmed import parse_article

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:
        root, depth, number = None, 0, 0
        try:
            for event, element in ET.iterparse(handle, events=("start", "end")):
                if event == "start":
                    depth += 1
                    if root is None:
                        root = element
                        if element.tag != "PubmedArticleSet":
                            raise BulkInputError(f"{path}: not a PubmedArticleSet")
                    continue
                depth -= 1
                if depth != 1:
                    continue  # inside a record: it is read whole at its end
                number += 1
                yield from _pubmed_record(path, number, element, parse_article)
                root.clear()  # the record is done: drop it
        except (ET.ParseError, OSError, EOFError) as exc:
            raise BulkInputError(
                f"{path}: unreadable PubMed XML after record {number} ({exc})"
            ) from None


def _pubmed_record(path: Path, number: int, element: ET.Element, parse_article) -> list[Row]:
    if element.tag == "DeleteCitation":
        pmids = [" ".join((pmid.text or "").split()) for pmid in element.iter("PMID")]
        where = f"{path.name}: DeleteCitation"
        return [BadRow(where, "deleted citation", "deleted", pmid) for pmid in pmids if pmid]
    if element.tag != "PubmedArticle":
        pmid = element.findtext(".//PMID") or None
        return [BadRow(f"{path.name}: record {number}", f"a {element.tag}", "bad_row", pmid)]
    article = parse_article(element)
    if article is None:
        return [BadRow(f"{path.name}: record {number}", "a PubmedArticle without a PMID")]
    if not article.AbstractText.strip():
        where = f"PMID {article.PMID}"
        return [BadRow(where, "no abstract", "no_abstract", article.PMID)]
    return [InputDocument(article.PMID, article.ArticleTitle, article.AbstractText)]


def input_kind(path: Path) -> str:
    """ "jsonl", "csv", "json", "pmids" or "pubmed" by the file's name."""
    name = path.name.lower()
    if name.endswith(PUBMED_XML):
        return "pubmed"
    suffix = path.suffix.lower()
    kinds = {**dict.fromkeys(JSON_LINES, "jsonl"), **dict.fromkeys(PMID_LISTS, "pmids")}
    kind = kinds.get(suffix) or {".csv": "csv", ".json": "json"}.get(suffix)
    if kind is None:
        known = ", ".join(sorted({*JSON_LINES, ".csv", ".json", *PMID_LISTS, *PUBMED_XML}))
        raise BulkInputError(f"{path}: unknown input kind {suffix!r} (one of {known})")
    return kind


def read_inputs(
    path: Path, fetch_pmids: Callable[[list[str]], dict[str, dict]] | None = None
) -> Iterator[Row]:
    """Documents and bad rows of INPUT, in order; the kind is told by the file name."""
    path = Path(path)
    if not path.is_file():
        raise BulkInputError(f"{path}: no such file")
    kind = input_kind(path)
    if kind == "pmids":
        return _pmids(path, fetch_pmids)
    return {"jsonl": _json_lines, "csv": _csv_rows, "json": _curated, "pubmed": _pubmed_xml}[kind](
        path
    )


def _readable(path: Path) -> bool:
    try:
        input_kind(path)
    except BulkInputError:
        return False
    return path.is_file()


def expand_inputs(arguments: list[str]) -> list[Path]:
    """Files of INPUT arguments: a file; a directory (its input files, sorted: a folder of
    baseline files); a glob pattern ("pubmed25n*.xml.gz", sorted). Each file once."""
    files: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if _readable(p))
            if not found:
                raise BulkInputError(f"{path}: a folder with no input files")
        elif glob.has_magic(argument):
            found = sorted(Path(p) for p in glob.glob(argument) if _readable(Path(p)))
            if not found:
                raise BulkInputError(f"{argument}: matches no input file")
        else:
            if not path.is_file():
                raise BulkInputError(f"{path}: no such file")
            input_kind(path)
            found = [path]
        files.extend(found)
    return list(dict.fromkeys(p.resolve() for p in files))
