"""The API's request and response shapes (pydantic, with the examples shown in OpenAPI)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from npre.text.evidence import relation_evidence

EXAMPLE_TITLE = "Sesquiterpene lactones from the aerial parts of Artemisia annua"
EXAMPLE_ABSTRACT = (
    "Chemical investigation of the aerial parts of Artemisia annua led to the isolation of "
    "artemisinin and arteannuin B. Their structures were elucidated by NMR spectroscopy."
)


class Found(BaseModel):
    """What the model service answers for one document (internal)."""

    relations: list[tuple[str, str]]
    confidences: list[float]  # of each relation
    known: list[dict] | None = None  # LotusIndex.annotate of each relation
    model: str
    model_version: str
    lotus_snapshot: str | None = None


class Evidence(BaseModel):
    field: str = Field(description="'title' or 'abstract'", examples=["abstract"])
    start: int = Field(description="character offset of the first occurrence", examples=[44])
    end: int = Field(examples=[59])


Status = Literal["known", "new"]


class Relation(BaseModel):
    organism: str = Field(examples=["Artemisia annua"])
    chemical: str = Field(examples=["artemisinin"])
    confidence: float = Field(
        ge=0.0,
        le=1.0,
        description="the relation's probability under the model (its tokens, and going on "
        "rather than ending the answer before it)",
        examples=[0.93],
    )
    organism_evidence: Evidence | None = None
    chemical_evidence: Evidence | None = None
    status: Status | None = Field(
        None, description="does LOTUS (lotus_snapshot) hold this relation already?"
    )
    organism_status: Status | None = Field(None, description="does LOTUS know the organism?")
    chemical_status: Status | None = Field(None, description="does LOTUS know the chemical?")
    organism_wikidata: str | None = Field(None, description="when LOTUS names one organism")
    chemical_wikidata: str | None = Field(None, description="when LOTUS names one structure")


class ExtractionResponse(BaseModel):
    relations: list[Relation]
    model: str = Field(
        description="the model that answered: a models:/ URI or a BentoML store tag",
        examples=["models:/npre-extractor@champion"],
    )
    model_version: str = Field(description="registered version of npre-extractor", examples=["1"])
    lotus_snapshot: str | None = Field(
        None,
        description="the LOTUS relations table that `status` compares against (file@sha256)",
        examples=["relations.parquet@sha256:0123456789ab"],
    )


def to_response(
    title: str, abstract: str, found: Found, min_confidence: float = 0.0
) -> ExtractionResponse:
    """The relations at or above `min_confidence`, with where their names first occur in
    the input (evidence)."""
    known = found.known or [{} for _ in found.relations]
    relations = [
        Relation(
            organism=organism,
            chemical=chemical,
            confidence=round(confidence, 4),
            **relation_evidence(title, abstract, organism, chemical),
            **status,
        )
        for (organism, chemical), confidence, status in zip(
            found.relations, found.confidences, known, strict=True
        )
        if confidence >= min_confidence
    ]
    return ExtractionResponse(
        relations=relations,
        model=found.model,
        model_version=found.model_version,
        lotus_snapshot=found.lotus_snapshot,
    )
