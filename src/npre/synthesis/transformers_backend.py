"""The `transformers` backend: a local or hub causal LM, run in-process and batched.

An instruction model gets its chat template around the prompt; a base model (no template,
or `use_chat_template: false`) gets the prompt as text to complete, usually with worked
examples in front (`synthesize.few_shot`) and a stop sequence, since a base model goes on
to write the next example. Batches are left-padded so every row ends where its answer
starts. CUDA is used when present; bfloat16 where the hardware has it.
"""

from __future__ import annotations

import hashlib
import logging
import threading

from npre.config.synthesize_params import TransformersParams
from npre.data.records import Document
from npre.hardware import pick_device, pick_dtype
from npre.synthesis.base import BackendError, GenerationError

log = logging.getLogger(__name__)


def cut_at_stop(text: str, stops: list[str]) -> str:
    """The answer before the first stop sequence (generation of a batch runs until every
    row has stopped, so a row can run past its own stop)."""
    ends = [text.find(stop) for stop in stops if stop]
    ends = [end for end in ends if end >= 0]
    return text[: min(ends)] if ends else text


def batch_seed(seed: int, items: list[tuple[Document, int]]) -> int:
    """One sampling seed per batch, fixed by what is in it: the same batch samples the same."""
    names = "|".join(f"{prompt.PMID}:{index}" for prompt, index in items)
    return int(hashlib.sha256(f"{seed}|{names}".encode()).hexdigest()[:8], 16)


class TransformersBackend:
    name = "transformers"

    def __init__(self, params: TransformersParams):
        if not params.model:
            raise BackendError("synthesize.transformers.model is empty: a folder or a hub id")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.params = params
        self.model = params.model
        self.batch_size = params.batch_size
        self.sampling = {
            "do_sample": params.do_sample,
            "max_new_tokens": params.max_new_tokens,
            "repetition_penalty": params.repetition_penalty,
        }
        if params.do_sample:  # ignored by greedy decoding, so not part of its cache key
            self.sampling |= {"temperature": params.temperature, "top_p": params.top_p}
        self.stop = [stop for stop in params.stop if stop]
        if self.stop:  # an older cache entry had none: it stays valid for stop-less settings
            self.sampling["stop"] = self.stop
        self.device = pick_device(params.device)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(params.model)
            self.lm = AutoModelForCausalLM.from_pretrained(
                params.model, dtype=pick_dtype(params.dtype, self.device)
            )
        except OSError as exc:
            raise BackendError(f"synthesize.transformers.model {params.model!r}: {exc}") from None
        self.lm.to(self.device).eval()
        self.tokenizer.padding_side = "left"  # decoder-only: answers start right after prompts
        self.tokenizer.truncation_side = "left"  # too long: keep the end (the instructions' tail)
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.chat = bool(params.use_chat_template and self.tokenizer.chat_template)
        positions = getattr(self.lm.config, "max_position_embeddings", None) or getattr(
            self.lm.config, "n_positions", None
        )
        self.max_input_tokens = positions - params.max_new_tokens if positions else None
        if self.max_input_tokens is not None and self.max_input_tokens < 16:
            raise BackendError(
                f"synthesize.transformers.max_new_tokens {params.max_new_tokens} leaves no room "
                f"for the prompt in the model's {positions} positions"
            )
        # generate's settings, built once: the cache key's, with `stop` as transformers takes it
        self._generate_kwargs = {k: v for k, v in self.sampling.items() if k != "stop"}
        if self.stop:
            self._generate_kwargs |= {"stop_strings": self.stop, "tokenizer": self.tokenizer}
        self._lock = threading.Lock()  # sampling seeds the global torch RNG
        self._torch = torch
        log.info(
            "transformers backend: %s on %s (chat template: %s)", self.model, self.device, self.chat
        )

    def render(self, text: str) -> str:
        """The model's input for a prompt: its chat template around it, or the plain text."""
        if not self.chat:
            return text
        messages = [{"role": "user", "content": text}]
        return self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )

    def generate(self, prompt: Document, index: int, seed: int) -> str:
        return self.generate_batch([(prompt, index)], seed)[0]

    def generate_batch(self, items: list[tuple[Document, int]], seed: int) -> list[str]:
        torch = self._torch
        texts = [self.render(prompt.prompt or "") for prompt, _ in items]
        try:
            encoded = self.tokenizer(
                texts,
                return_tensors="pt",
                padding=True,
                truncation=self.max_input_tokens is not None,
                max_length=self.max_input_tokens,
                add_special_tokens=not self.chat,  # a chat template writes its own specials
            ).to(self.device)
            with self._lock, torch.inference_mode():
                torch.manual_seed(batch_seed(seed, items))
                output = self.lm.generate(
                    **encoded, pad_token_id=self.tokenizer.pad_token_id, **self._generate_kwargs
                )
        except (RuntimeError, ValueError, IndexError) as exc:  # e.g. CUDA out of memory
            raise GenerationError(f"{type(exc).__name__}: {str(exc)[:200]}") from None
        answers = output[:, encoded["input_ids"].shape[1] :]
        texts = self.tokenizer.batch_decode(answers, skip_special_tokens=True)
        return [cut_at_stop(text.lstrip(), self.stop).strip() for text in texts]
