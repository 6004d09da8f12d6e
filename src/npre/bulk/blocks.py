"""Blocks of a bulk job: how inputs are cut, the job folder, atomic Parquet, what a rerun skips.

A source (one input file) is cut into blocks of `block_size` consecutive rows, named
`<file stem>-<hash of its path>-<index>`: the same inputs give the same blocks on every
run. A block's answers are two Parquet files, `relations/NAME.parquet` and
`documents/NAME.parquet`, each written under a temporary name then renamed; the
documents file is written last, so it marks the block finished. A rerun skips finished
blocks, removes what an interrupted one left (a temporary file, a relations file without
its documents file) and redoes it: every document is in exactly one block, so it is
written once whatever was interrupted. When every block of a source is finished,
`sources/KEY.json` says so, and a rerun does not read that source again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from npre.bulk.inputs import BadRow, InputDocument, Row

MANIFEST = "job.json"


class JobFolderError(ValueError):
    """OUT was written by a job cut differently: a rerun there would write documents twice."""


@dataclass(frozen=True)
class Source:
    path: str  # absolute
    key: str  # names its blocks: "<stem>-<hash of the path>"
    kind: str  # npre.bulk.inputs.input_kind
    pmid_cache: str | None = None  # a PMID list is read from the PubMed client's cache

    @classmethod
    def of(cls, path: Path, kind: str, pmid_cache: Path | None = None) -> Source:
        path = Path(path).resolve()
        stem = path.name.split(".")[0] or "input"
        digest = hashlib.sha1(str(path).encode()).hexdigest()[:8]
        cache = str(Path(pmid_cache).resolve()) if pmid_cache else None
        return cls(str(path), f"{stem}-{digest}", kind, cache)

    def stamp(self) -> dict:
        """What a finished source's marker records of the file (a changed file is re-read)."""
        stat = Path(self.path).stat()
        return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}

    def rows(self) -> Iterator[Row]:
        from npre.bulk.inputs import read_inputs

        fetch = None
        if self.pmid_cache:
            from npre.clients.pubmed import read_cache

            fetch = lambda pmids: read_cache(Path(self.pmid_cache))  # noqa: E731
        return read_inputs(Path(self.path), fetch)


@dataclass
class Block:
    name: str
    source: str  # the source's key
    rows: list[Row]

    @property
    def documents(self) -> list[InputDocument]:
        return [row for row in self.rows if isinstance(row, InputDocument)]


def block_name(source: Source, index: int) -> str:
    return f"{source.key}-{index:06d}"


def cut_blocks(source: Source, rows: Iterable[Row], block_size: int) -> Iterator[Block]:
    """Every block of a source, in order; an id the source repeats is a "repeated" row."""
    seen: set[str] = set()
    batch: list[Row] = []
    index = 0
    for row in rows:
        if isinstance(row, InputDocument):
            if row.id in seen:
                row = BadRow(row.id, "answered earlier in this input", "repeated", row.id)
            seen.add(row.id)
        batch.append(row)
        if len(batch) == block_size:
            yield Block(block_name(source, index), source.key, batch)
            batch, index = [], index + 1
    if batch:
        yield Block(block_name(source, index), source.key, batch)


class JobFolder:
    """OUT of a table job: relations/, documents/, sources/, job.json, summary.json."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.relations = self.path / "relations"
        self.documents = self.path / "documents"
        self.sources = self.path / "sources"
        self.summary = self.path / "summary.json"

    def prepare(self, block_size: int) -> None:
        """Create the folder, or check it was cut the same way; clear an interrupted block."""
        for folder in (self.relations, self.documents, self.sources):
            folder.mkdir(parents=True, exist_ok=True)
        manifest = self.path / MANIFEST
        if manifest.exists():
            recorded = json.loads(manifest.read_text())["block_size"]
            if recorded != block_size:
                raise JobFolderError(
                    f"{self.path} holds a job cut into blocks of {recorded} rows; rerun with "
                    f"--block-size {recorded}, or write to another folder"
                )
        else:
            write_text_atomically(manifest, json.dumps({"block_size": block_size}) + "\n")
        for folder in (self.relations, self.documents, self.sources, self.path):
            for leftover in folder.glob(".*.tmp"):
                leftover.unlink()
        finished = self.finished()
        for relations in self.relations.glob("*.parquet"):
            if relations.stem not in finished:
                relations.unlink()  # its block was interrupted: it is redone whole

    def finished(self) -> set[str]:
        return {path.stem for path in self.documents.glob("*.parquet")}

    def write_block(self, name: str, relations, documents) -> None:
        """A block's two tables (pyarrow), the relations first: the documents file marks
        the block finished."""
        write_parquet_atomically(self.relations / f"{name}.parquet", relations)
        write_parquet_atomically(self.documents / f"{name}.parquet", documents)

    def _marker(self, source: Source) -> Path:
        return self.sources / f"{source.key}.json"

    def source_done(self, source: Source) -> bool:
        marker = self._marker(source)
        if not marker.exists():
            return False
        record = json.loads(marker.read_text())
        return record.get("stamp") == source.stamp() and record.get("path") == source.path

    def mark_source_done(self, source: Source, blocks: int) -> None:
        record = {"path": source.path, "blocks": blocks, "stamp": source.stamp()}
        write_text_atomically(self._marker(source), json.dumps(record) + "\n")

    def source_complete(self, source: Source, blocks: int, finished: set[str]) -> bool:
        return all(block_name(source, index) in finished for index in range(blocks))


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _sync_and_rename(temporary: Path, path: Path) -> None:
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def write_parquet_atomically(path: Path, table) -> None:
    import pyarrow.parquet as pq

    temporary = _temporary(path)
    pq.write_table(table, temporary)
    _sync_and_rename(temporary, path)


def write_text_atomically(path: Path, text: str) -> None:
    temporary = _temporary(path)
    temporary.write_text(text, encoding="utf-8")
    _sync_and_rename(temporary, path)


def source_record(source: Source) -> dict:
    return asdict(source)
