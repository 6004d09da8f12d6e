"""The offline `template` backend: abstracts assembled from the prompt's parts.

Deterministic for a given (seed, prompt, view). It states every label relation of the
prompt, phrased in many ways, and adds the distractors real abstracts have (positive
controls, cell lines), so a model trained on it must read the text, not a fixed slot.
"""

from __future__ import annotations

import random

from npre.data.records import Document
from npre.seeding import rng_for

PARTS = [
    "aerial parts",
    "roots",
    "leaves",
    "fruiting bodies",
    "culture broth",
    "crude extract",
    "bark",
    "whole organism",
    "fermentation extract",
    "EtOAc extract",
]
METHODS = [
    "extensive NMR spectroscopy and HRESIMS",
    "1D and 2D NMR data",
    "spectroscopic analysis and X-ray crystallography",
    "HRESIMS, NMR and ECD calculations",
]
ACTIVITIES = [
    "cytotoxicity against {cell} cells",
    "antibacterial activity against {microbe}",
    "anti-inflammatory activity in {cell} macrophages",
    "antifungal activity against {microbe}",
]
CELLS = ["HeLa", "A549", "MCF-7", "HepG2", "RAW 264.7", "HCT-116"]
MICROBES = ["Staphylococcus aureus", "Escherichia coli", "Candida albicans", "Bacillus subtilis"]
CONTROLS = [
    "doxorubicin",
    "cisplatin",
    "ampicillin",
    "amphotericin B",
    "dexamethasone",
    "etoposide",
]
NUMBER_WORDS = ["One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten"]


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _abbreviate(organism: str) -> str:
    parts = organism.split()
    return f"{parts[0][0]}. {' '.join(parts[1:])}" if len(parts) >= 2 else organism


def _isolation_sentence(
    rng: random.Random, organisms: list[str], chemicals: list[str], numbered: int
) -> str:
    if numbered:
        listed = _join([f"{c} ({numbered + i})" for i, c in enumerate(chemicals)])
    else:
        listed = _join(chemicals)
    count = NUMBER_WORDS[len(chemicals) - 1] if len(chemicals) <= 10 else str(len(chemicals))
    part = rng.choice(PARTS)
    verb = "was" if len(chemicals) == 1 else "were"
    organism = _join(organisms)
    produce = "was found to produce" if len(organisms) == 1 else "were each found to produce"
    options = [
        f"Chemical investigation of the {part} of {organism} led to the isolation of {listed}.",
        f"{listed} {verb} isolated from the {part} of {organism}.",
        f"Bioassay-guided fractionation of the {part} of {organism} afforded {listed}.",
        f"{count} metabolites, {listed}, were obtained from {organism}.",
        f"{organism} {produce} {listed}.",
        f"From the {part} of {organism}, {listed} {verb} purified by repeated chromatography.",
    ]
    sentence = rng.choice(options)
    return sentence[0].upper() + sentence[1:]


def _sharing(by_org: dict[str, list[str]]) -> list[tuple[list[str], list[str]]]:
    """(organisms, chemicals) groups: organisms with the same chemicals are stated in
    one sentence, as comparative studies write them ("X and Y from A, B and C")."""
    groups: dict[frozenset[str], tuple[list[str], list[str]]] = {}
    for organism, chemicals in by_org.items():
        chemicals = list(dict.fromkeys(chemicals))
        groups.setdefault(frozenset(chemicals), ([], chemicals))[0].append(organism)
    return list(groups.values())


def generate(prompt: Document, view: int, seed: int) -> str:
    """One synthetic abstract for `prompt`; `view` selects an independent variant."""
    rng = rng_for("template", seed, prompt.PMID, view)
    orgs = {o.id: o.label for o in prompt.organisms}
    chems = {c.id: c.label for c in prompt.chemicals}
    by_org: dict[str, list[str]] = {}
    for org_id, chem_id in prompt.relations:
        by_org.setdefault(orgs[org_id], []).append(chems[chem_id])
    keywords = list(prompt.extra.get("keywords", []))
    rng.shuffle(keywords)
    sentences = []
    if keywords:
        sentences.append(
            rng.choice(
                [
                    f"Natural products remain a major source of leads in {keywords[0]} research.",
                    f"Studies on {keywords[0]} have drawn attention to secondary metabolites.",
                    f"As part of our search for bioactive compounds related to {keywords[0]}, "
                    "we examined an underexplored organism.",
                ]
            )
        )
    numbered = 1 if rng.random() < 0.4 else 0
    all_chems = []
    for organisms, chemicals in _sharing(by_org):
        rng.shuffle(chemicals)
        sentences.append(_isolation_sentence(rng, organisms, chemicals, numbered))
        if numbered:
            numbered += len(chemicals)
        all_chems.extend((organisms[0], c) for c in chemicals)
    sentences.append(f"Their structures were elucidated by {rng.choice(METHODS)}.")
    if len(keywords) > 1:
        sentences.append(f"The work also discusses {_join(keywords[1:4])}.")
    organism, chemical = rng.choice(all_chems)
    activity = rng.choice(ACTIVITIES).format(cell=rng.choice(CELLS), microbe=rng.choice(MICROBES))
    value = round(rng.uniform(0.5, 45.0), 1)
    sentences.append(
        rng.choice(
            [
                f"{chemical[0].upper() + chemical[1:]} showed {activity} (IC50 {value} uM), "
                f"while {rng.choice(CONTROLS)} was used as the positive control.",
                f"In bioassays, {chemical} exhibited {activity} with a value of {value} uM.",
                f"The metabolites of {_abbreviate(organism)} were evaluated for {activity}; "
                f"{chemical} was the most active ({value} uM).",
            ]
        )
    )
    return " ".join(sentences)
