"""Any OpenAI-compatible chat-completions server (vLLM, llama.cpp server, Ollama): timeouts,
retries with backoff, the key read from an environment variable (never logged)."""

from __future__ import annotations

import os

import httpx

from npre.clients.retry import RETRY_STATUSES, Transient, with_retries
from npre.config.synthesize_params import OpenAIParams
from npre.data.records import Document
from npre.synthesis.base import GenerationError


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
