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

from npre.config.synthesize_params import SynthesizeParams
from npre.data.records import Document
from npre.synthesis import template
from npre.synthesis.base import Backend


class TemplateBackend:
    name, model, sampling = "template", "template-v1", {}

    def generate(self, prompt: Document, index: int, seed: int) -> str:
        return template.generate(prompt, index, seed)

    def identity(self, prompt: Document) -> str:
        """What the template reads besides the prompt text: the cache key includes it."""
        return prompt.model_dump_json(include={"PMID", "organisms", "chemicals", "relations"}) + (
            json.dumps(prompt.extra.get("keywords", []))
        )


def make_backend(params: SynthesizeParams, seed: int = 0) -> Backend:
    """The backend `synthesize.backend` names, built from its own sub-section."""
    if params.backend == "openai":
        from npre.synthesis.openai_backend import OpenAIBackend

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
