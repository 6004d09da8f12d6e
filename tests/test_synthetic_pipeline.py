"""instructions -> template synthesis -> the GX gate, on small hand-made documents."""

import json

import pytest

from npre.config.params import ValidateParams
from npre.data.records import Chemical, Document, Entity
from npre.gate.checkpoint import run_gate
from npre.synthesis.backends import TemplateBackend
from npre.synthesis.generation import GenerationCache, generate_all, keep_best
from npre.synthesis.prompts import build_prompts, keyword_candidates
from npre.text.matching import alignment_score

SEED = Document(
    PMID="1",
    ArticleTitle="Sesquiterpene lactones with antimalarial activity",
    AbstractText=(
        "Chemical investigation of the aerial parts of Artemisia annua yielded artemisinin and "
        "arteannuin B. Antimalarial assays against Plasmodium strains and cytotoxicity assays "
        "were performed; the lactones showed strong antimalarial activity in vitro."
    ),
    organisms=[Entity(id="o1", label="Artemisia annua")],
    chemicals=[Chemical(id="c1", label="artemisinin"), Chemical(id="c2", label="arteannuin B")],
    relations=[("o1", "c1"), ("o1", "c2")],
)


def synthesize(prompts, views, seed, folder):
    """The template backend through the real generation path (cache, best-k selection)."""
    cache = GenerationCache(folder / f"generations-{seed}.jsonl")
    generations, _ = generate_all(prompts, TemplateBackend(), views, seed, cache)
    cache.close()
    return keep_best(prompts, generations, views, TemplateBackend())


def test_keywords_never_leak_entity_names():
    words = keyword_candidates(SEED)
    assert "antimalarial" in words
    assert not {w for w in words if "artemisi" in w or "arteannuin" in w or "annua" in w}


def test_prompts_are_reproducible_and_state_the_labels():
    first = build_prompts(SEED, 3, 3, seed=7)
    assert [p.prompt for p in first] == [p.prompt for p in build_prompts(SEED, 3, 3, seed=7)]
    for prompt in first:
        assert prompt.prompt.startswith("Instructions:") and prompt.prompt.endswith("Abstract:")
        # every label the prompt carries is stated by its findings (the paper's matching)
        assert prompt.label_pairs() == SEED.label_pairs()
        assert alignment_score(prompt.extra["findings"], prompt.label_pairs()) == 1.0


def test_template_views_differ_and_carry_labels(tmp_path):
    docs = synthesize(build_prompts(SEED, 1, 3, seed=7), views=3, seed=7, folder=tmp_path)
    assert len({d.AbstractText for d in docs}) == 3
    (tmp_path / "again").mkdir()
    assert docs == synthesize(
        build_prompts(SEED, 1, 3, seed=7), views=3, seed=7, folder=tmp_path / "again"
    )
    for doc in docs:
        assert doc.label_pairs() == SEED.label_pairs()
        text = doc.AbstractText.lower()
        assert "artemisinin" in text and "arteannuin b" in text


@pytest.fixture
def gx_root(tmp_path):
    return tmp_path / "expectations"


def test_gate_quarantines_planted_failures_and_loses_nothing(gx_root, tmp_path):
    good = synthesize(build_prompts(SEED, 2, 3, seed=1), views=2, seed=1, folder=tmp_path)
    misaligned = good[0].model_copy(
        update={
            "PMID": "bad-align",
            "AbstractText": good[0].AbstractText.replace("arteannuin B", "a lactone"),
        }
    )
    echo = good[1].model_copy(
        update={"PMID": "bad-echo", "AbstractText": good[1].AbstractText + "\nMain findings: none"}
    )
    duplicate = good[2].model_copy(update={"PMID": "dup"})
    no_labels = good[3].model_copy(update={"PMID": "no-labels", "relations": []})
    docs = [*good, misaligned, echo, duplicate, no_labels]
    result = run_gate(docs, ValidateParams(), gx_root)
    assert len(result.passed) + len(result.quarantined) == len(docs)
    assert {d.PMID for d in result.passed} == {d.PMID for d in good}
    reasons = {d.PMID: d.failed_expectations for d in result.quarantined}
    assert reasons["bad-align"] == ["expect_column_values_to_have_aligned_labels(labelled_text)"]
    assert reasons["bad-echo"] == ["expect_column_values_to_not_match_regex(abstract)"]
    assert reasons["dup"] == ["expect_column_values_to_be_in_set(is_duplicate)"]
    assert "expect_column_values_to_be_between(n_relations)" in reasons["no-labels"]
    # no labels is the relation count's failure, not alignment's (vacuously aligned)
    assert "expect_column_values_to_have_aligned_labels(labelled_text)" not in reasons["no-labels"]
    assert (gx_root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html").exists()
    json.dumps([d.model_dump() for d in result.quarantined])  # quarantine is serialisable
