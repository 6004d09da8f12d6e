"""`RelationExtractor`: the one inference path (evaluate, the MLflow model, the service)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from npre.modeling.linearize import parse_relations
from npre.modeling.tokens import prompt_ids
from npre.params import DecodingParams

CONFIG_FILE = "extractor.json"


@dataclass
class Extraction:
    relations: list[tuple[str, str]]
    malformed: int
    raw: str


@dataclass
class ExtractorConfig:
    max_input_chars: int
    max_length: int
    decoding: dict

    def save(self, directory: Path) -> None:
        (Path(directory) / CONFIG_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> ExtractorConfig:
        return cls(**json.loads((Path(directory) / CONFIG_FILE).read_text()))


class RelationExtractor:
    """Base model (+ optional LoRA adapter) + tokenizer + decoding settings."""

    def __init__(self, model, tokenizer, config: ExtractorConfig):
        self.model = model
        self.tokenizer = tokenizer
        self.config = config
        self.decoding = DecodingParams.model_validate(config.decoding)

    @classmethod
    def load(
        cls,
        base_dir: Path,
        adapter_dir: Path | None,
        config: ExtractorConfig,
        num_threads: int | None = None,
    ):
        import torch

        from npre.modeling.loading import load_base_model, load_tokenizer

        if num_threads:
            torch.set_num_threads(num_threads)
        tokenizer = load_tokenizer(base_dir)
        model = load_base_model(base_dir)
        if adapter_dir is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(adapter_dir))
            model = model.merge_and_unload()  # same outputs, faster decoding
        model.eval()
        return cls(model, tokenizer, config)

    def extract(self, title: str, abstract: str) -> Extraction:
        """Relations stated in one document (greedy or beam decoding, as configured)."""
        import torch

        cfg, dec = self.config, self.decoding
        budget = max(cfg.max_length - dec.max_new_tokens, 8) - 2
        ids = prompt_ids(self.tokenizer, title, abstract, cfg.max_input_chars, budget)
        limit = getattr(self.model.config, "n_positions", None) or getattr(
            self.model.config, "max_position_embeddings", 1024
        )
        max_new = max(1, min(dec.max_new_tokens, limit - len(ids)))
        device = next(self.model.parameters()).device
        input_ids = torch.tensor([ids], device=device)
        processors = None
        if dec.copy_constrained:
            from transformers import LogitsProcessorList

            from npre.modeling.constraints import CopyConstraintProcessor, grammar_for

            grammar = grammar_for(self.tokenizer, ids[:-2])  # the source, without </s><s>
            processors = LogitsProcessorList([CopyConstraintProcessor(grammar, len(ids))])
        with torch.no_grad():
            output = self.model.generate(
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                max_new_tokens=max_new,
                do_sample=False,
                num_beams=dec.num_beams,
                length_penalty=dec.length_penalty,
                no_repeat_ngram_size=dec.no_repeat_ngram_size or None,
                eos_token_id=self.tokenizer.eos_token_id,
                pad_token_id=self.tokenizer.pad_token_id,
                logits_processor=processors,
            )
        raw = self.tokenizer.decode(output[0, len(ids) :], skip_special_tokens=True)
        parsed = parse_relations(raw)
        return Extraction(parsed.pairs, parsed.malformed, raw)
