"""The experiment grid: every (sampler, training data, adapter method) variant by name.

The names are those of the DVC `matrix` stages (`train@gme-selected-qlora`) and of the
folders they write, so `register` can find each variant's adapter and evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from npre.params import GridParams, SampleParams


@dataclass(frozen=True)
class Variant:
    sampler: str
    data: str
    method: str

    @property
    def name(self) -> str:
        return f"{self.sampler}-{self.data}-{self.method}"


def grid_variants(sample: SampleParams, grid: GridParams) -> list[Variant]:
    """All variants, in the order DVC expands the matrix (samplers, then data, then method)."""
    return [
        Variant(s, d, m)
        for s, d, m in product(dict.fromkeys(sample.samplers), grid.data, grid.methods)
    ]
