"""The MLflow pyfunc model: `RelationExtractor` packed with its base model and adapter."""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc
import pandas as pd

INPUT_COLUMNS = ["title", "abstract"]


class ExtractorPythonModel(mlflow.pyfunc.PythonModel):
    """Predicts relations for a DataFrame with `title` and `abstract` columns."""

    def load_context(self, context):
        from npre.lotus.known import LotusIndex
        from npre.modeling.extractor import ExtractorConfig, RelationExtractor

        adapter = Path(context.artifacts["adapter"])
        self.extractor = RelationExtractor.load(
            Path(context.artifacts["base_model"]), adapter, ExtractorConfig.load(adapter)
        )
        # models logged before the LOTUS table was packed answer without known/new
        lotus = context.artifacts.get("lotus")
        self.lotus = LotusIndex.from_file(Path(lotus)) if lotus else None

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        missing = [c for c in INPUT_COLUMNS if c not in model_input.columns]
        if missing:
            raise ValueError(f"input lacks column(s): {', '.join(missing)}")
        documents = [
            (str(title), str(abstract))
            for title, abstract in zip(model_input["title"], model_input["abstract"], strict=True)
        ]
        found = self.extractor.extract_many(documents, batch_size=16)  # same answers, faster
        rows = [{"relations": [self.relation(o, c) for o, c in f.relations]} for f in found]
        return pd.DataFrame(rows)

    def relation(self, organism: str, chemical: str) -> dict:
        """One answer: the names, and whether LOTUS holds it (when the table is packed)."""
        found = {"organism": organism, "chemical": chemical}
        if self.lotus is not None:
            found |= self.lotus.annotate(organism, chemical)
        return found


def extractor_artifacts(base_dir: Path, adapter_dir: Path, lotus: Path | None) -> dict[str, str]:
    """The files a logged extractor packs: base model, adapter, and the LOTUS table that
    its answers are compared against (known/new)."""
    artifacts = {"base_model": str(base_dir), "adapter": str(adapter_dir)}
    if lotus is not None:
        artifacts["lotus"] = str(lotus)
    return artifacts


def log_extractor(
    artifacts: dict[str, str], input_example: pd.DataFrame, output_example: pd.DataFrame
):
    """Log the pyfunc model in the active run; returns the ModelInfo.

    The `npre` package travels in the model (`code_paths`: MLflow puts it first on
    `sys.path` when it loads the model), so `mlflow models serve` runs the code the model
    was logged with, also where npre is not installed.
    """
    from mlflow.models import infer_signature

    import npre

    return mlflow.pyfunc.log_model(
        name="extractor",
        python_model=ExtractorPythonModel(),
        artifacts=artifacts,
        code_paths=[str(Path(npre.__file__).parent)],
        signature=infer_signature(input_example, output_example),
        input_example=input_example,
    )
