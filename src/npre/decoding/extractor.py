"""`RelationExtractor`: the one inference path (evaluate, the MLflow model, the service)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from npre.config.model_params import DecodingParams
from npre.linearization.answers import scored_answers
from npre.linearization.format import Linearization
from npre.linearization.parsing import parse_output_ids
from npre.linearization.tokens import layout, prompt_ids, source_of_prompt

CONFIG_FILE = "extractor.json"


@dataclass
class Extraction:
    relations: list[tuple[str, str]]
    malformed: int
    raw: str
    # each relation's probability under the model: its written tokens, and the choice to
    # go on rather than end the answer before it (`npre.linearization.parsing`)
    confidences: list[float] = field(default_factory=list)

    def above(self, min_confidence: float) -> Extraction:
        """The relations whose confidence reaches `min_confidence`."""
        kept = [i for i, c in enumerate(self.confidences) if c >= min_confidence]
        return Extraction(
            [self.relations[i] for i in kept],
            self.malformed,
            self.raw,
            [self.confidences[i] for i in kept],
        )


@dataclass
class ExtractorConfig:
    """What an adapter folder records beside the weights: the input budget it was trained
    with and the decoding settings it answers with (`extractor.json`)."""

    max_input_chars: int
    max_length: int
    decoding: DecodingParams
    linearization: Linearization = "pairs"  # what the adapter was trained to write

    def save(self, directory: Path) -> None:
        record = {**asdict(self), "decoding": self.decoding.model_dump()}
        (Path(directory) / CONFIG_FILE).write_text(json.dumps(record, indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> ExtractorConfig:
        record = json.loads((Path(directory) / CONFIG_FILE).read_text())
        return cls(**{**record, "decoding": DecodingParams.model_validate(record["decoding"])})


class RelationExtractor:
    """Base model (+ optional LoRA adapter) + tokenizer + decoding settings."""

    def __init__(self, model, tokenizer, config: ExtractorConfig):
        self.model = model
        self.tokenizer = tokenizer
        self.config = config
        self.decoding = config.decoding

    @classmethod
    def load(
        cls,
        base_dir: Path,
        adapter_dir: Path | None,
        config: ExtractorConfig,
        num_threads: int | None = None,
    ):
        import torch

        from npre.base_model.loading import load_base_model, load_tokenizer
        from npre.hardware import use_bf16

        if num_threads:
            torch.set_num_threads(num_threads)
        tokenizer = load_tokenizer(base_dir)
        model = load_base_model(base_dir)
        if adapter_dir is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(adapter_dir))
            model = model.merge_and_unload()  # same outputs, faster decoding
        if use_bf16(config.decoding.precision):
            model = model.to(torch.bfloat16)  # half the memory traffic per decoding step
        model.eval()
        return cls(model, tokenizer, config)

    def extract(self, title: str, abstract: str) -> Extraction:
        """Relations stated in one document (greedy or beam decoding, as configured).

        The same code path as `extract_many`, with a batch of one.
        """
        return self.extract_many([(title, abstract)])[0]

    def prompt(self, title: str, abstract: str) -> list[int]:
        """The prompt ids of one document: its source as in training (max_length less the
        prompt's special tokens); the output gets max_new_tokens on top, as far as the
        position table allows."""
        spec = layout(self.tokenizer)
        budget = max(self.config.max_length - len(spec.prefix) - len(spec.boundary), 8)
        return prompt_ids(self.tokenizer, title, abstract, self.config.max_input_chars, budget)

    def extract_many(
        self,
        documents: Sequence[tuple[str, str]],
        batch_size: int | None = None,
        progress: Callable[[int], object] | None = None,
    ) -> list[Extraction]:
        """Relations of many `(title, abstract)` documents, one `generate` call per batch.

        Prompts are left-padded to a common width (generate derives GPT-2 position ids
        from the attention mask, so each row sees the positions it would see alone).
        `batch_size` caps the rows per call (default: all); documents are batched by
        prompt length, so little padding is computed. Results are in input order;
        `progress(n)` is called after each batch of `n` documents.
        """
        dec = self.decoding
        prompts = [self.prompt(title, abstract) for title, abstract in documents]
        limit = getattr(self.model.config, "n_positions", None) or getattr(
            self.model.config, "max_position_embeddings", 1024
        )
        # a document's output budget: max_new_tokens, less what the position table lacks
        budgets = [max(1, min(dec.max_new_tokens, limit - len(ids))) for ids in prompts]
        # one generate call needs one budget: group by it (nearly always one group)
        order = sorted(range(len(prompts)), key=lambda i: (budgets[i], len(prompts[i])))
        size = batch_size or len(prompts) or 1
        results: list[Extraction | None] = [None] * len(prompts)
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and end - start < size:
                if budgets[order[end]] != budgets[order[start]]:
                    break
                end += 1
            rows = order[start:end]
            outputs = self._generate([prompts[i] for i in rows], budgets[rows[0]])
            passes = self._organism_passes([prompts[i] for i in rows], outputs, budgets[rows[0]])
            for i, (output, logprobs), more in zip(rows, outputs, passes, strict=True):
                raw = self.tokenizer.decode(output, skip_special_tokens=True)
                parsed = self._parse(output, logprobs)
                pairs, confidences = list(parsed.pairs), list(parsed.confidences)
                for ids, logprobs_of_pass in more:
                    extra = self._parse(ids, logprobs_of_pass)
                    pairs += extra.pairs
                    confidences += extra.confidences
                title, abstract = documents[i]
                text = f"{title}\n{abstract}"
                answers = scored_answers(pairs, confidences, text)
                pairs = [pair for pair, _ in answers]
                confidences = [confidence for _, confidence in answers]
                results[i] = Extraction(pairs, parsed.malformed, raw, confidences)
            if min_confidence := self.decoding.min_confidence:
                for i in rows:
                    results[i] = results[i].above(min_confidence)
            if progress is not None:
                progress(len(rows))
            start = end
        return results  # type: ignore[return-value]

    def _parse(self, ids: list[int], logprobs: list[float]):
        return parse_output_ids(self.tokenizer, ids, logprobs, self.config.linearization)

    def _organism_passes(
        self, prompts: list[list[int]], outputs: list[tuple[list[int], list[float]]], budget: int
    ) -> list[list[tuple[list[int], list[float]]]]:
        """Each document's extra answers from `decoding.organism_passes` (none when off)."""
        if not self.decoding.organism_passes:
            return [[] for _ in prompts]
        from npre.decoding.organism_passes import organism_pass_outputs

        return organism_pass_outputs(self, prompts, [ids for ids, _ in outputs], budget)

    def _generate(
        self, prompts: list[list[int]], max_new_tokens: int
    ) -> list[tuple[list[int], list[float]]]:
        """Generated ids (up to and without the first </s>) of each left-padded prompt, with
        the log-probability of each id (and of the </s>, last, when one was written)."""
        import torch

        dec = self.decoding
        eos, pad = self.tokenizer.eos_token_id, self.tokenizer.pad_token_id
        width = max(len(ids) for ids in prompts)
        device = next(self.model.parameters()).device
        input_ids = torch.tensor(
            [[pad] * (width - len(ids)) + ids for ids in prompts], device=device
        )
        attention_mask = torch.tensor(
            [[0] * (width - len(ids)) + [1] * len(ids) for ids in prompts], device=device
        )
        processors = None
        if dec.copy_constrained:
            from transformers import LogitsProcessorList

            from npre.decoding.constraints import CopyConstraintProcessor, grammar_for
            from npre.decoding.greedy import greedy_decode, supports_pruned_greedy

            grammars = [
                grammar_for(
                    self.tokenizer,
                    source_of_prompt(self.tokenizer, ids),
                    self.config.linearization,
                )
                for ids in prompts
            ]
            if dec.num_beams == 1 and supports_pruned_greedy(self.model):
                with torch.no_grad(), self._autocast(device):
                    return greedy_decode(
                        self.model,
                        prompts,
                        grammars,
                        pad,
                        max_new_tokens,
                        dec.stop_penalty,
                        dec.lookahead,
                    )
            processors = LogitsProcessorList(
                [CopyConstraintProcessor(grammars, width, dec.num_beams, dec.stop_penalty)]
            )
        with torch.no_grad(), self._autocast(device):
            output = self.model.generate(
                input_ids=input_ids,
                attention_mask=attention_mask,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                num_beams=dec.num_beams,
                length_penalty=dec.length_penalty,
                no_repeat_ngram_size=dec.no_repeat_ngram_size or None,
                eos_token_id=eos,
                pad_token_id=pad,
                logits_processor=processors,
                output_scores=True,
                return_dict_in_generate=True,
            )
            # the scores the choices saw (constraints applied), renormalised per step
            steps = self.model.compute_transition_scores(
                output.sequences,
                output.scores,
                getattr(output, "beam_indices", None),
                normalize_logits=True,
            ).tolist()
        generated = []
        for row, logprobs in zip(output.sequences[:, width:].tolist(), steps, strict=True):
            ids = row[: row.index(eos)] if eos in row else row
            generated.append((ids, logprobs[: len(ids) + (eos in row)]))
        return generated

    def _autocast(self, device):
        """bf16 autocast where the precision asks for it and some weights are still fp32
        (a model in training: its frozen embedding may be bf16 already, its LoRA is not)."""
        import torch

        from npre.hardware import use_bf16

        still_fp32 = any(p.dtype == torch.float32 for p in self.model.parameters())
        enabled = use_bf16(self.decoding.precision) and still_fp32
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)
