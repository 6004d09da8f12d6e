"""Shared fixtures: offline settings for every test, and the project root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "BENTOML_DO_NOT_TRACK": "True",
    "GX_ANALYTICS_ENABLED": "False",
    "DVC_NO_ANALYTICS": "1",
}
os.environ.update(OFFLINE_ENV)


@pytest.fixture
def root() -> Path:
    return ROOT


PAIRS = [
    ("Artemisia annua", "artemisinin"),
    ("Taxus brevifolia", "paclitaxel"),
    ("Coptis chinensis", "berberine"),
    ("Papaver somniferum", "morphine"),
    ("Penicillium chrysogenum", "penicillin G"),
    ("Streptomyces griseus", "streptomycin"),
]


def one_relation_documents(abstract: str, count: int):
    """Small labelled documents, one (organism, chemical) relation each; `abstract` is a
    format string with {org} and {chem}."""
    from npre.records import Chemical, Document, Entity

    return [
        Document(
            PMID=str(i),
            ArticleTitle=f"Metabolites of {org}",
            AbstractText=abstract.format(org=org, chem=chem),
            organisms=[Entity(id="o", label=org)],
            chemicals=[Chemical(id="c", label=chem)],
            relations=[("o", "c")],
        )
        for i, (org, chem) in enumerate(PAIRS[:count])
    ]
