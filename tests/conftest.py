"""Shared fixtures: offline settings for every test, and the project root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import ROOT

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
