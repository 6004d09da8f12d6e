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


def send_json(handler, data: bytes, status: int = 200) -> None:
    """Answer an http.server request with a JSON body (possibly deliberately broken)."""
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def start_loopback_server(handler_class, path: str = "") -> tuple:
    """A threaded HTTP server on a free 127.0.0.1 port: (server, base URL + path)."""
    import threading
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}{path}"
