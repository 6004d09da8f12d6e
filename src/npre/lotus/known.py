"""Known or new: does LOTUS already hold an extracted relation, organism or chemical?

The point of extraction is to complete LOTUS, so a curator needs to see which answers are
new. Names are compared the way the paper's metric normalises them (case, periods, the
articles "an"/"the", whitespace); an organism also matches in its "G. species" form
("A. annua" for "Artemisia annua"). An abbreviation that fits several
LOTUS organisms is known, but gets no Wikidata id (it would be a guess). The table is the
pipeline's relations table (`data/interim/relations.parquet`), the one the champion was
trained from, packed with the model; `snapshot` names it in every answer.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

import pandas as pd

from npre.scoring.metric import normalise
from npre.text.matching import organism_variants

COLUMNS = ["organism_name", "organism_wikidata", "structure_nameTraditional", "structure_wikidata"]


def snapshot_of(path: Path) -> str:
    """A relations table's name in answers: its file name and content hash."""
    path = Path(path)
    return f"{path.name}@sha256:{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"


def _one(ids: set[str]) -> str | None:
    return next(iter(ids)) if len(ids) == 1 else None


class LotusIndex:
    """Normalised organism and chemical names of a relations table, and its pairs."""

    def __init__(self, table: pd.DataFrame, snapshot: str):
        missing = [c for c in COLUMNS if c not in table.columns]
        if missing:
            raise ValueError(f"LOTUS table ({snapshot}) lacks column(s): {', '.join(missing)}")
        self.snapshot = snapshot
        self.organisms: dict[str, set[str]] = defaultdict(set)
        self.chemicals: dict[str, set[str]] = defaultdict(set)
        self.pairs: set[tuple[str, str]] = set()
        rows = table[COLUMNS].dropna().itertuples(index=False)
        for organism, organism_id, chemical, chemical_id in rows:
            for variant in organism_variants(str(organism)):
                self.organisms[normalise(variant)].add(str(organism_id))
            self.chemicals[normalise(str(chemical))].add(str(chemical_id))
            self.pairs.add((str(organism_id), str(chemical_id)))

    @classmethod
    def from_file(cls, path: Path) -> LotusIndex:
        """The index of a relations parquet, named by its `snapshot_of`."""
        return cls(pd.read_parquet(path, columns=COLUMNS), snapshot_of(path))

    def _organism_ids(self, name: str) -> set[str]:
        # the table holds each organism's full and "G. species" keys: one lookup serves
        # both forms of the extracted name (abbreviating a full name would only add guesses)
        return self.organisms.get(normalise(name), set())

    def annotate(self, organism: str, chemical: str) -> dict:
        """Status and Wikidata ids of one extracted relation and of its two entities."""
        organism_ids = self._organism_ids(organism)
        chemical_ids = self.chemicals.get(normalise(chemical), set())
        known = any((o, c) in self.pairs for o in organism_ids for c in chemical_ids)
        return {
            "status": "known" if known else "new",
            "organism_status": "known" if organism_ids else "new",
            "chemical_status": "known" if chemical_ids else "new",
            "organism_wikidata": _one(organism_ids),
            "chemical_wikidata": _one(chemical_ids),
        }
