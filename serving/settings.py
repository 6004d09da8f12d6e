"""The API's settings: the `serve:` section of params.yaml, each key overridable by NPRE_<KEY>.

    NPRE_MAX_CHARS=5000 NPRE_MAX_BATCH_SIZE=16 bentoml serve serving.service:Extractor

A built Bento carries the params.yaml it was built with; the variables still apply.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from npre.config.params import ParamsError, ServeParams, load_section

# the project root; in a built Bento, its src/ folder (beside bento.yaml)
ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params.yaml"
ENV_PREFIX = "NPRE_"


def in_built_bento(root: Path = ROOT) -> bool:
    return (root.parent / "bento.yaml").is_file()


def load_settings(params: Path = PARAMS, environ: Mapping[str, str] = os.environ) -> ServeParams:
    """params.yaml's `serve:` section (defaults without the file), then the NPRE_ variables."""
    base = load_section("serve", params) if params.exists() else ServeParams()
    names = {key: ENV_PREFIX + key.upper() for key in ServeParams.model_fields}
    overrides = {key: environ[name] for key, name in names.items() if name in environ}
    try:
        return ServeParams.model_validate(base.model_dump() | overrides)
    except ValidationError as exc:
        problems = [
            f"{names.get(str(err['loc'][0]), err['loc'][0])}: {err['msg']} "
            f"(got {err.get('input')!r})"
            for err in exc.errors()
        ]
        raise ParamsError("invalid serve setting\n  " + "\n  ".join(problems)) from None


def model_source(settings: ServeParams, root: Path = ROOT) -> str:
    """Where the model comes from: 'mlflow' (the registry) or 'bentoml' (the model store).

    `auto`: a built Bento serves the model packed in it, so it needs no MLflow database;
    run from source, the service serves the registry's current champion.
    """
    if settings.model_source != "auto":
        return settings.model_source
    return "bentoml" if in_built_bento(root) else "mlflow"


def model_reference(settings: ServeParams, root: Path = ROOT) -> tuple[str, str]:
    """(source, the model to load): a models:/ URI, or a BentoML store tag.

    A built Bento serves the exact store version it was built with (recorded in its
    bento.yaml), not whatever `latest` is when it starts.
    """
    source = model_source(settings, root)
    if source == "mlflow":
        return source, settings.model_uri
    if in_built_bento(root) and ":" not in settings.bento_model:
        import bentoml

        for info in bentoml.Bento.from_path(str(root.parent)).info.all_models:
            if info.tag.name == settings.bento_model:
                return source, str(info.tag)
    return source, settings.bento_model
