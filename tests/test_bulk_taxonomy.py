"""Organisms grounded offline in the NCBI Taxonomy: known ids, genera of `sp.` and
abbreviated names, homonyms left without an id, LOTUS kingdom groups."""

from __future__ import annotations

import json

import pytest

from npre.lotus.taxonomy import UNATTRIBUTED, Taxonomy

# NCBI Taxonomy ids, as NCBI publishes them
KNOWN = {
    "Artemisia annua": 35608,
    "Taxus brevifolia": 46220,
    "Papaver somniferum": 3469,
    "Coptis chinensis": 261450,
    "Catharanthus roseus": 4058,
    "Ginkgo biloba": 3311,
    "Camellia sinensis": 4442,
    "Coffea arabica": 13443,
    "Cannabis sativa": 3483,
    "Penicillium chrysogenum": 5076,
    "Aspergillus niger": 5061,
    "Streptomyces griseus": 1911,
    "Bacillus subtilis": 1423,
    "Pseudomonas aeruginosa": 287,
    "Escherichia coli": 562,
    "Homo sapiens": 9606,
}


@pytest.fixture(scope="module")
def taxonomy():
    return Taxonomy()


def test_species_get_their_ncbi_ids_ranks_and_kingdoms(taxonomy):
    for name, taxid in KNOWN.items():
        found = taxonomy.ground(name)
        assert (found.taxid, found.rank) == (taxid, "species"), name
    assert taxonomy.ground("Artemisia annua").kingdom == "Archaeplastida"
    assert taxonomy.ground("Laurencia obtusa").kingdom == "Archaeplastida"  # a red alga
    assert taxonomy.ground("Aspergillus niger").kingdom == "Fungi"
    assert taxonomy.ground("Sarcophyton glaucum").kingdom == "Metazoa"
    assert taxonomy.ground("Karenia brevis").kingdom == "Protista"
    assert taxonomy.ground("Streptomyces griseus").kingdom == UNATTRIBUTED


def test_genera_of_sp_names_abbreviations_and_strains(taxonomy):
    assert taxonomy.ground("Aspergillus sp.").columns() == {
        "organism_taxid": 5052,
        "organism_rank": "genus",
        "organism_kingdom": "Fungi",
    }
    text = "Artemisia annua L. (Asteraceae) ... A. annua gave artemisinin."
    assert taxonomy.ground("A. annua", text).taxid == 35608  # the genus written out
    assert taxonomy.ground("A. annua").taxid is None  # which A.? no guess
    assert taxonomy.ground("Streptomyces griseus subsp. griseus NBRC 13350").taxid == 1911
    assert taxonomy.ground("artemisia annua").taxid == 35608


def test_homonyms_and_unknown_names_get_no_id(taxonomy):
    assert "Bacillus" in taxonomy.homonyms  # a bacterium and a stick insect
    assert taxonomy.ground("Bacillus").columns() == dict.fromkeys(
        ["organism_taxid", "organism_rank", "organism_kingdom"]
    )
    assert taxonomy.ground("Moorea producens").taxid is None  # NCBI: Moorena producens
    assert taxonomy.ground("a novel compound").taxid is None


def test_every_gold_organism_of_the_demo_set_that_ncbi_names_gets_its_id(taxonomy, root):
    gold = json.loads((root / "data/demo/eval_set.json").read_text())
    names = sorted({o["label"] for document in gold.values() for o in document["organisms"]})
    grounded = {name: taxonomy.ground(name) for name in names}
    named_by_ncbi = [n for n in names if taxonomy.taxid(n) is not None]
    assert all(grounded[n].taxid == taxonomy.taxid(n) for n in named_by_ncbi)
    assert {n: grounded[n].taxid for n in names if n in KNOWN} == {
        n: KNOWN[n] for n in names if n in KNOWN
    }
    # the rest are names the 2024 Taxonomy files under another scientific name
    assert {n for n in names if grounded[n].taxid is None} <= {
        "Moorea producens",
        "Pseudopterogorgia elisabethae",
        "Raphidiopsis raciborskii",
        "Sinularia flexibilis",
    }
