"""The custom Great Expectations expectation for the paper's label-alignment rule.

`ExpectColumnValuesToHaveAlignedLabels` is a GX Core 1.x `ColumnMapExpectation`: each row
of its column is one document as JSON, `{"text": ..., "relations": [[organism, chemical],
...]}` (see `labelled_text`), and the row is expected when the fraction of its label
relations whose organism (full name or "G. species") and chemical are both in the text,
case-insensitive, is at least `min_alignment` (`npre.text.matching.alignment_score`, the same
function the synthesize stage selects with). `min_alignment` may be a suite parameter.

Import this module before a file context loads a suite that uses the expectation: GX
registers custom expectations when their class is defined.
"""

from __future__ import annotations

import json
from typing import ClassVar

import pandas as pd
from great_expectations.compatibility import pydantic as gx_pydantic
from great_expectations.core.suite_parameters import SuiteParameterDict
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    render_suite_parameter_string,
)
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    column_condition_partial,
)
from great_expectations.render import LegacyRendererType, RenderedStringTemplateContent
from great_expectations.render.renderer.renderer import renderer
from great_expectations.render.renderer_configuration import (
    RendererConfiguration,
    RendererValueType,
)
from great_expectations.render.util import substitute_none_for_missing

from npre.data.records import Document
from npre.text.matching import alignment_score

ALIGNMENT_METRIC = "column_values.npre_labels_aligned"
TEMPLATE = (
    "$column values: at least a fraction $min_alignment of each document's label relations "
    "have their organism (full name or G. species) and chemical in the text, "
    "case-insensitive."
)


def labelled_text(doc: Document) -> str:
    """The value the expectation checks for one document: its text and its label pairs."""
    return json.dumps({"text": doc.text, "relations": doc.label_pairs()}, ensure_ascii=False)


def row_alignment(value: str) -> float:
    """The paper's alignment score of one `labelled_text` value.

    No relations: vacuously aligned (1.0), so an unlabelled document is reported by the
    relation-count expectation alone, and an evaluation document without relations passes.
    """
    row = json.loads(value)
    pairs = [tuple(pair) for pair in row["relations"]]
    return alignment_score(row["text"], pairs) if pairs else 1.0


class ColumnValuesLabelsAligned(ColumnMapMetricProvider):
    """Per row: is the alignment score at least `min_alignment`?"""

    condition_metric_name = ALIGNMENT_METRIC
    condition_value_keys = ("min_alignment",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, min_alignment: float, **kwargs) -> pd.Series:
        return column.map(lambda value: row_alignment(value) >= float(min_alignment))


class ExpectColumnValuesToHaveAlignedLabels(ColumnMapExpectation):
    """Expect each document's labels to be stated in its text (the paper's alignment rule).

    Args:
        column (str): a column of `labelled_text` JSON values.
        min_alignment (float or suite parameter): the least fraction of label relations whose
            organism and chemical must both be mentioned (1.0: every relation).
    """

    min_alignment: float | SuiteParameterDict = gx_pydantic.Field(
        description="least fraction of label relations stated in the text"
    )  # required: GX drops default-valued kwargs from results, and Data Docs would show None

    map_metric: ClassVar[str] = ALIGNMENT_METRIC
    success_keys: ClassVar[tuple[str, ...]] = ("min_alignment", "mostly")
    args_keys: ClassVar[tuple[str, ...]] = ("column", "min_alignment")
    library_metadata: ClassVar[dict] = {
        "maturity": "experimental",
        "tags": ["npre", "label alignment", "column map expectation"],
        "contributors": ["npre"],
    }

    @classmethod
    def _prescriptive_template(
        cls, renderer_configuration: RendererConfiguration
    ) -> RendererConfiguration:
        renderer_configuration.add_param(name="column", param_type=RendererValueType.STRING)
        renderer_configuration.add_param(name="min_alignment", param_type=RendererValueType.NUMBER)
        renderer_configuration.template_str = TEMPLATE
        return renderer_configuration

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    @render_suite_parameter_string
    def _prescriptive_renderer(
        cls, configuration=None, result=None, runtime_configuration=None, **kwargs
    ):
        runtime_configuration = runtime_configuration or {}
        params = substitute_none_for_missing(
            configuration.kwargs if configuration else {}, ["column", "min_alignment"]
        )
        return [
            RenderedStringTemplateContent(
                content_block_type="string_template",
                string_template={
                    "template": TEMPLATE,
                    "params": params,
                    "styling": runtime_configuration.get("styling"),
                },
            )
        ]
