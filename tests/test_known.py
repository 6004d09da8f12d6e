"""Known or new against a tiny LOTUS table, with hand-worked answers."""

import pandas as pd
import pytest

from npre.lotus.known import LotusIndex

ROWS = [  # organism, its id, chemical, its id
    ("Artemisia annua", "Q-aa", "artemisinin", "C-art"),
    ("Artemisia annua", "Q-aa", "arteannuin B", "C-arb"),
    ("Taxus brevifolia", "Q-tb", "paclitaxel", "C-pac"),
    ("Achillea annua", "Q-ac", "achillin", "C-ach"),  # "A. annua" is ambiguous
]


@pytest.fixture
def index() -> LotusIndex:
    table = pd.DataFrame(
        ROWS,
        columns=[
            "organism_name",
            "organism_wikidata",
            "structure_nameTraditional",
            "structure_wikidata",
        ],
    )
    return LotusIndex(table, "tiny")


def test_a_relation_lotus_holds_is_known_whatever_the_case(index):
    assert index.annotate("artemisia ANNUA", "Artemisinin") == {
        "status": "known",
        "organism_status": "known",
        "chemical_status": "known",
        "organism_wikidata": "Q-aa",
        "chemical_wikidata": "C-art",
    }


def test_articles_and_periods_do_not_matter(index):
    assert index.annotate("Taxus brevifolia", "the paclitaxel")["status"] == "known"
    assert index.annotate("Taxus brevifolia.", "paclitaxel")["chemical_wikidata"] == "C-pac"


def test_the_g_species_form_matches_both_ways(index):
    # "T. brevifolia" names one LOTUS organism: known, with its id
    found = index.annotate("T. brevifolia", "paclitaxel")
    assert (found["status"], found["organism_wikidata"]) == ("known", "Q-tb")
    # "A. annua" fits Artemisia and Achillea: known, the relation too, but no id guessed
    found = index.annotate("A. annua", "arteannuin B")
    assert (found["status"], found["organism_status"], found["organism_wikidata"]) == (
        "known",
        "known",
        None,
    )


def test_a_known_organism_with_a_new_chemical(index):
    assert index.annotate("Artemisia annua", "scopoletin") == {
        "status": "new",
        "organism_status": "known",
        "chemical_status": "new",
        "organism_wikidata": "Q-aa",
        "chemical_wikidata": None,
    }


def test_two_known_entities_never_reported_together_make_a_new_relation(index):
    found = index.annotate("Artemisia annua", "paclitaxel")
    assert (found["status"], found["organism_status"], found["chemical_status"]) == (
        "new",
        "known",
        "known",
    )


def test_an_organism_lotus_lacks(index):
    found = index.annotate("Coptis chinensis", "berberine")
    assert (found["status"], found["organism_status"], found["chemical_status"]) == (
        "new",
        "new",
        "new",
    )


def test_a_table_without_the_columns_is_refused_by_name():
    with pytest.raises(ValueError, match="organism_wikidata"):
        LotusIndex(pd.DataFrame({"organism_name": ["x"]}), "broken.parquet")


def test_the_snapshot_names_the_file_and_its_content(tmp_path):
    from npre.lotus.known import COLUMNS

    path = tmp_path / "relations.parquet"
    pd.DataFrame([ROWS[0]], columns=COLUMNS).to_parquet(path)
    index = LotusIndex.from_file(path)
    assert index.snapshot.startswith("relations.parquet@sha256:")
    assert index.annotate("A. annua", "artemisinin")["organism_wikidata"] == "Q-aa"
