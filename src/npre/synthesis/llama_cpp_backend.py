"""The `llama_cpp` backend: a GGUF model in-process through llama-cpp-python (as in the paper).

An instruction model answers through its chat template; a base model (`completion: true`)
completes the prompt text, usually behind worked examples (`synthesize.few_shot`) and with
a stop sequence. llama-cpp-python is the optional extra `npre[llama]` (it compiles
llama.cpp when no wheel fits the machine), so it is imported only when this backend is
chosen.
"""

from __future__ import annotations

import threading
from pathlib import Path

from npre.config.synthesize_params import LlamaCppParams
from npre.data.records import Document
from npre.synthesis.base import BackendError, GenerationError, missing_extra


class LlamaCppBackend:
    name = "llama_cpp"

    def __init__(self, params: LlamaCppParams, seed: int = 0):
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise missing_extra("synthesize.backend 'llama_cpp'", "llama", exc) from None
        path = Path(params.model_path)
        if not params.model_path or not path.is_file():
            raise BackendError(
                f"synthesize.llama_cpp.model_path: no GGUF file at {params.model_path!r}"
            )
        self.params = params
        self.model = path.name
        self.sampling = {
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_tokens,
        }
        if params.stop:  # older cache entries had none: they stay valid for stop-less settings
            self.sampling["stop"] = list(params.stop)
        self.completion = params.completion
        try:
            self.llm = Llama(
                model_path=str(path),
                n_ctx=params.n_ctx,
                n_gpu_layers=params.n_gpu_layers,
                chat_format=params.chat_format,
                seed=seed,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise BackendError(f"synthesize.llama_cpp.model_path {str(path)!r}: {exc}") from None
        self._lock = threading.Lock()  # one llama.cpp context: one request at a time

    def generate(self, prompt: Document, index: int, seed: int) -> str:
        try:
            with self._lock:
                if self.completion:
                    answer = self.llm.create_completion(
                        prompt=prompt.prompt or "", seed=seed + index, **self.sampling
                    )
                    text = answer["choices"][0]["text"]
                else:
                    messages = [{"role": "user", "content": prompt.prompt or ""}]
                    answer = self.llm.create_chat_completion(
                        messages=messages, seed=seed + index, **self.sampling
                    )
                    text = answer["choices"][0]["message"]["content"]
        except (ValueError, RuntimeError, KeyError, IndexError, TypeError) as exc:
            raise GenerationError(f"{type(exc).__name__}: {str(exc)[:200]}") from None
        return (text or "").strip()
