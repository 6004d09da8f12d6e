"""Runs the synthetic-documents checkpoint and splits documents into passed and quarantined.

The GX project lives in `expectations/gx` (a file data context): the suite, validation
definition and checkpoint are committed JSON; thresholds are suite parameters filled from
`params.yaml` at run time. `ensure_project` writes any piece that is missing, so a fresh
context and the committed one are the same. Label alignment is the custom
`ExpectColumnValuesToHaveAlignedLabels` (`npre.gate.expectations`), registered with
GX before the context loads the suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from npre.config.params import ValidateParams
from npre.data.records import Document
from npre.gate.expectations import ExpectColumnValuesToHaveAlignedLabels
from npre.gate.features import document_frame
from npre.gate.text_stats import synthetic_set_metrics

SUITE = "synthetic_docs"
DATASOURCE = "npre_frames"
ASSET = "synthetic_docs"
PROMPT_ECHO = r"(?m)^\s*(?:Instructions|Title|Keywords|Main findings|Abstract):"
ALIGNMENT = "expect_column_values_to_have_aligned_labels(labelled_text)"  # its quarantine name


def _suite_expectations(gx) -> list:
    e = gx.expectations
    return [
        ExpectColumnValuesToHaveAlignedLabels(
            column="labelled_text", min_alignment={"$PARAMETER": "min_alignment"}
        ),
        e.ExpectColumnValueLengthsToBeBetween(
            column="abstract",
            min_value={"$PARAMETER": "min_chars"},
            max_value={"$PARAMETER": "max_chars"},
        ),
        e.ExpectColumnValuesToNotMatchRegex(column="abstract", regex=PROMPT_ECHO),
        e.ExpectColumnValuesToBeBetween(
            column="n_relations", min_value=1, max_value={"$PARAMETER": "max_relations"}
        ),
        e.ExpectColumnValuesToBeInSet(column="empty_labels", value_set=[0]),
        e.ExpectColumnValuesToBeInSet(column="is_duplicate", value_set=[False]),
    ]


def get_context(project_root: Path):
    import great_expectations as gx

    return gx.get_context(mode="file", project_root_dir=str(project_root))


def ensure_checkpoint(context, name: str, expectations, id_column: str):
    """Create (if absent) the asset, suite, validation definition and checkpoint `name`.

    Committed JSON wins: a piece already in the project is used as it is.
    """
    import great_expectations as gx

    try:
        datasource = context.data_sources.get(DATASOURCE)
    except (KeyError, ValueError):
        datasource = context.data_sources.add_pandas(DATASOURCE)
    try:
        asset = datasource.get_asset(name)
    except LookupError:
        asset = datasource.add_dataframe_asset(name)
    try:
        batch = asset.get_batch_definition("whole_frame")
    except KeyError:
        batch = asset.add_batch_definition_whole_dataframe("whole_frame")
    try:
        suite = context.suites.get(name)
    except gx.exceptions.DataContextError:
        suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations(gx)))
    try:
        definition = context.validation_definitions.get(name)
    except gx.exceptions.DataContextError:
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)
        )
    try:
        return context.checkpoints.get(name)
    except gx.exceptions.DataContextError:
        return context.checkpoints.add(
            gx.Checkpoint(
                name=name,
                validation_definitions=[definition],
                actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")],
                result_format={
                    "result_format": "COMPLETE",
                    "unexpected_index_column_names": [id_column],
                },
            )
        )


def ensure_project(context) -> None:
    ensure_checkpoint(context, SUITE, _suite_expectations, "doc_id")


def failures_by_id(result, id_column: str) -> tuple[dict[str, list[str]], dict[str, int]]:
    """From a checkpoint result: failed expectation names per row id, and counts per name."""
    failed: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for validation in result.run_results.values():
        for outcome in validation.results:
            name = _expectation_name(outcome.expectation_config)
            if outcome.exception_info and outcome.exception_info.get("raised_exception"):
                raise RuntimeError(f"expectation {name} raised: {outcome.exception_info}")
            ids = [row[id_column] for row in outcome.result.get("unexpected_index_list") or []]
            if not ids and not outcome.success:
                ids = ["<table>"]  # a table-level expectation failed
            counts[name] = len(ids)
            for row_id in ids:
                failed.setdefault(str(row_id), []).append(name)
    return failed, counts


@dataclass
class GateResult:
    passed: list[Document]
    quarantined: list[Document]
    failures_by_expectation: dict[str, int]

    @property
    def pass_rate(self) -> float:
        total = len(self.passed) + len(self.quarantined)
        return len(self.passed) / total if total else 0.0


def _expectation_name(config) -> str:
    column = config.kwargs.get("column")
    return f"{config.type}({column})" if column else config.type


def run_gate(docs: list[Document], params: ValidateParams, project_root: Path) -> GateResult:
    """Validate `docs` with the checkpoint; every document ends in exactly one output."""
    context = get_context(project_root)
    ensure_project(context)
    frame = document_frame(docs)
    result = context.checkpoints.get(SUITE).run(
        batch_parameters={"dataframe": frame},
        expectation_parameters={
            "min_alignment": params.min_alignment,
            "min_chars": params.min_chars,
            "max_chars": params.max_chars,
            "max_relations": params.max_relations,
        },
    )
    failed, counts = failures_by_id(result, "doc_id")
    passed, quarantined = [], []
    for doc in docs:
        reasons = failed.get(doc.PMID)
        if reasons:
            quarantined.append(doc.model_copy(update={"failed_expectations": reasons}))
        else:
            passed.append(doc)
    return GateResult(passed, quarantined, counts)


def scratch_project(project_root: Path, scratch: Path) -> Path:
    """A copy of the GX project's committed configuration under `scratch`: a checkpoint run
    there leaves Data Docs with that run's validation alone (the committed project keeps
    every earlier run, and every sampler's, in one site)."""
    import shutil

    target = Path(scratch) / "gx_project"
    shutil.copytree(
        Path(project_root) / "gx", target / "gx", ignore=shutil.ignore_patterns("uncommitted")
    )
    return target


def data_docs_dir(project_root: Path) -> Path:
    return Path(project_root) / "gx" / "uncommitted" / "data_docs" / "local_site"


def summary(result: GateResult, seeds: list[Document] | None = None) -> dict:
    """Pass rate, quarantine reasons (documents per failed expectation) and the synthetic-set
    metrics (alignment, entity and lexical diversity; novelty against `seeds` if given)."""
    return {
        "documents": len(result.passed) + len(result.quarantined),
        "passed": len(result.passed),
        "quarantined": len(result.quarantined),
        "pass_rate": round(result.pass_rate, 4),
        "failures_by_expectation": result.failures_by_expectation,
        **synthetic_set_metrics(
            [*result.passed, *result.quarantined],
            result.passed,
            result.failures_by_expectation,
            ALIGNMENT,
            seeds,
        ),
    }
