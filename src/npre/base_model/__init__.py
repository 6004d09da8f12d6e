"""Getting a base model: its source, materialising, loading, family defaults, the tiny GPT-2."""
