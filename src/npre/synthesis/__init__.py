"""Synthetic abstracts from prompts: generation backends behind one interface."""
