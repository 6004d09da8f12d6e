"""The two tables of a bulk job (relations, documents): their columns, a block's rows, totals.

Both engines answer a block with `answer_block` and write what it returns, so their files
are the same. The columns are documented in docs/bulk-extraction.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from npre.bulk.blocks import Block
from npre.bulk.inputs import BadRow, InputDocument
from npre.text.evidence import relation_evidence

RELATIONS = pa.schema(
    [
        ("id", pa.string()),
        ("organism", pa.string()),
        ("chemical", pa.string()),
        ("confidence", pa.float64()),
        ("status", pa.string()),
        ("organism_status", pa.string()),
        ("chemical_status", pa.string()),
        ("organism_wikidata", pa.string()),
        ("chemical_wikidata", pa.string()),
        ("organism_field", pa.string()),
        ("organism_start", pa.int32()),
        ("organism_end", pa.int32()),
        ("chemical_field", pa.string()),
        ("chemical_start", pa.int32()),
        ("chemical_end", pa.int32()),
        ("organism_taxid", pa.int64()),
        ("organism_rank", pa.string()),
        ("organism_kingdom", pa.string()),
        ("model", pa.string()),
        ("model_version", pa.string()),
        ("lotus_snapshot", pa.string()),
    ]
)
DOCUMENTS = pa.schema(
    [
        ("id", pa.string()),
        ("relations", pa.int32()),
        ("problem", pa.string()),  # null when answered; bad_row, no_abstract, deleted, repeated
        ("detail", pa.string()),  # what the problem is, and where
        ("source", pa.string()),  # the input file's name
        ("block", pa.string()),
    ]
)
PROBLEMS = ("bad_row", "no_abstract", "deleted", "repeated")


def _evidence(prefix: str, found: dict | None) -> dict:
    found = found or {}
    return {f"{prefix}_{key}": found.get(key) for key in ("field", "start", "end")}


def relation_rows(loaded, taxonomy, document: InputDocument, extraction) -> list[dict]:
    """The rows of one document's relations; `loaded` is a `champion.LoadedModel`."""
    lotus = loaded.lotus
    confidences = getattr(extraction, "confidences", None)
    if confidences is None or len(confidences) != len(extraction.relations):
        confidences = [None] * len(extraction.relations)
    text = f"{document.title}\n{document.abstract}"
    rows = []
    for (organism, chemical), confidence in zip(extraction.relations, confidences, strict=True):
        row = {"id": document.id, "organism": organism, "chemical": chemical}
        row["confidence"] = None if confidence is None else float(confidence)
        if lotus is not None:
            row |= lotus.annotate(organism, chemical)
        evidence = relation_evidence(document.title, document.abstract, organism, chemical)
        row |= _evidence("organism", evidence["organism_evidence"])
        row |= _evidence("chemical", evidence["chemical_evidence"])
        if taxonomy is not None:
            row |= taxonomy.ground(organism, text).columns()
        row |= {
            "model": loaded.uri,
            "model_version": loaded.version,
            "lotus_snapshot": lotus.snapshot if lotus is not None else None,
        }
        rows.append(row)
    return rows


def answer_block(loaded, taxonomy, block: Block, source_name: str, batch_size: int = 16):
    """A block's relations and documents tables: the model reads its documents only."""
    documents = block.documents
    found = []
    if documents:
        pairs = [(d.title, d.abstract) for d in documents]
        found = loaded.extractor.extract_many(pairs, batch_size=batch_size)
    answers = dict(zip((id(d) for d in documents), found, strict=True))
    relations: list[dict] = []
    rows: list[dict] = []
    for row in block.rows:
        common = {"source": source_name, "block": block.name}
        if isinstance(row, BadRow):
            identifier = row.id or row.where
            detail = row.problem if row.id is None else f"{row.where}: {row.problem}"
            rows.append({"id": identifier, "relations": 0, "problem": row.kind} | common)
            rows[-1]["detail"] = detail
            continue
        answered = relation_rows(loaded, taxonomy, row, answers[id(row)])
        relations.extend(answered)
        rows.append({"id": row.id, "relations": len(answered), "problem": None} | common)
        rows[-1]["detail"] = None
    return tables(relations, rows)


def tables(relations: Sequence[dict], documents: Sequence[dict]) -> tuple[pa.Table, pa.Table]:
    return (
        pa.Table.from_pylist(list(relations), schema=RELATIONS),
        pa.Table.from_pylist(list(documents), schema=DOCUMENTS),
    )


def _read(folder: Path, schema: pa.Schema, columns: list[str]) -> pa.Table:
    import pyarrow.parquet as pq

    files = sorted(Path(folder).glob("*.parquet"))
    if not files:
        return schema.empty_table().select(columns)
    return pa.concat_tables(pq.read_table(path, columns=columns) for path in files)


def totals(relations_dir: Path, documents_dir: Path) -> dict:
    """What a job folder holds: documents answered and skipped, relations, what is new."""
    documents = _read(documents_dir, DOCUMENTS, ["id", "problem"]).to_pydict()
    problems = documents["problem"]
    columns = ["organism", "chemical", "status", "organism_status", "chemical_status"]
    columns += ["organism_taxid", "model", "model_version"]
    relations = _read(relations_dir, RELATIONS, columns).to_pydict()
    count = len(relations["organism"])
    new_organisms = _new(relations["organism"], relations["organism_status"])
    new_chemicals = _new(relations["chemical"], relations["chemical_status"])
    organisms = dict(zip(relations["organism"], relations["organism_taxid"], strict=True))
    grounded = sum(taxid is not None for taxid in organisms.values())
    versions = zip(relations["model"], relations["model_version"], strict=True)
    models = sorted({f"{model} (version {version})" for model, version in versions})
    return {
        "documents": sum(problem is None for problem in problems),
        "relations": count,
        "new_relations": sum(status == "new" for status in relations["status"]),
        "new_organisms": len(new_organisms),
        "new_chemicals": len(new_chemicals),
        "organisms": len(organisms),
        "organisms_with_taxid": grounded,
        **_problem_counts(problems),
        "models": models,
    }


def _new(names: list[str], statuses: list[str | None]) -> set[str]:
    return {name for name, status in zip(names, statuses, strict=True) if status == "new"}


def _problem_counts(problems: list[str | None]) -> dict:
    names = dict(zip(PROBLEMS, ("bad_rows", "no_abstract", "deleted", "repeated"), strict=True))
    counts = dict.fromkeys(names.values(), 0)
    for problem in problems:
        if problem is not None:
            counts[names.get(problem, "bad_rows")] += 1
    return counts
