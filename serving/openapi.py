"""The API page's title and description: what the service extracts, and with which model.

BentoML titles the OpenAPI document with the service's class name and its generic README;
a caller reading `/` or `/docs.json` should learn what comes back, from which model
version, compared against which LOTUS table, and the limits that answer 4xx or 503.
"""

from __future__ import annotations

import logging

from npre.config.params import ServeParams

logger = logging.getLogger("npre.serving")

TITLE = "npre: organism-produces-chemical relation extraction"


def model_facts(source: str, model: str) -> dict[str, str]:
    """The served model's registry version, run and LOTUS snapshot ("unknown" where the
    registry or store cannot tell); read without loading the model."""
    facts = {"model": model, "version": "unknown", "run_id": "unknown", "lotus": "unknown"}
    try:
        if source == "mlflow":
            from npre.mlops.champion import resolve_champion

            version = resolve_champion(model)
            if version is not None:
                facts["version"] = str(version.version)
                facts["run_id"] = version.run_id or "unknown"
                facts["lotus"] = version.tags.get("lotus_snapshot", "unknown")
        else:
            from npre.mlops.champion import resolve_bento_model

            metadata = resolve_bento_model(model).info.metadata
            facts["version"] = str(metadata.get("registered_version", "unknown"))
            facts["run_id"] = str(metadata.get("run_id", "unknown"))
            facts["lotus"] = str(metadata.get("lotus_snapshot", "unknown"))
    except Exception as exc:  # the page must render even when the registry is unreachable
        logger.warning("cannot describe the served model %s: %s", model, exc)
    return facts


def describe(settings: ServeParams, facts: dict[str, str]) -> str:
    """The OpenAPI description (Markdown)."""
    return f"""\
Finds the **organism produces chemical** relations that a biomedical title and abstract
state, for completing natural-products databases such as LOTUS.

- `POST /extract`: one document; `POST /extract_batch`: up to {settings.max_documents}.
- Each relation comes with its **evidence**: the character spans of both names in the text
  you sent. Names are copied from the text (copy-constrained decoding), never invented.
- Each relation says whether LOTUS already holds it (`status`: `known` or `new`, and per
  name, with Wikidata ids where LOTUS has them).
- Limits: {settings.max_chars} characters per title and per abstract (else 422 naming
  the field); {settings.max_pending} requests in the server at once (else 503 with
  `Retry-After`); {settings.timeout_s} s per request.

| served model | |
| --- | --- |
| model | `{facts["model"]}` |
| registry version | {facts["version"]} |
| MLflow run | `{facts["run_id"]}` |
| LOTUS snapshot | `{facts["lotus"]}` |
"""
