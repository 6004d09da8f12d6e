"""npre: organism-produces-chemical relation extraction from LOTUS, as one DVC pipeline."""

__version__ = "0.1.0"
