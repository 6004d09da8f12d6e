"""The API page's OpenAPI document: title, description, docs link and real examples.

BentoML titles the OpenAPI document with the service's class name and its generic README,
names "BentoML Team" as the contact and lists a server named "."; a caller reading `/` or
`/docs.json` should learn what comes back, from which model version, compared against
which LOTUS table, the limits that answer 4xx or 503, and where the project's docs are,
and should see a request and an answer the model really gave (serving/examples.json).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from npre.config.params import ServeParams

logger = logging.getLogger("npre.serving")

TITLE = "npre: organism-produces-chemical relation extraction"
DOCS = "/guide/"  # the project's docs, served beside the API (serving/api_page.py)
# a demo abstract (data/demo/eval_set.json, PMID 900100026) and the champion's answer to it
# from POST /extract, as it came
EXAMPLES = Path(__file__).with_name("examples.json")


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
Documentation: [README]({DOCS}) and the project's [docs]({DOCS}docs/).

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


def load_examples(path: Path = EXAMPLES) -> dict:
    """`{"request": {"title", "abstract"}, "response": ExtractionResponse}`."""
    return json.loads(path.read_text())


def _with_example(media_types: dict, example) -> dict:
    import attr

    return {kind: attr.evolve(media, example=example) for kind, media in media_types.items()}


def with_examples(paths: dict, examples: dict) -> dict:
    """The paths, with the real request and answer as the examples of /extract and of
    /extract_batch (one document), in place of the schema's field-by-field ones."""
    import attr

    request, response = examples["request"], examples["response"]
    shown = {
        "/extract": (request, response),
        "/extract_batch": ({"documents": [request]}, [response]),
    }
    paths = dict(paths)
    for route, (request_example, response_example) in shown.items():
        if route not in paths or not isinstance(paths[route].post, dict):
            continue
        post = dict(paths[route].post)
        body = dict(post["requestBody"])
        body["content"] = _with_example(body["content"], request_example)
        answer = dict(post["responses"][200])
        answer["content"] = _with_example(answer["content"], response_example)
        post["requestBody"], post["responses"] = body, {**post["responses"], 200: answer}
        paths[route] = attr.evolve(paths[route], post=post)
    return paths


def api_document(spec, settings: ServeParams, facts: dict[str, str]):
    """BentoML's OpenAPI document with the API's title, description and model version,
    the project's docs as the contact, real examples, and no server list (the page's own
    address is the server: BentoML's "." entry shows as a bogus choice)."""
    import attr
    from bentoml._internal.service.openapi.specification import Contact

    info = attr.evolve(
        spec.info,
        title=TITLE,
        description=describe(settings, facts),
        version=facts["version"],
        contact=Contact(name="npre documentation", url=DOCS),
    )
    try:
        paths = with_examples(spec.paths, load_examples())
    except (OSError, ValueError, KeyError) as exc:  # the page renders without them
        logger.warning("no API examples from %s: %s", EXAMPLES, exc)
        paths = spec.paths
    return attr.evolve(spec, info=info, servers=[], paths=paths)
