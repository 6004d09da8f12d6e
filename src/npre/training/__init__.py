"""(Q)LoRA fine-tuning: the one training loop, the label-only loss head, per-document losses."""
