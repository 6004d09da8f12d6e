"""Generation backends behind one interface: `generate(prompt, index, seed) -> text`.

- `template`: offline and deterministic (the demo default);
- `openai`: any OpenAI-compatible chat-completions server (vLLM, llama.cpp server,
  Ollama), with timeouts, retries with backoff and the key read from an environment
  variable (never logged);
- `transformers`: a local or hub causal LM in-process, batched (`transformers_backend`);
- `llama_cpp`: a GGUF model through llama-cpp-python, the optional extra `npre[llama]`.

A backend may also offer `generate_batch(items, seed)` with a `batch_size`: the runner
then hands it whole batches. `name`, `model` and `sampling` go into every cache key.
"""

from __future__ import annotations

import json
import os
from typing import Protocol

import httpx

from npre.params import OpenAIParams, SynthesizeParams
from npre.records import Document
from npre.retry import RETRY_STATUSES, Transient, with_retries
from npre.synthesis import template


class GenerationError(RuntimeError):
    """A generation failed after every retry; the stage records it and goes on."""


class BackendError(RuntimeError):
    """A backend cannot start (missing extra, missing model): the stage stops with this."""


def missing_extra(what: str, extra: str, exc: ImportError) -> BackendError:
    return BackendError(
        f"{what} needs the optional extra '{extra}': pip install 'npre[{extra}]' ({exc})"
    )


class Backend(Protocol):
    name: str
    model: str
    sampling: dict

    def generate(self, prompt: Document, index: int, seed: int) -> str: ...


class TemplateBackend:
    name, model, sampling = "template", "template-v1", {}

    def generate(self, prompt: Document, index: int, seed: int) -> str:
        return template.generate(prompt, index, seed)

    def identity(self, prompt: Document) -> str:
        """What the template reads besides the prompt text: the cache key includes it."""
        return prompt.model_dump_json(include={"PMID", "organisms", "chemicals", "relations"}) + (
            json.dumps(prompt.extra.get("keywords", []))
        )


class OpenAIBackend:
    name = "openai"

    def __init__(self, params: OpenAIParams):
        self.params = params
        self.model = params.model
        self.sampling = {
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_tokens,
        }
        headers = {}
        key = os.environ.get(params.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self.http = httpx.Client(
            base_url=params.base_url.rstrip("/"), headers=headers, timeout=params.timeout_s
        )

    def generate(self, prompt: Document, index: int, seed: int) -> str:
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt.prompt or ""}],
            "seed": seed + index,
            **self.sampling,
        }

        def attempt() -> str:
            try:
                response = self.http.post("/chat/completions", json=body)
            except httpx.HTTPError as exc:
                raise Transient(type(exc).__name__) from None
            if response.status_code in RETRY_STATUSES:
                raise Transient(f"HTTP {response.status_code}", response.headers.get("Retry-After"))
            if response.status_code != 200:
                raise GenerationError(f"HTTP {response.status_code}: {response.text[:200]}")
            try:
                text = response.json()["choices"][0]["message"]["content"]
                if not isinstance(text, str):
                    raise TypeError("content is not a string")
                return text.strip()
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise Transient(f"malformed answer ({type(exc).__name__}: {exc})") from None

        params = self.params
        return with_retries(
            attempt, params.max_retries, params.backoff_s, prompt.PMID, GenerationError
        )


def make_backend(params: SynthesizeParams, seed: int = 0) -> Backend:
    """The backend `synthesize.backend` names, built from its own sub-section."""
    if params.backend == "openai":
        return OpenAIBackend(params.openai)
    if params.backend == "transformers":
        from npre.synthesis.transformers_backend import TransformersBackend

        return TransformersBackend(params.transformers)
    if params.backend == "llama_cpp":
        from npre.synthesis.llama_cpp_backend import LlamaCppBackend

        return LlamaCppBackend(params.llama_cpp, seed)
    return TemplateBackend()


def concurrency(params: SynthesizeParams) -> int:
    """Parallel requests: only a server is worth several; in-process models batch instead."""
    return params.openai.concurrency if params.backend == "openai" else 1
