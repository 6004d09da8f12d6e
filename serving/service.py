"""The npre extraction API: a BentoML service serving the MLflow registry's champion.

    bentoml serve serving.service:Extractor --host 127.0.0.1 --port 3000

The model is `models:/npre-extractor@champion` (override with NPRE_MODEL_URI) from the
tracking backend in MLFLOW_TRACKING_URI (default: sqlite:///mlflow.db in the working
directory). It runs the same `RelationExtractor` as `npre evaluate`, so served relations
equal evaluated ones. Each relation carries where its names occur in the input (evidence).
"""

from __future__ import annotations

import os
from typing import Annotated

import bentoml
from pydantic import BaseModel, Field, StringConstraints

with bentoml.importing():
    from npre.matching import find_span, organism_variants
    from npre.service_model import load_champion

MAX_CHARS = int(os.environ.get("NPRE_MAX_CHARS", "20000"))
MAX_DOCUMENTS = int(os.environ.get("NPRE_MAX_DOCUMENTS", "32"))
EXAMPLE_TITLE = "Sesquiterpene lactones from the aerial parts of Artemisia annua"
EXAMPLE_ABSTRACT = (
    "Chemical investigation of the aerial parts of Artemisia annua led to the isolation of "
    "artemisinin and arteannuin B. Their structures were elucidated by NMR spectroscopy."
)

Title = Annotated[str, StringConstraints(max_length=MAX_CHARS)]
AbstractText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CHARS)
]


class Document(BaseModel):
    title: Title = Field("", examples=[EXAMPLE_TITLE])
    abstract: AbstractText = Field(examples=[EXAMPLE_ABSTRACT])


class Evidence(BaseModel):
    field: str = Field(description="'title' or 'abstract'", examples=["abstract"])
    start: int = Field(description="character offset of the first occurrence", examples=[44])
    end: int = Field(examples=[59])


class Relation(BaseModel):
    organism: str = Field(examples=["Artemisia annua"])
    chemical: str = Field(examples=["artemisinin"])
    organism_evidence: Evidence | None = None
    chemical_evidence: Evidence | None = None


class ExtractionResponse(BaseModel):
    relations: list[Relation]
    model: str = Field(
        description="the model URI that answered", examples=["models:/npre-extractor@champion"]
    )
    model_version: str = Field(description="registered version of npre-extractor", examples=["1"])


def _evidence(title: str, abstract: str, names: list[str]) -> Evidence | None:
    for field, text in (("title", title), ("abstract", abstract)):
        span = find_span(text, names)
        if span:
            return Evidence(field=field, start=span[0], end=span[1])
    return None


@bentoml.service(resources={"cpu": "1"}, traffic={"timeout": 120})
class Extractor:
    def __init__(self) -> None:
        # fails fast, naming the model URI and how to get one, when there is no champion
        self.loaded = load_champion(
            os.environ.get("NPRE_MODEL_URI", "models:/npre-extractor@champion")
        )

    def _answer(self, document: Document) -> ExtractionResponse:
        found = self.loaded.extractor.extract(document.title, document.abstract)
        relations = [
            Relation(
                organism=organism,
                chemical=chemical,
                organism_evidence=_evidence(
                    document.title, document.abstract, organism_variants(organism)
                ),
                chemical_evidence=_evidence(document.title, document.abstract, [chemical]),
            )
            for organism, chemical in found.relations
        ]
        return ExtractionResponse(
            relations=relations, model=self.loaded.uri, model_version=self.loaded.version
        )

    @bentoml.api
    def extract(
        self,
        title: Title = Field("", examples=[EXAMPLE_TITLE]),
        abstract: AbstractText = Field(examples=[EXAMPLE_ABSTRACT]),
    ) -> ExtractionResponse:
        """Organism-produces-chemical relations stated in one title and abstract."""
        return self._answer(Document(title=title, abstract=abstract))

    @bentoml.api
    def extract_batch(
        self, documents: Annotated[list[Document], Field(min_length=1, max_length=MAX_DOCUMENTS)]
    ) -> list[ExtractionResponse]:
        """The same for several documents (at most NPRE_MAX_DOCUMENTS, default 32)."""
        return [self._answer(document) for document in documents]
