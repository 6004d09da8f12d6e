"""The one document record that flows through the pipeline, and its JSON Lines I/O.

The format is the curated evaluation set's (PMID, ArticleTitle, AbstractText, chemicals,
organisms, relations as [organism_id, chemical_id]) plus optional provenance fields that
synthetic documents carry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Entity(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    label: str


class Chemical(Entity):
    type: str = "chemical"
    superclass: str | None = None


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid")

    PMID: str
    ArticleTitle: str = ""
    AbstractText: str = ""
    chemicals: list[Chemical] = []
    organisms: list[Entity] = []
    relations: list[tuple[str, str]] = []
    kingdom: str | None = None
    doi: str | None = None
    id: str | None = None
    # provenance of synthetic documents
    seed_pmid: str | None = None
    prompt: str | None = None
    generator: str | None = None
    view: int | None = None
    chain_step: int | None = None
    alignment_score: float | None = None
    teacher_loss: float | None = None
    failed_expectations: list[str] | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def text(self) -> str:
        return f"{self.ArticleTitle} {self.AbstractText}".strip()

    def label_pairs(self) -> list[tuple[str, str]]:
        """Relations as (organism label, chemical label), in stored order."""
        orgs = {o.id: o.label for o in self.organisms}
        chems = {c.id: c.label for c in self.chemicals}
        pairs = []
        for org_id, chem_id in self.relations:
            if org_id in orgs and chem_id in chems:
                pairs.append((orgs[org_id], chems[chem_id]))
        return pairs


class RecordError(ValueError):
    """A document file has a line that is not a valid record."""


def iter_json_lines(path: Path, what: str, convert) -> Iterator:
    """`convert(record)` for each JSON line; a bad line stops with file, line and `what`."""
    with Path(path).open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield convert(json.loads(line))
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                raise RecordError(f"{path}:{line_no}: not {what}: {exc!r}") from None


def read_documents(path: Path) -> list[Document]:
    """Read JSON Lines documents; a bad line stops with file and line number."""
    return list(iter_documents(path))


def iter_documents(path: Path) -> Iterator[Document]:
    with Path(path).open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield Document.model_validate_json(line)
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(p) for p in first["loc"]) or "<record>"
                raise RecordError(f"{path}:{line_no}: field '{field}': {first['msg']}") from None


def write_documents(path: Path, docs: Iterable[Document]) -> int:
    """Write documents as JSON Lines (None fields dropped); returns how many."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for doc in docs:
            handle.write(doc.model_dump_json(exclude_none=True, exclude_defaults=False) + "\n")
            count += 1
    return count


def read_curated_set(path: Path) -> list[Document]:
    """Read a curated-set JSON file: a dict keyed by PMID, or a list of documents."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    items = list(raw.values()) if isinstance(raw, dict) else raw
    docs = []
    for position, item in enumerate(items):
        try:
            item = {k: v for k, v in item.items() if k in Document.model_fields}
            item["PMID"] = str(item["PMID"])
            docs.append(Document.model_validate(item))
        except (ValidationError, KeyError, AttributeError) as exc:
            raise RecordError(f"{path}: item {position}: {exc}") from None
    return docs


def write_json(path: Path, data: Any) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
