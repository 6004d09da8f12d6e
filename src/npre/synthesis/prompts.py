"""Generation prompts (title, keywords, main findings) built from a seed document's labels.

As in the paper, the main findings verbalise the labels with random variations:
- "X, Y and Z were isolated from O", "O produces X" or "X was identified in O";
- a derivative series contracted: "amphidinolides A–D" (the label still lists each
  member; `npre.text.matching` accepts the contracted form);
- chemicals of one NP-classifier superclass named by their class: "two Sesterterpenoids"
  (the label becoming the class: a chemical of type "class");
- numbering: "baicalein (1), two Flavonoids (2–3) and wogonin (4)".
With `pool` (the train seeds), a prompt's labels may first be widened from other seeds
(`npre.synthesis.widening`: organisms sharing the chemicals, pooled long lists).
Keywords come from `npre.text.keywords` and never contain an entity name. Each seed gets
several prompts whose random choices are independent and reproducible with the seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from npre.config.params import InstructionsParams
from npre.data.records import Chemical, Document
from npre.seeding import rng_for
from npre.synthesis.widening import widen
from npre.text.keywords import KeywordExtractor, StatisticalKeywords
from npre.text.series import series_member, series_name, suffix_key

INSTRUCTION = (
    "Instructions: Given a title, a list of keywords and main findings, write the abstract "
    "of a scientific article in natural-products chemistry."
)
COUNT_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
CLASS_ID_PREFIX = "npclassifier-superclass:"


def keyword_candidates(doc: Document, top_n: int = 50) -> list[str]:
    """The statistical extractor's ranked keywords (entity names excluded)."""
    return StatisticalKeywords().keywords(doc, top_n)


@dataclass
class Mention:
    """One item of a findings sentence: a chemical, a contracted series or a class."""

    text: str
    count: int  # how many compounds it stands for (numbering, verb agreement)


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _count_word(n: int) -> str:
    return COUNT_WORDS[n - 1] if n <= len(COUNT_WORDS) else str(n)


def class_id(superclass: str) -> str:
    return CLASS_ID_PREFIX + superclass


def _series_groups(chemicals: list[str]) -> dict[tuple[str, int], list[str]]:
    """Chemicals sharing a stem (case-insensitive) and suffix kind (letter or number)."""
    groups: dict[tuple[str, int], list[str]] = {}
    for label in chemicals:
        member = series_member(label)
        if member:
            groups.setdefault((member[0].lower(), suffix_key(member[1])[0]), []).append(label)
    return {key: labels for key, labels in groups.items() if len(labels) >= 2}


def organism_mentions(
    chemicals: list[Chemical], rng: random.Random, params: InstructionsParams
) -> tuple[list[Mention], dict[str, str]]:
    """The mentions for one organism's chemicals, and {chemical id: class id} replaced.

    A superclass shared by 2+ chemicals becomes "N Class" with `class_probability`;
    among the remaining chemicals, a series of 2+ members is contracted with
    `series_probability`; the rest are named one by one.
    """
    by_class: dict[str, list[Chemical]] = {}
    for chemical in chemicals:
        if chemical.superclass:
            by_class.setdefault(chemical.superclass, []).append(chemical)
    mentions, replaced = [], {}
    for superclass, members in sorted(by_class.items()):
        if len(members) >= 2 and rng.random() < params.class_probability:
            mentions.append(Mention(f"{_count_word(len(members))} {superclass}", len(members)))
            replaced.update({c.id: class_id(superclass) for c in members})
    remaining = [c.label for c in chemicals if c.id not in replaced]
    contracted: set[str] = set()
    for labels in _series_groups(remaining).values():
        if rng.random() < params.series_probability:
            stem = series_member(labels[0])[0]
            name = series_name(stem, [series_member(label)[1] for label in labels])
            mentions.append(Mention(name, len(labels)))
            contracted.update(labels)
    mentions += [Mention(label, 1) for label in remaining if label not in contracted]
    rng.shuffle(mentions)
    return mentions, replaced


def _numbered(mentions: list[Mention], start: int) -> tuple[list[str], int]:
    texts = []
    for mention in mentions:
        end = start + mention.count - 1
        texts.append(
            f"{mention.text} ({start})" if end == start else f"{mention.text} ({start}–{end})"
        )
        start = end + 1
    return texts, start


def verbalise(
    doc: Document, rng: random.Random, params: InstructionsParams
) -> tuple[str, Document]:
    """The main findings and the labels they state (classes replace their members)."""
    orgs = {o.id: o for o in doc.organisms}
    chems = {c.id: c for c in doc.chemicals}
    by_org: dict[str, list[Chemical]] = {}
    for org_id, chem_id in doc.relations:
        if org_id in orgs and chem_id in chems and chems[chem_id] not in by_org.get(org_id, []):
            by_org.setdefault(org_id, []).append(chems[chem_id])
    numbering = 1 if rng.random() < params.numbering_probability else 0
    sentences, replaced_by_org, classes = [], {}, {}
    # organisms with the same chemicals share one sentence and one set of variations
    sharing: dict[tuple[str, ...], list[str]] = {}
    for org_id, chemicals in by_org.items():
        sharing.setdefault(tuple(c.id for c in chemicals), []).append(org_id)
    for chem_ids, org_ids in sharing.items():
        mentions, replaced = organism_mentions([chems[c] for c in chem_ids], rng, params)
        if numbering:
            items, numbering = _numbered(mentions, numbering)
        else:
            items = [m.text for m in mentions]
        single = len(mentions) == 1 and mentions[0].count == 1
        listed, verb = _join(items), "was" if single else "were"
        organism = _join([orgs[o].label for o in org_ids])
        style = rng.randrange(3)
        if style == 0:
            sentences.append(f"{listed} {verb} isolated from {organism}.")
        elif style == 1:
            produce = "produces" if len(org_ids) == 1 else "each produce"
            sentences.append(f"{organism} {produce} {listed}.")
        else:
            sentences.append(f"{listed} {verb} identified in {organism}.")
        for org_id in org_ids:
            replaced_by_org[org_id] = replaced
        for chem_id, target in replaced.items():
            classes[target] = Chemical(id=target, label=chems[chem_id].superclass, type="class")
    # stored order kept; a replaced member's relation becomes its class's (once)
    relations = list(
        dict.fromkeys((o, replaced_by_org.get(o, {}).get(c, c)) for o, c in doc.relations)
    )
    used = {chem_id for _, chem_id in relations}
    dropped = {c for replaced in replaced_by_org.values() for c in replaced} - used
    chemicals = [c for c in doc.chemicals if c.id not in dropped] + list(classes.values())
    labels = doc.model_copy(update={"chemicals": chemicals, "relations": relations})
    findings = " ".join(s[0].upper() + s[1:] for s in sentences)
    return findings, labels


def main_findings(
    doc: Document, rng: random.Random, params: InstructionsParams | None = None
) -> str:
    """The verbalised main findings of `doc` (see `verbalise`)."""
    return verbalise(doc, rng, params or InstructionsParams())[0]


def build_prompts(
    doc: Document,
    n_prompts: int,
    n_keywords: int,
    seed: int,
    params: InstructionsParams | None = None,
    extractor: KeywordExtractor | None = None,
    pool: list[Document] | None = None,
) -> list[Document]:
    """`n_prompts` prompt records for one seed document, each with the labels it states.

    Each prompt draws its keywords (from the top 2 x `n_keywords`) and its findings
    variations from its own generator, seeded by (seed, PMID, prompt index). With a
    `pool` of seed documents, its labels may first be widened (`widening.widen`, its own
    generator: the other draws do not move).
    """
    params = params or InstructionsParams()
    extractor = extractor or StatisticalKeywords()
    keyword_pool = extractor.keywords(doc, 2 * n_keywords) if n_keywords else []
    prompts = []
    for k in range(n_prompts):
        rng = rng_for(seed, doc.PMID, k)
        keywords = rng.sample(keyword_pool, min(n_keywords, len(keyword_pool)))
        stated = doc
        if pool:
            stated = widen(
                doc,
                pool,
                rng_for("widen", seed, doc.PMID, k),
                params.shared_organisms_probability,
                params.pooled_chemicals_probability,
                params.max_widened_relations,
            )
        findings, labels = verbalise(stated, rng, params)
        text = (
            f"{INSTRUCTION}\nTitle: {doc.ArticleTitle}\nKeywords: {', '.join(keywords)}\n"
            f"Main findings: {findings}\nAbstract:"
        )
        prompts.append(
            labels.model_copy(
                update={
                    "PMID": f"{doc.PMID}-p{k}",
                    "AbstractText": "",
                    "seed_pmid": doc.PMID,
                    "prompt": text,
                    "extra": {**doc.extra, "keywords": keywords, "findings": findings},
                }
            )
        )
    return prompts
