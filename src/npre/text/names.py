"""Names as LOTUS writes them: organisms at species or genus rank, chemicals that are names.

The extractor copies spans of the text, and a text names an organism with more than
LOTUS keeps: "Aspergillus sp.", "Streptomyces coelicolor A3(2)", "Vitis vinifera
sylvestris Gmelin", "S. glaucum" after "Sarcophyton". LOTUS (and the curated sets
built on it) names the taxon: "Aspergillus", "Streptomyces coelicolor", "Vitis vinifera",
"Sarcophyton glaucum". A copied span can also be no name at all ("a", "(1);", "2, 3").
"""

from __future__ import annotations

import re

from npre.text.stopwords import STOPWORDS

# a rank or qualifier word: what follows it is below the species (or no taxon at all)
QUALIFIER = re.compile(
    r"\s+(?:sp|spp|species|strain|strains|str|var|subsp|ssp|cv|f|forma|isolate|aff|cf)\b.*$",
    re.IGNORECASE,
)
ABBREVIATED_GENUS = re.compile(r"^(?P<initial>[A-Z])\.\s*(?P<rest>[a-z][a-z-]+.*)$")
LETTERS = re.compile(r"[^\W\d_]")


def organism_name(name: str, text: str = "") -> str:
    """The taxon a copied organism span names, as LOTUS writes it.

    Qualifiers and what follows them are cut ("Aspergillus sp." -> "Aspergillus"), a name of
    three or more words that starts as a binomial keeps the binomial (subspecies, authors
    and strain codes dropped), and an abbreviated genus ("S. glaucum") is written out
    from the last genus with that initial the text names before it.
    """
    copied = name.strip()
    name = QUALIFIER.sub("", copied).strip(" .,;") or copied
    words = name.split()
    if len(words) > 2 and words[0][:1].isupper() and words[1].isalpha() and words[1].islower():
        name = " ".join(words[:2])
    abbreviated = ABBREVIATED_GENUS.match(name)
    if abbreviated and text:
        genus = _genus_for(abbreviated["initial"], abbreviated["rest"], text)
        if genus:
            name = f"{genus} {abbreviated['rest']}"
    return name


def _genus_for(initial: str, rest: str, text: str) -> str | None:
    """The genus of an abbreviated name: the one the text writes in full with the same
    epithet, else the last genus with this initial before the abbreviation (a capitalised
    word followed by a lowercase epithet, or by its species abbreviated:
    "Sarcophyton (S. glaucum, ...)")."""
    i = re.escape(initial)  # no \b before the genus: texts glue it on ("SeaSarcophyton")
    epithet = re.escape(rest.split()[0])
    full = re.search(rf"({i}[a-z]{{2,}})\s+{epithet}\b", text)
    if full:
        return full[1]
    abbreviation = f"{initial}. {rest.split()[0]}"
    where = text.find(abbreviation)
    # up to the abbreviation itself: "Sarcophyton (S. glaucum)" names its genus right before
    before = text[: where + len(abbreviation)] if where >= 0 else text
    genera = re.findall(rf"({i}[a-z]{{2,}})\s+(?:[a-z]{{3,}}|\(?{i}\.\s*[a-z])", before)
    return genera[-1] if genera else None


def is_organism_name(name: str) -> bool:
    """Whether a span (as `organism_name` leaves it) can name a taxon: letters, spaces,
    periods and hyphens ("E)-ocimene ... (1" is a chemical list the model began too early)."""
    return len(LETTERS.findall(name)) >= 3 and not re.search(r"[\d()\[\]{}+;=,]", name)


def is_chemical_name(name: str, organisms: set[str] = frozenset()) -> bool:
    """Whether a copied span can name a chemical: some letters, not only function words,
    not an abbreviated binomial, not one of the document's organisms."""
    if len(LETTERS.findall(name)) < 2:
        return False  # "(1);", "2, 3", "3, 7, 9-13"
    words = re.findall(r"[^\W\d_]+", name.lower())
    if all(word in STOPWORDS for word in words):
        return False  # "a", "a novel"
    if ABBREVIATED_GENUS.match(name.strip()):
        return False  # "E. angustifolia"
    return name.strip().lower() not in organisms
