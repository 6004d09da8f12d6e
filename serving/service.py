"""The npre extraction API: BentoML services serving the registry's champion.

    bentoml serve serving.service:Extractor --host 127.0.0.1 --port 3000

Two services, one process each: `Extractor` answers HTTP (validation, evidence spans) and
calls `ExtractionModel`, whose batchable endpoint gathers the documents of concurrent
requests into one batched `generate` call (adaptive batching: `serve.max_batch_size`,
`serve.max_latency_ms`); a request that finds no other in flight goes straight to the
model (`extract_alone`), without the batching window. The model runs on the model
service's event-loop thread (both endpoints are async), one call at a time. The model is
`serve.model_uri` (default `models:/npre-extractor@champion`) from the tracking backend
in MLFLOW_TRACKING_URI (default sqlite:///mlflow.db in the working directory); a Bento
built by `make bento` serves the copy packed in it instead. Settings: params.yaml
`serve:`, overridden by NPRE_<KEY> variables (serving/settings.py). It runs the same
`RelationExtractor` as `npre evaluate`, so served relations equal evaluated ones.

With no registry, no champion or no packed model, `bentoml serve` exits non-zero before
starting any worker, naming the model and how to get one; `/readyz` answers 200 only once
the model is loaded.
"""

from __future__ import annotations

import functools
import logging
from typing import Annotated

import aiohttp
import bentoml
from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from npre.mlops.champion import (
    ChampionNotFound,
    LoadedModel,
    load_bento_model,
    load_champion,
    resolve_bento_model,
    resolve_champion,
)
from npre.training.memory import release_freed_memory
from serving.admission import AdmissionControl
from serving.api_page import ApiPages
from serving.openapi import TITLE, api_document, model_facts
from serving.schemas import (
    EXAMPLE_ABSTRACT,
    EXAMPLE_TITLE,
    ExtractionResponse,
    Found,
    to_response,
)
from serving.settings import ROOT, load_settings, model_reference

logger = logging.getLogger("npre.serving")

SETTINGS = load_settings()
SOURCE, MODEL = model_reference(SETTINGS)  # ("mlflow", a models:/ URI) or ("bentoml", a tag)

Title = Annotated[str, StringConstraints(max_length=SETTINGS.max_chars)]
MinConfidence = Annotated[
    float,
    Field(
        ge=0.0,
        le=1.0,
        description="answer only relations at least this sure (the model's own "
        "decoding.min_confidence applies first)",
    ),
]


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("the abstract is blank: send the text to extract from")
    return text  # kept as sent: evidence offsets are character spans of the client's text


AbstractText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=SETTINGS.max_chars),
    AfterValidator(_not_blank),
]


class Document(BaseModel):
    title: Title = Field("", examples=[EXAMPLE_TITLE])
    abstract: AbstractText = Field(examples=[EXAMPLE_ABSTRACT])


def _packed_model():
    """The store model a Bento packs (`bentoml build` records it, `bentoml serve` of the
    Bento resolves it); None when serving from the MLflow registry, or when the store
    lacks it (then the deployment check below names the fix)."""
    if SOURCE != "bentoml":
        return None
    try:
        return bentoml.models.BentoModel(str(resolve_bento_model(MODEL).tag))
    except ChampionNotFound:
        return None


# BentoML 1.4.31+ replaces the caller's connection pool after `max_requests` calls or
# `max_age` seconds and closes the old one, failing the calls still in flight
# (github.com/bentoml/BentoML/issues/5540): keep one pool for the server's life.
KEEP_CONNECTIONS = {"max_requests": 2**31 - 1, "max_age": 1e9}


@bentoml.service(
    traffic={"timeout": SETTINGS.timeout_s},
    workers=SETTINGS.model_workers,
    runner_connection=KEEP_CONNECTIONS,
)
class ExtractionModel:
    """Batched relation extraction; internal, called by `Extractor`."""

    packed = _packed_model()

    def __init__(self) -> None:
        import torch

        torch.set_num_threads(SETTINGS.num_threads)
        self.loaded: LoadedModel = (
            load_champion(MODEL) if SOURCE == "mlflow" else load_bento_model(MODEL)
        )
        logger.info("serving %s (version %s)", self.loaded.uri, self.loaded.version)

    @bentoml.api(
        batchable=True,
        max_batch_size=SETTINGS.max_batch_size,
        max_latency_ms=SETTINGS.max_latency_ms,
    )
    async def extract_many(self, documents: list[Document]) -> list[Found]:
        return self._found(documents)

    @bentoml.api
    async def extract_alone(self, document: Document) -> Found:
        """One document straight to the model, past the batching window: what a request
        that finds the server idle takes (measured: the window added about 0.5 s to the
        median single-abstract latency)."""
        [found] = self._found([document])
        return found

    # Both endpoints are `async` on purpose: the model then runs on the event loop's thread,
    # the worker's main thread, not in BentoML's thread pool for sync APIs, where the same
    # call took 1.5x as long (benchmarks/bench_service.py). The loop waits out
    # each model call, which also serialises them; requests that arrive meanwhile queue.

    def _found(self, documents: list[Document]) -> list[Found]:
        pairs = [(document.title, document.abstract) for document in documents]
        lotus = self.loaded.lotus
        extractions = self.loaded.extractor.extract_many(pairs)
        # batches of every size and length leave freed heap pages behind: handed back, the
        # server's memory stays lower under mixed traffic
        release_freed_memory()
        return [
            Found(
                relations=one.relations,
                confidences=one.confidences,
                known=[lotus.annotate(*pair) for pair in one.relations] if lotus else None,
                model=self.loaded.uri,
                model_version=self.loaded.version,
                lotus_snapshot=lotus.snapshot if lotus else None,
            )
            for one in extractions
        ]


@functools.cache
def _served_model_facts() -> dict[str, str]:
    """Read once, at the first request for the page: the server serves one model for its
    life, so later alias moves in the registry do not change what it answers with."""
    return model_facts(SOURCE, MODEL)


class DescribedService(bentoml.Service):
    """A service whose OpenAPI page says what it extracts, with which model version, where
    the docs are, and shows a real request and answer (serving/openapi.py)."""

    @property
    def openapi_spec(self):
        return api_document(super().openapi_spec, SETTINGS, _served_model_facts())


@bentoml.service(traffic={"timeout": SETTINGS.timeout_s}, service_class=DescribedService)
class Extractor:
    """Organism-produces-chemical relations in biomedical titles and abstracts."""

    model = bentoml.depends(ExtractionModel)

    @bentoml.on_deployment
    def check_model() -> None:
        """Runs once in the `bentoml serve` process before any worker starts, so a missing
        model stops the server with the fix (a failing worker would be restarted forever)."""
        try:
            resolve_champion(MODEL) if SOURCE == "mlflow" else resolve_bento_model(MODEL)
        except ChampionNotFound as exc:
            raise SystemExit(f"npre: {exc}") from None

    async def __is_ready__(self) -> bool:
        """/readyz: a 503 until the model service has loaded the model.

        Its socket refuses connections while it loads; left to BentoML's own probe, that
        error escapes the handler and the /readyz request hangs until the traffic timeout
        (and holds up shutdown).
        """
        probe = getattr(self.model, "is_ready", None)  # a local instance has loaded already
        if probe is None:
            return True
        try:
            return await probe(5)
        except (aiohttp.ClientError, OSError):  # OSError: TimeoutError, refused, no socket
            return False

    @bentoml.api
    async def extract(
        self,
        title: Title = Field("", examples=[EXAMPLE_TITLE]),
        abstract: AbstractText = Field(examples=[EXAMPLE_ABSTRACT]),
        min_confidence: MinConfidence = 0.0,
    ) -> ExtractionResponse:
        """Organism-produces-chemical relations stated in one title and abstract."""
        [found] = await self._extract([Document(title=title, abstract=abstract)])
        return to_response(title, abstract, found, min_confidence)

    @bentoml.api
    async def extract_batch(
        self,
        documents: Annotated[
            list[Document], Field(min_length=1, max_length=SETTINGS.max_documents)
        ],
        min_confidence: MinConfidence = 0.0,
    ) -> list[ExtractionResponse]:
        """The same for several documents (at most `serve.max_documents`, default 32)."""
        found = await self._extract(documents)
        return [
            to_response(document.title, document.abstract, one, min_confidence)
            for document, one in zip(documents, found, strict=True)
        ]

    in_flight = 0  # extraction calls this API process is waiting on

    async def _extract(self, documents: list[Document]) -> list[Found]:
        # a lone request skips adaptive batching (nothing to batch it with); under load
        # the model service gathers concurrent documents into one batch
        alone = len(documents) == 1 and self.in_flight == 0
        self.in_flight += 1
        try:
            return await self._call_model(documents, alone)
        except aiohttp.ClientConnectionError:
            # a pooled connection the model service had just closed (keep-alive expiry):
            # extraction has no side effects, so one retry on a fresh connection is safe
            logger.warning("model service connection lost; retrying once")
            return await self._call_model(documents, alone)
        finally:
            self.in_flight -= 1

    async def _call_model(self, documents: list[Document], alone: bool) -> list[Found]:
        if alone:
            return [await self.model.to_async.extract_alone(documents[0])]
        return await self.model.to_async.extract_many(documents)


Extractor.add_asgi_middleware(
    AdmissionControl, max_pending=SETTINGS.max_pending, paths=("/extract", "/extract_batch")
)
# `/`: the Swagger page under the API's title, without BentoML's tracker; `/guide/`: the docs
Extractor.add_asgi_middleware(ApiPages, title=TITLE, root=ROOT)
