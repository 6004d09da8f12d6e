"""The MLflow pyfunc model: `RelationExtractor`, its adapter, and its base model packed or
referred to (`shared_base`: one copy of the base in the tracking backend for every variant)."""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc
import pandas as pd

INPUT_COLUMNS = ["title", "abstract"]
# What the extractor imports to load and predict, pinned to this environment's versions
# (`npre` itself travels in the model as code). Left to infer them, MLflow loads the model
# in a subprocess, seconds per variant, and lists `npre`, which no package index has.
RUNTIME_PACKAGES = (
    "torch",
    "transformers",
    "tokenizers",
    "huggingface-hub",
    "safetensors",
    "accelerate",
    "peft",
    "mlflow",
    "pandas",
    "numpy",
    "pyarrow",
    "pydantic",
    "pyyaml",
)


def pinned_requirements() -> list[str]:
    from importlib.metadata import version

    # the public version: a local label (torch's "+cpu") names a build no index serves
    return [f"{name}=={version(name).split('+')[0]}" for name in RUNTIME_PACKAGES]


class ExtractorPythonModel(mlflow.pyfunc.PythonModel):
    """Predicts relations for a DataFrame with `title` and `abstract` columns."""

    def load_context(self, context):
        from npre.decoding.extractor import ExtractorConfig, RelationExtractor
        from npre.lotus.known import LotusIndex
        from npre.mlops.shared_base import resolve_base

        adapter = Path(context.artifacts["adapter"])
        if "base_model" in context.artifacts:  # packed in the model
            base = Path(context.artifacts["base_model"])
        else:  # stored once in the tracking backend
            base = resolve_base(Path(context.artifacts["base_ref"]))
        self.extractor = RelationExtractor.load(base, adapter, ExtractorConfig.load(adapter))
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
        min_confidence = float((params or {}).get("min_confidence") or 0.0)
        found = [one.above(min_confidence) for one in found]
        rows = [
            {
                "relations": [
                    self.relation(organism, chemical, confidence)
                    for (organism, chemical), confidence in zip(
                        one.relations, one.confidences, strict=True
                    )
                ]
            }
            for one in found
        ]
        return pd.DataFrame(rows)

    def relation(self, organism: str, chemical: str, confidence: float) -> dict:
        """One answer: the names, its confidence, and whether LOTUS holds it (when the
        table is packed)."""
        found = {"organism": organism, "chemical": chemical, "confidence": round(confidence, 4)}
        if self.lotus is not None:
            found |= self.lotus.annotate(organism, chemical)
        return found


def extractor_artifacts(base: Path, adapter_dir: Path, lotus: Path | None) -> dict[str, str]:
    """The files a logged extractor packs: its base model (the folder, or a `base_ref.json`
    naming the shared copy), its adapter, and the LOTUS table that its answers are compared
    against (known/new)."""
    from npre.mlops.shared_base import REF_FILE

    key = "base_ref" if Path(base).name == REF_FILE else "base_model"
    artifacts = {key: str(base), "adapter": str(adapter_dir)}
    if lotus is not None:
        artifacts["lotus"] = str(lotus)
    return artifacts


PREDICT_PARAMS = {"min_confidence": 0.0}

# the output schema: the fields of a relation when the LOTUS table is packed (the ids as
# the demo table writes them)
OUTPUT_EXAMPLE = pd.DataFrame(
    {
        "relations": [
            [
                {
                    "organism": "Artemisia annua",
                    "chemical": "artemisinin",
                    "confidence": 0.93,
                    "status": "known",
                    "organism_status": "known",
                    "chemical_status": "known",
                    "organism_wikidata": "placeholder:organism/O0001",
                    "chemical_wikidata": "placeholder:structure/C0001",
                }
            ]
        ]
    }
)


def log_extractor(
    artifacts: dict[str, str],
    input_example: pd.DataFrame,
    output_example: pd.DataFrame = OUTPUT_EXAMPLE,
    name: str = "extractor",
    tags: dict[str, str] | None = None,
):
    """Log the pyfunc model (a LoggedModel `name`, model type `npre-extractor`) in the
    active run; returns the ModelInfo. MLflow checks the logged model by loading it and
    predicting `input_example`.

    The `npre` package travels in the model (`code_paths`: MLflow puts it first on
    `sys.path` when it loads the model), so `mlflow models serve` runs the code the model
    was logged with, also where npre is not installed.
    """
    from mlflow.models import infer_signature

    import npre

    return mlflow.pyfunc.log_model(
        name=name,
        model_type="npre-extractor",
        tags=tags,
        python_model=ExtractorPythonModel(),
        artifacts=artifacts,
        code_paths=[str(Path(npre.__file__).parent)],
        pip_requirements=pinned_requirements(),
        # `params={"min_confidence": 0.5}` at predict time drops less sure relations
        signature=infer_signature(input_example, output_example, params=PREDICT_PARAMS),
        input_example=input_example,
    )
