"""Widened prompt labels: shared chemicals (many-to-many) and pooled long lists, known answers."""

import random

from npre.config.params import InstructionsParams
from npre.data.records import Chemical, Document, Entity
from npre.synthesis import template
from npre.synthesis.prompts import build_prompts
from npre.synthesis.widening import pool_chemicals, share_chemicals


def _doc(pmid: str, organism: str, chemicals: list[str], kingdom: str = "Fungi") -> Document:
    return Document(
        PMID=pmid,
        ArticleTitle=f"Metabolites of {organism}",
        kingdom=kingdom,
        organisms=[Entity(id=f"{pmid}o", label=organism)],
        chemicals=[Chemical(id=f"{pmid}c{i}", label=c) for i, c in enumerate(chemicals)],
        relations=[(f"{pmid}o", f"{pmid}c{i}") for i in range(len(chemicals))],
    )


SEED = _doc("1", "Aspergillus alliaceus", ["ochratoxin A", "asperlicin"])
SAME_GENUS = _doc("2", "Aspergillus sclerotiorum", ["penicillic acid"])
SAME_KINGDOM = _doc("3", "Penicillium verrucosum", ["citrinin", "ochratoxin B", "verrucosidin"])
OTHER_KINGDOM = _doc("4", "Salvia officinalis", ["carnosol"], kingdom="Archaeplastida")
POOL = [SEED, SAME_GENUS, SAME_KINGDOM, OTHER_KINGDOM]


def test_shared_organisms_get_every_chemical_same_genus_first():
    widened = share_chemicals(SEED, POOL, random.Random(0), max_relations=4)
    # room for one more organism (2 chemicals each, 4 at most): the same genus wins
    assert widened.label_pairs() == [
        ("Aspergillus alliaceus", "ochratoxin A"),
        ("Aspergillus alliaceus", "asperlicin"),
        ("Aspergillus sclerotiorum", "ochratoxin A"),
        ("Aspergillus sclerotiorum", "asperlicin"),
    ]
    assert SEED.label_pairs() == widened.label_pairs()[:2]  # the seed itself is untouched
    # never an organism of another kingdom while the seed's kingdom has one
    for seed in range(20):
        many = share_chemicals(SEED, POOL, random.Random(seed), max_relations=20)
        assert "Salvia officinalis" not in {o.label for o in many.organisms}
        assert len(many.relations) == 2 * len(many.organisms)


def test_no_room_leaves_the_document_as_it_is():
    assert share_chemicals(SEED, POOL, random.Random(0), max_relations=3) == SEED
    assert pool_chemicals(SEED, POOL, random.Random(0), max_relations=2) == SEED


def test_pooled_chemicals_join_the_first_organism_up_to_the_limit():
    widened = pool_chemicals(SEED, [SEED, SAME_KINGDOM], random.Random(0), max_relations=4)
    assert widened.label_pairs() == [
        ("Aspergillus alliaceus", "ochratoxin A"),
        ("Aspergillus alliaceus", "asperlicin"),
        ("Aspergillus alliaceus", "citrinin"),
        ("Aspergillus alliaceus", "ochratoxin B"),
    ]
    assert len({c.id for c in widened.chemicals}) == len(widened.chemicals)


def test_template_states_shared_chemicals_in_one_sentence():
    widened = share_chemicals(SEED, [SEED, SAME_GENUS], random.Random(0), max_relations=4)
    text = template.generate(widened, view=0, seed=1)
    sentences = [s for s in text.split(". ") if "Aspergillus sclerotiorum" in s]
    assert any(
        "Aspergillus alliaceus and Aspergillus sclerotiorum" in s
        and "ochratoxin A" in s
        and "asperlicin" in s
        for s in sentences
    ), text


def test_build_prompts_widens_only_when_drawn():
    never = InstructionsParams(shared_organisms_probability=0.0, pooled_chemicals_probability=0.0)
    always = InstructionsParams(shared_organisms_probability=1.0, pooled_chemicals_probability=0.0)
    plain = build_prompts(SEED, 1, 0, seed=7, params=never, pool=POOL)[0]
    widened = build_prompts(SEED, 1, 0, seed=7, params=always, pool=POOL)[0]
    assert plain.label_pairs() == SEED.label_pairs()
    assert len(widened.organisms) > 1
    for organism in widened.organisms:
        assert organism.label in widened.prompt  # the findings state every added organism
