"""Names as LOTUS writes them, from the spans an extractor copies (hand-worked answers)."""

from npre.linearization.answers import answer_relations
from npre.text.names import is_chemical_name, is_organism_name, organism_name

TEXT = (
    "Terpenes of Sarcophyton (S. glaucum, S. ehrenbergi) colonies and of "
    "Scutellaria baicalensis Georgi roots; Aspergillus sp. and Streptomyces coelicolor "
    "NBRC 13063(T) gave xylarosides a, b1 and b2."
)


def test_organisms_are_named_at_species_or_genus_rank():
    assert organism_name("Aspergillus sp.") == "Aspergillus"
    assert organism_name("Salvia species") == "Salvia"
    assert organism_name("Penicillium spp") == "Penicillium"
    assert organism_name("Penicillium sp. strain X1") == "Penicillium"
    assert organism_name("Mentha spicata var. crispa") == "Mentha spicata"
    assert organism_name("Streptomyces coelicolor A3(2)") == "Streptomyces coelicolor"
    assert organism_name("Vitis vinifera sylvestris GMELIN") == "Vitis vinifera"
    assert organism_name("Scutellaria baicalensis Georgi") == "Scutellaria baicalensis"
    assert organism_name("Bacillus subtilis") == "Bacillus subtilis"
    assert organism_name("sp.") == "sp"  # no taxon left: the span less its final period


def test_an_abbreviated_genus_is_written_out_from_the_text():
    assert organism_name("S. glaucum", TEXT) == "Sarcophyton glaucum"
    assert organism_name("S. baicalensis", TEXT) == "Scutellaria baicalensis"
    assert organism_name("X. fastidiosa", TEXT) == "X. fastidiosa"  # no such genus named
    assert organism_name("S. glaucum") == "S. glaucum"  # no text


def test_a_genus_glued_to_the_word_before_is_still_found():
    text = "Soft corals of the Red SeaSarcophyton (S. glaucum, S. ehrenbergi) gave"
    assert organism_name("S. glaucum", text) == "Sarcophyton glaucum"


def test_spans_that_name_no_organism():
    assert not is_organism_name("E)-ocimene (2Z,4E)-decadienal (1")
    assert not is_organism_name("Lamiaceae, Rosaceae")
    assert not is_organism_name("sp")
    assert is_organism_name("Sarcophyton glaucum")
    assert is_organism_name("Ginseng Radix")
    assert is_organism_name("Pseudo-nitzschia")


def test_spans_that_name_no_chemical():
    assert not is_chemical_name("(1);")
    assert not is_chemical_name("2, 3")
    assert not is_chemical_name("a novel")
    assert not is_chemical_name("E. angustifolia")
    assert not is_chemical_name("Hypericum", {"hypericum"})
    assert is_chemical_name("GA4")
    assert is_chemical_name("7beta-hydroxysitosterol")
    assert is_chemical_name("baicalein", {"scutellaria baicalensis"})


def test_answers_expand_series_name_taxa_and_drop_non_names():
    pairs = [
        ("Aspergillus sp.", "xylarosides a, b1 and b2"),
        ("S. glaucum", "2, 3"),
        ("S. glaucum", "germacrene A"),
        ("Aspergillus", "xylaroside a"),
    ]
    assert answer_relations(pairs, TEXT) == [
        ("Aspergillus", "xylaroside a"),
        ("Aspergillus", "xylaroside b1"),
        ("Aspergillus", "xylaroside b2"),
        ("Sarcophyton glaucum", "germacrene A"),
    ]
