"""The data-quality gate: Great Expectations checkpoints over synthetic documents and input data."""
