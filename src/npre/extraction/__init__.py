"""Extraction with a registered model: loading the champion, bulk extraction, evidence spans."""
