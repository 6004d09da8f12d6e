"""The npre extraction API: a BentoML service serving the MLflow registry's champion.

    bentoml serve serving.service:Extractor --host 127.0.0.1 --port 3000

The model is `models:/npre-extractor@champion` (override with NPRE_MODEL_URI) from the
tracking backend in MLFLOW_TRACKING_URI (default: sqlite:///mlflow.db in the working
directory). It runs the same `RelationExtractor` as `npre evaluate`, so served relations
equal evaluated ones.
"""

from __future__ import annotations

import os

import bentoml
from pydantic import BaseModel, Field

with bentoml.importing():
    from npre.service_model import load_champion

EXAMPLE_TITLE = "Sesquiterpene lactones from the aerial parts of Artemisia annua"
EXAMPLE_ABSTRACT = (
    "Chemical investigation of the aerial parts of Artemisia annua led to the isolation of "
    "artemisinin and arteannuin B. Their structures were elucidated by NMR spectroscopy."
)


class Relation(BaseModel):
    organism: str = Field(examples=["Artemisia annua"])
    chemical: str = Field(examples=["artemisinin"])


class ExtractionResponse(BaseModel):
    relations: list[Relation]
    model_version: str = Field(description="registered version of npre-extractor that answered")


@bentoml.service(resources={"cpu": "1"}, traffic={"timeout": 120})
class Extractor:
    def __init__(self) -> None:
        uri = os.environ.get("NPRE_MODEL_URI", "models:/npre-extractor@champion")
        self.loaded = load_champion(uri)

    @bentoml.api
    def extract(
        self,
        title: str = Field(examples=[EXAMPLE_TITLE]),
        abstract: str = Field(examples=[EXAMPLE_ABSTRACT]),
    ) -> ExtractionResponse:
        """Organism-produces-chemical relations stated in one title and abstract."""
        found = self.loaded.extractor.extract(title, abstract)
        return ExtractionResponse(
            relations=[Relation(organism=o, chemical=c) for o, c in found.relations],
            model_version=self.loaded.version,
        )
