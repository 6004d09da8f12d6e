"""Per-family defaults, read from a model's config: LoRA targets, and how its layers are stored.

A user points `model.base` at any causal LM; what differs between families is named here
once, and every value can be overridden in params (`train.target_modules` etc.).
"""

from __future__ import annotations

from dataclasses import dataclass

ATTENTION_MLP = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass(frozen=True)
class Family:
    name: str
    target_modules: tuple[str, ...]
    fan_in_fan_out: bool = False  # GPT-2's Conv1D layers store their weights transposed


FAMILIES = {
    "gpt2": Family("GPT-2", ("c_attn", "c_proj", "c_fc"), fan_in_fan_out=True),
    "biogpt": Family("BioGPT", ("q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2")),
    "gemma": Family("Gemma", tuple(ATTENTION_MLP)),
    "gemma2": Family("Gemma 2", tuple(ATTENTION_MLP)),
    "gemma3": Family("Gemma 3", tuple(ATTENTION_MLP)),
    "gemma3_text": Family("Gemma 3", tuple(ATTENTION_MLP)),
    "llama": Family("Llama", tuple(ATTENTION_MLP)),
    "mistral": Family("Mistral", tuple(ATTENTION_MLP)),  # BioMistral
    "qwen2": Family("Qwen 2", tuple(ATTENTION_MLP)),
    "qwen3": Family("Qwen 3", tuple(ATTENTION_MLP)),
}


class UnsupportedModel(ValueError):
    """A base model whose family npre has no defaults for, and no override was given."""


def family_of(config) -> Family:
    model_type = getattr(config, "model_type", "")
    if model_type not in FAMILIES:
        raise UnsupportedModel(
            f"model type {model_type!r} has no npre defaults (known: {', '.join(FAMILIES)}); "
            "set train.target_modules and select.teacher.target_modules to its linear layers"
        )
    return FAMILIES[model_type]


def lora_targets(config, requested: list[str] | str) -> list[str]:
    """`requested` as given, or the family's defaults for "auto"."""
    if requested == "auto" or requested == ["auto"]:
        return list(family_of(config).target_modules)
    return list(requested)


def stores_transposed(config) -> bool:
    model_type = getattr(config, "model_type", "")
    return model_type in FAMILIES and FAMILIES[model_type].fan_in_fan_out


def top_layers(config, count: int | None) -> list[int] | None:
    """Indices of the top `count` transformer layers (None: every layer)."""
    if count is None:
        return None
    total = getattr(config, "num_hidden_layers", None) or getattr(config, "n_layer", None)
    if not total:
        raise UnsupportedModel(f"cannot tell the number of layers of {config.model_type!r}")
    return list(range(max(0, total - count), total))
