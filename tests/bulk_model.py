"""The tiny extractor the bulk-extraction tests run, trained once per pytest run."""

from __future__ import annotations

from pathlib import Path

from helpers import one_relation_documents, train_tiny_extractor

DOCS = one_relation_documents("Chemical study of {org} gave {chem} and other minor ones.", 6)
_SAVED: dict[str, Path] = {}


def saved_tiny_model(tmp_path_factory) -> Path:
    """A tiny extractor saved as an MLflow pyfunc model, with a LOTUS table of 3 relations
    (the first three of DOCS): known and new answers both occur."""
    if "model" in _SAVED:
        return _SAVED["model"]
    import mlflow
    import pandas as pd

    from npre.lotus.known import COLUMNS
    from npre.mlops.pyfunc_model import ExtractorPythonModel, extractor_artifacts

    home = tmp_path_factory.mktemp("bulk")
    base, adapter = train_tiny_extractor(DOCS, home)
    rows = [
        (d.organisms[0].label, f"Q{i}", d.chemicals[0].label, f"C{i}")
        for i, d in enumerate(DOCS[:3])
    ]
    lotus = home / "relations.parquet"
    pd.DataFrame(rows, columns=COLUMNS).to_parquet(lotus)
    path = home / "model"
    mlflow.pyfunc.save_model(
        str(path),
        python_model=ExtractorPythonModel(),
        artifacts=extractor_artifacts(base, adapter, lotus),
    )
    _SAVED["model"] = path
    return path
