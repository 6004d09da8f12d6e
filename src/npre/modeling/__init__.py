"""Causal-LM relation extraction: linearisation, base model, (Q)LoRA training, inference."""
