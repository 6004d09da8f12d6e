"""The experiment grid: every (sampler, training data, adapter method) variant by name.

The names are those of the DVC `matrix` stages (`train@gme-selected-qlora`) and of the
folders they write, so `register` can find each variant's adapter and evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from npre.config.params import GridParams, SampleParams


class GridError(ValueError):
    pass


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
    unknown = [s for s in grid.samplers if s not in sample.samplers]
    if unknown:
        raise GridError(
            f"grid.samplers {unknown} not in sample.samplers {sample.samplers}: "
            "add them there (the sample stage draws their references)"
        )
    return [
        Variant(s, d, m)
        for s, d, m in product(dict.fromkeys(grid.samplers), grid.data, grid.methods)
    ]
