"""`make bento`, step 1: copy the registry's champion into the BentoML model store.

    python -m serving.import_champion    # prints the store tag, e.g. npre-extractor:abc123

Reads `serve.model_uri` and `serve.bento_model` (params.yaml, NPRE_ variables), the MLflow
backend from MLFLOW_TRACKING_URI (default sqlite:///mlflow.db) and the store from
BENTOML_HOME. Importing the same registered model twice reuses the stored copy.
"""

from __future__ import annotations

import sys

from npre.mlops.champion import ChampionNotFound, import_champion
from serving.settings import load_settings


def main() -> int:
    settings = load_settings()
    try:
        model = import_champion(settings.model_uri, settings.bento_model)
    except ChampionNotFound as exc:
        print(f"npre: {exc}", file=sys.stderr)
        return 1
    version = model.info.metadata.get("registered_version", "?")
    print(f"{model.tag}  (registered version {version} of {settings.model_uri})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
