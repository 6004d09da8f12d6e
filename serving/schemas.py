"""The API's request and response shapes (pydantic, with the examples shown in OpenAPI)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from npre.matching import find_span, organism_variants

EXAMPLE_TITLE = "Sesquiterpene lactones from the aerial parts of Artemisia annua"
EXAMPLE_ABSTRACT = (
    "Chemical investigation of the aerial parts of Artemisia annua led to the isolation of "
    "artemisinin and arteannuin B. Their structures were elucidated by NMR spectroscopy."
)


class Found(BaseModel):
    """What the model service answers for one document (internal)."""

    relations: list[tuple[str, str]]
    model: str
    model_version: str


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
        description="the model that answered: a models:/ URI or a BentoML store tag",
        examples=["models:/npre-extractor@champion"],
    )
    model_version: str = Field(description="registered version of npre-extractor", examples=["1"])


def _evidence(title: str, abstract: str, names: list[str]) -> Evidence | None:
    for field, text in (("title", title), ("abstract", abstract)):
        span = find_span(text, names)
        if span:
            return Evidence(field=field, start=span[0], end=span[1])
    return None


def to_response(title: str, abstract: str, found: Found) -> ExtractionResponse:
    """The relations with where their names first occur in the input (evidence)."""
    relations = [
        Relation(
            organism=organism,
            chemical=chemical,
            organism_evidence=_evidence(title, abstract, organism_variants(organism)),
            chemical_evidence=_evidence(title, abstract, [chemical]),
        )
        for organism, chemical in found.relations
    ]
    return ExtractionResponse(
        relations=relations, model=found.model, model_version=found.model_version
    )
