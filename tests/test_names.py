"""Names as LOTUS writes them, from the spans an extractor copies (hand-worked answers)."""

from npre.modeling.answers import answer_relations
from npre.text.names import is_chemical_name, is_organism_name, organism_name

TEXT = (
    "Terpenes of Nasutitermes (N. gracilirostris, N. torresi) soldiers and of "
    "Scutellaria baicalensis Georgi roots; Montipora sp. and Streptomyces misionensis "
    "NBRC 13063(T) gave saikosaponins a, b1 and b2."
)


def test_organisms_are_named_at_species_or_genus_rank():
    assert organism_name("Montipora sp.") == "Montipora"
    assert organism_name("Ephedra species") == "Ephedra"
    assert organism_name("Paleosuchus spp") == "Paleosuchus"
    assert organism_name("Penicillium sp. strain X1") == "Penicillium"
    assert organism_name("Lupinus argenteus var. stenophyllus") == "Lupinus argenteus"
    assert organism_name("Streptomyces misionensis NBRC 13063(T)") == "Streptomyces misionensis"
    assert organism_name("Bufo bufo gargorizans CANTOR") == "Bufo bufo"
    assert organism_name("Scutellaria baicalensis Georgi") == "Scutellaria baicalensis"
    assert organism_name("Bacillus subtilis") == "Bacillus subtilis"
    assert organism_name("sp.") == "sp"  # no taxon left: the span less its final period


def test_an_abbreviated_genus_is_written_out_from_the_text():
    assert organism_name("N. torresi", TEXT) == "Nasutitermes torresi"
    assert organism_name("S. baicalensis", TEXT) == "Scutellaria baicalensis"
    assert organism_name("X. fastidiosa", TEXT) == "X. fastidiosa"  # no such genus named
    assert organism_name("N. torresi") == "N. torresi"  # no text


def test_a_genus_glued_to_the_word_before_is_still_found():
    text = "In five New GuineaNasutitermes (N. gracilirostris, N. torresi) species"
    assert organism_name("N. torresi", text) == "Nasutitermes torresi"


def test_spans_that_name_no_organism():
    assert not is_organism_name("E)-phytol (5Z,8Z)-eicosapentaenoate (1")
    assert not is_organism_name("Crocodylia, Reptilia")
    assert not is_organism_name("sp")
    assert is_organism_name("Nasutitermes torresi")
    assert is_organism_name("Bupleuri Radix")
    assert is_organism_name("Pseudo-nitzschia")


def test_spans_that_name_no_chemical():
    assert not is_chemical_name("(1);")
    assert not is_chemical_name("2, 3")
    assert not is_chemical_name("a novel")
    assert not is_chemical_name("E. angustifolia")
    assert not is_chemical_name("Echinacea", {"echinacea"})
    assert is_chemical_name("GA4")
    assert is_chemical_name("7beta-hydroxysitosterol")
    assert is_chemical_name("baicalein", {"scutellaria baicalensis"})


def test_answers_expand_series_name_taxa_and_drop_non_names():
    pairs = [
        ("Montipora sp.", "saikosaponins a, b1 and b2"),
        ("N. torresi", "2, 3"),
        ("N. torresi", "germacrene A"),
        ("Montipora", "saikosaponin a"),
    ]
    assert answer_relations(pairs, TEXT) == [
        ("Montipora", "saikosaponin a"),
        ("Montipora", "saikosaponin b1"),
        ("Montipora", "saikosaponin b2"),
        ("Nasutitermes torresi", "germacrene A"),
    ]
