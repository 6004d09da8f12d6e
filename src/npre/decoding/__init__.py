"""Inference: `RelationExtractor` and its copy-constrained greedy decoding with a KV cache."""
