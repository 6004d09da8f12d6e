"""Instructions at the paper's fidelity: contraction, classes, numbering, keywords, seeds."""

import random

import numpy as np
import pytest

from npre.config.params import InstructionsParams
from npre.data.records import Chemical, Document, Entity
from npre.synthesis.prompts import build_prompts, class_id, organism_mentions, verbalise
from npre.text.keywords import (
    EmbeddingKeywords,
    StatisticalKeywords,
    candidate_phrases,
    exclusion_words,
    mmr,
)
from npre.text.matching import alignment_score, mentions_chemical
from npre.text.series import contract_suffixes, series_name

NEVER = dict(class_probability=0.0, series_probability=0.0, numbering_probability=0.0)
ALWAYS = dict(class_probability=1.0, series_probability=1.0, numbering_probability=1.0)

SERIES = Document(
    PMID="s1",
    ArticleTitle="Macrolides from a dinoflagellate",
    AbstractText=(
        "Cytotoxic macrolides, amphidinolides A, B, C and D, were obtained from cultured "
        "Amphidinium carterae. Their cytotoxicity against murine lymphoma cells was strong."
    ),
    organisms=[Entity(id="o1", label="Amphidinium carterae")],
    chemicals=[Chemical(id=f"c{s}", label=f"amphidinolide {s}", superclass=None) for s in "ABCD"],
    relations=[("o1", f"c{s}") for s in "ABCD"],
)

CLASSES = Document(
    PMID="k1",
    ArticleTitle="Norterpene peroxides from a marine sponge",
    AbstractText=(
        "Marine sponge extracts gave sesterterpene peroxides nuapapuin A and muqubilin, "
        "with cytotoxic properties in the soft agar assay; the diterpenoids were weaker."
    ),
    organisms=[Entity(id="o1", label="Diacarnus spinipoculum")],
    chemicals=[
        Chemical(id="c1", label="nuapapuin A", superclass="Sesterterpenoids"),
        Chemical(id="c2", label="muqubilin", superclass="Sesterterpenoids"),
        Chemical(id="c3", label="sigmosceptrellin", superclass="Diterpenoids"),
        Chemical(id="c4", label="diacarperoxide", superclass="Diterpenoids"),
    ],
    relations=[("o1", "c1"), ("o1", "c2"), ("o1", "c3"), ("o1", "c4")],
)


def params(**kw) -> InstructionsParams:
    return InstructionsParams(**kw)


def test_series_contraction_known_answers():
    assert contract_suffixes(["A", "B", "C", "D"]) == "A–D"
    assert contract_suffixes(["D", "B", "A"]) == "A, B and D"
    assert contract_suffixes(["A", "B", "C", "E"]) == "A–C and E"
    assert contract_suffixes(["2", "1", "3"]) == "1–3"
    assert series_name("amphidinolide", ["A", "B", "C", "D"]) == "amphidinolides A–D"
    assert series_name("Erylosides", ["G", "H"]) == "Erylosides G and H"


def test_contracted_series_in_findings_and_labels_still_list_members():
    findings, labels = verbalise(
        SERIES, random.Random(0), params(**{**NEVER, "series_probability": 1})
    )
    assert "amphidinolides A–D" in findings and "amphidinolide A," not in findings
    assert labels.label_pairs() == SERIES.label_pairs()  # each member stays a label
    assert alignment_score(findings, labels.label_pairs()) == 1.0  # matching accepts it


def test_matching_accepts_contracted_forms_only_for_listed_members():
    text = "Erylosides G–J and amphidinolides A, B and D were found; compounds 1-3 too."
    assert all(mentions_chemical(text, f"Eryloside {s}") for s in "GHIJ")
    assert not mentions_chemical(text, "Eryloside K")
    assert mentions_chemical(text, "amphidinolide D")
    assert not mentions_chemical(text, "amphidinolide C")
    assert not mentions_chemical("Erylosides a new family", "Eryloside A")  # suffix case kept
    # a series is named from a word start: a longer name does not state its members
    assert not mentions_chemical("Isoamphidinolides A–D were found.", "amphidinolide B")


def test_short_name_fragments_block_only_equal_keywords():
    from npre.text.keywords import is_clean

    excluded = {"ent", "kaurane", "taxus"}
    assert is_clean("treatment", excluded) and is_clean("present study", excluded)
    assert not is_clean("ent", excluded)
    assert not is_clean("kauranes", excluded) and not is_clean("taxus bark", excluded)


def test_class_verbalisation_makes_the_class_the_label():
    findings, labels = verbalise(
        CLASSES, random.Random(0), params(**{**NEVER, "class_probability": 1})
    )
    assert "two Sesterterpenoids" in findings.replace("Two", "two")
    assert "two Diterpenoids" in findings.replace("Two", "two")
    assert "nuapapuin" not in findings
    classes = {c.id: c for c in labels.chemicals if c.type == "class"}
    assert set(classes) == {class_id("Sesterterpenoids"), class_id("Diterpenoids")}
    assert sorted(labels.label_pairs()) == [
        ("Diacarnus spinipoculum", "Diterpenoids"),
        ("Diacarnus spinipoculum", "Sesterterpenoids"),
    ]
    assert {c.id for c in labels.chemicals} == set(classes)  # replaced members dropped
    assert alignment_score(findings, labels.label_pairs()) == 1.0


def test_a_single_chemical_of_a_class_is_never_replaced():
    doc = CLASSES.model_copy(update={"chemicals": CLASSES.chemicals[:3]})
    doc = doc.model_copy(update={"relations": CLASSES.relations[:3]})
    findings, labels = verbalise(doc, random.Random(0), params(**{**NEVER, "class_probability": 1}))
    assert "sigmosceptrellin" in findings
    assert ("Diacarnus spinipoculum", "sigmosceptrellin") in labels.label_pairs()


def test_numbering_counts_classes_and_series_as_ranges():
    mentions, _ = organism_mentions(SERIES.chemicals, random.Random(0), params(**ALWAYS))
    assert [(m.text, m.count) for m in mentions] == [("amphidinolides A–D", 4)]
    findings, _ = verbalise(SERIES, random.Random(0), params(**ALWAYS))
    assert "amphidinolides A–D (1–4)" in findings
    findings, _ = verbalise(CLASSES, random.Random(3), params(**ALWAYS))
    numbers = sorted(findings.split("(")[1:])  # e.g. "1–2) ..." and "3–4) ..."
    assert [n.split(")")[0] for n in numbers] == ["1–2", "3–4"]


def test_plain_numbering_and_phrasings():
    doc = CLASSES.model_copy(
        update={"chemicals": [c.model_copy(update={"superclass": None}) for c in CLASSES.chemicals]}
    )
    seen = set()
    for k in range(30):
        findings, _ = verbalise(
            doc, random.Random(k), params(**{**NEVER, "numbering_probability": 1})
        )
        assert all(f"({i})" in findings for i in range(1, 5))
        seen.add(
            "produces"
            if "produces" in findings
            else "isolated"
            if "isolated" in findings
            else "identified"
        )
    assert seen == {"produces", "isolated", "identified"}


def test_prompts_reproducible_by_seed_and_independent_per_prompt():
    first = build_prompts(CLASSES, 6, 3, seed=7, params=params())
    again = build_prompts(CLASSES, 6, 3, seed=7, params=params())
    assert [p.model_dump() for p in first] == [p.model_dump() for p in again]
    assert len({p.prompt for p in first}) > 1  # independent choices per prompt
    other = build_prompts(CLASSES, 6, 3, seed=8, params=params())
    assert [p.prompt for p in first] != [p.prompt for p in other]
    for prompt in first:
        assert alignment_score(prompt.extra["findings"], prompt.label_pairs()) == 1.0


def test_exclusion_list_never_leaks_into_keywords():
    excluded = exclusion_words(CLASSES)
    assert {
        "nuapapuin",
        "diacarnus",
        "spinipoculum",
        "sesterterpenoids",
        "sesterterpenoid",
    } <= excluded
    for doc in (CLASSES, SERIES):
        for k in range(5):
            for prompt in build_prompts(doc, 3, 4, seed=k):
                for keyword in prompt.extra["keywords"]:
                    assert not any(x in keyword.lower() for x in exclusion_words(doc)), keyword
    words = StatisticalKeywords().keywords(CLASSES, 20)
    assert "marine" in words and "diterpenoids" not in words and "diterpenoid" not in words


def test_candidate_phrases_stop_at_stopwords_and_punctuation():
    phrases = candidate_phrases("Strong antimalarial activity of the lactones, in vitro.", 2)
    assert "antimalarial activity" in phrases and "strong antimalarial" in phrases
    assert "activity lactones" not in phrases and "lactones vitro" not in phrases


def test_mmr_prefers_a_diverse_second_keyword():
    doc = np.array([1.0, 0.0, 0.0])
    cands = np.array([[0.9, 0.436, 0.0], [0.89, 0.456, 0.0], [0.8, 0.0, 0.6]])
    cands = cands / np.linalg.norm(cands, axis=1, keepdims=True)
    assert mmr(doc, cands, 2, diversity=0.0) == [0, 1]  # relevance alone: the near-duplicate
    assert mmr(doc, cands, 2, diversity=0.7) == [0, 2]


@pytest.fixture(scope="module")
def tiny_sentence_model(tmp_path_factory):
    """A tiny BERT + mean pooling saved as a sentence-transformers folder (no hub)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = tmp_path_factory.mktemp("st")
    words = "[PAD] [UNK] [CLS] [SEP] [MASK]".split() + sorted(
        {w.lower().strip(".,;") for w in CLASSES.AbstractText.split()}
    )
    (folder / "vocab.txt").write_text("\n".join(words) + "\n")
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(words),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(folder / "hf")
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt")).save_pretrained(folder / "hf")
    encoder = Transformer(str(folder / "hf"), max_seq_length=128)
    pooling = Pooling(encoder.get_embedding_dimension(), "mean")
    SentenceTransformer(modules=[encoder, pooling], device="cpu").save(str(folder / "model"))
    return str(folder / "model")


def test_embedding_keywords_with_a_local_model(tiny_sentence_model):
    extractor = EmbeddingKeywords(tiny_sentence_model, max_words=2, diversity=0.5)
    keywords = extractor.keywords(CLASSES, 5)
    assert len(keywords) == 5 and len(set(keywords)) == 5
    assert set(keywords) <= set(candidate_phrases(CLASSES.AbstractText, 2))
    assert not any(x in k for k in keywords for x in exclusion_words(CLASSES))
    assert keywords == extractor.keywords(CLASSES, 5)  # deterministic
    prompts = build_prompts(CLASSES, 2, 3, seed=1, extractor=extractor)
    assert all(set(p.extra["keywords"]) <= set(extractor.keywords(CLASSES, 6)) for p in prompts)


def test_a_configured_model_that_is_missing_is_a_clear_error(tmp_path):
    import sentence_transformers  # noqa: F401  (installed: the error is about the path)

    with pytest.raises(RuntimeError, match="instructions.keyword_model"):
        EmbeddingKeywords(str(tmp_path / "nowhere"))
