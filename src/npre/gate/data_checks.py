"""Data-quality checkpoints on the inputs: the LOTUS relations table and evaluation sets.

`npre check-data` (and `make check-data`, which CI runs) validates the committed demo data
with these suites; a failure names the expectation and the rows (line numbers or PMIDs).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from npre.data.records import Document
from npre.gate.checkpoint import ensure_checkpoint, failures_by_id, get_context
from npre.gate.expectations import ExpectColumnValuesToHaveAlignedLabels, labelled_text

LOTUS_SUITE = "lotus_relations"
EVAL_SUITE = "evaluation_set"
KINGDOMS = [
    "Archaeplastida",
    "Fungi",
    "Metazoa",
    "Protista",
    "",
    "Not attributed (Bacteria and Algae)",
]


def _lotus_expectations(gx) -> list:
    e = gx.expectations
    return [
        e.ExpectTableRowCountToBeBetween(min_value=1),
        e.ExpectColumnValueLengthsToBeBetween(column="structure_nameTraditional", min_value=1),
        e.ExpectColumnValueLengthsToBeBetween(column="organism_name", min_value=1),
        e.ExpectColumnValuesToMatchRegex(
            column="organism_name", regex=r"^[A-Z][a-z]+ \S+", mostly=0.95
        ),
        e.ExpectColumnValuesToMatchRegex(column="reference_pubmed_id", regex=r"^\d+$", mostly=0.9),
        e.ExpectColumnValuesToBeInSet(column="organism_taxonomy_02kingdom", value_set=KINGDOMS),
        e.ExpectCompoundColumnsToBeUnique(
            column_list=["reference_wikidata", "organism_wikidata", "structure_wikidata"],
            mostly=0.95,
        ),
    ]


def _eval_expectations(gx) -> list:
    e = gx.expectations
    return [
        e.ExpectTableRowCountToBeBetween(min_value=1),
        e.ExpectColumnValuesToBeUnique(column="PMID"),
        e.ExpectColumnValueLengthsToBeBetween(column="abstract", min_value=1),
        e.ExpectColumnValuesToBeInSet(column="unresolved_ids", value_set=[0]),
        ExpectColumnValuesToHaveAlignedLabels(column="labelled_text", min_alignment=1.0),
    ]


def lotus_frame(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(line=[str(i + 2) for i in range(len(table))])  # the header is line 1


def eval_frame(docs: list[Document]) -> pd.DataFrame:
    rows = []
    for doc in docs:
        orgs = {o.id: o.label for o in doc.organisms}
        chems = {c.id: c.label for c in doc.chemicals}
        unresolved = sum(o not in orgs or c not in chems for o, c in doc.relations)
        rows.append(
            {
                "PMID": doc.PMID,
                "abstract": doc.AbstractText,
                "unresolved_ids": unresolved,
                "labelled_text": labelled_text(doc),  # gold relations the text must state
            }
        )
    return pd.DataFrame(rows)


def run_checks(lotus: pd.DataFrame, evaluation: list[Document], project_root: Path) -> dict:
    """Validate both inputs; per suite: success, unexpected rows per expectation, failing rows."""
    context = get_context(project_root)
    report = {}
    checks = [
        (LOTUS_SUITE, _lotus_expectations, "line", lotus_frame(lotus)),
        (EVAL_SUITE, _eval_expectations, "PMID", eval_frame(evaluation)),
    ]
    for name, expectations, id_column, frame in checks:
        checkpoint = ensure_checkpoint(context, name, expectations, id_column)
        result = checkpoint.run(batch_parameters={"dataframe": frame})
        failed, counts = failures_by_id(result, id_column)
        report[name] = {
            "success": bool(result.success),
            "failures": {k: v for k, v in counts.items() if v},
            "failing_rows": dict(list(failed.items())[:20]),
        }
    return report
