"""A confidence on every relation: the probability of its tokens under the model, carried
through parsing and answers, reported by decoding and by teacher forcing alike, and
measured by a precision/recall curve."""

from __future__ import annotations

import math

import pytest
from helpers import PAIRS, one_relation_documents, train_tiny_extractor

from npre.linearization.answers import scored_answers
from npre.scoring.confidence import precision_by_half, precision_recall_curve

ABSTRACT = "Chemical study of {org} gave {chem} as the main constituent."


@pytest.fixture(scope="module")
def extractor(tmp_path_factory):
    from npre.decoding.extractor import ExtractorConfig, RelationExtractor

    docs = one_relation_documents(ABSTRACT, 6)
    base, adapter = train_tiny_extractor(docs, tmp_path_factory.mktemp("confidence"))
    return RelationExtractor.load(base, adapter, ExtractorConfig.load(adapter))


def test_a_relation_scores_its_tokens_and_the_separator_before_it(extractor):
    from npre.linearization.parsing import parse_output_ids
    from npre.linearization.tokens import source_ids, target_ids

    tok = extractor.tokenizer
    text = "Artemisia annua gave artemisinin and arteannuin B."
    source = source_ids(tok, "", text, 400, 100)
    pairs = [("Artemisia annua", "artemisinin"), ("Artemisia annua", "arteannuin B")]
    ids = target_ids(tok, pairs, source)[:-1]
    separator = tok.encode("; ".rstrip(), add_special_tokens=False)
    cut = next(i for i in range(len(ids)) if ids[i : i + len(separator)] == separator)
    logprobs = [-0.1] * cut + [-0.5] * (len(ids) - cut)
    parsed = parse_output_ids(tok, ids, logprobs)
    assert parsed.pairs == pairs
    assert parsed.confidences[0] == pytest.approx(math.exp(-0.1 * cut))
    assert parsed.confidences[1] == pytest.approx(math.exp(-0.5 * (len(ids) - cut)))
    # written twice: the surer of the two (the repeat with the separator before it)
    twice = [*ids, *separator, *ids[:cut]]
    parsed = parse_output_ids(tok, twice, [*logprobs, *([-0.01] * (len(twice) - len(ids)))])
    assert parsed.pairs == pairs
    assert parsed.confidences[0] == pytest.approx(math.exp(-0.01 * (len(separator) + cut)))
    assert parse_output_ids(tok, ids).confidences == [1.0, 1.0]  # no log-probabilities


def test_series_members_inherit_and_repeats_keep_the_highest_confidence():
    text = "Amphidinolides A–C were isolated from Amphidinium sp."
    answers = scored_answers(
        [("Amphidinium sp.", "amphidinolides A–C"), ("Amphidinium", "amphidinolide B")],
        [0.4, 0.9],
        text,
    )
    assert answers == [
        (("Amphidinium", "amphidinolide A"), 0.4),
        (("Amphidinium", "amphidinolide B"), 0.9),
        (("Amphidinium", "amphidinolide C"), 0.4),
    ]


def test_precision_recall_curve_and_halves_on_known_answers():
    gold = {"1": [("A", "x"), ("A", "y")], "2": [("B", "z")]}
    predicted = {
        "1": [(("A", "x"), 0.9), (("A", "w"), 0.2)],
        "2": [(("B", "z"), 0.6), (("B", "v"), 0.1)],
    }
    curve = {p["threshold"]: p for p in precision_recall_curve(gold, predicted, [0.0, 0.5, 0.95])}
    assert curve[0.0]["precision"] == 0.5 and curve[0.0]["recall"] == pytest.approx(2 / 3)
    assert curve[0.5]["precision"] == 1.0 and curve[0.5]["relations"] == 2
    assert curve[0.95]["relations"] == 0 and curve[0.95]["recall"] == 0.0
    halves = precision_by_half(gold, predicted)
    assert halves["upper_half_precision"] == 1.0
    assert halves["lower_half_precision"] == 0.0
    assert halves["median_confidence"] == 0.2


@pytest.mark.parametrize("num_beams", [1, 2])
def test_every_answer_has_a_probability(extractor, num_beams):
    from npre.config.model_params import DecodingParams

    extractor.decoding = DecodingParams(max_new_tokens=24, num_beams=num_beams)
    docs = one_relation_documents(ABSTRACT, 6)
    found = extractor.extract_many([(d.ArticleTitle, d.AbstractText) for d in docs])
    assert sum(len(f.relations) for f in found) >= 4  # it learned to answer
    for one in found:
        assert len(one.confidences) == len(one.relations)
        assert all(0.0 < c <= 1.0 for c in one.confidences)


@pytest.mark.parametrize("stop_penalty", [0.0, 3.0])
def test_decoding_reports_the_probability_of_what_it_wrote(extractor, stop_penalty):
    """The log-probabilities greedy decoding reports for its own ids are those teacher
    forcing gives them; a stop penalty lengthens answers, the probabilities stay the
    model's."""
    from npre.config.model_params import DecodingParams
    from npre.decoding.forced import answer_logprobs
    from npre.linearization.tokens import prompt_ids

    extractor.decoding = DecodingParams(max_new_tokens=24, stop_penalty=stop_penalty)
    tok = extractor.tokenizer
    documents = [(f"Metabolites of {o}", ABSTRACT.format(org=o, chem=c)) for o, c in PAIRS[:4]]
    prompts = [prompt_ids(tok, title, abstract, 400, 100) for title, abstract in documents]
    decoded = extractor._generate(prompts, 24)
    assert any(ids for ids, _ in decoded)
    for prompt, (ids, logprobs) in zip(prompts, decoded, strict=True):
        ended = len(logprobs) == len(ids) + 1  # the end token's probability comes last
        forced = answer_logprobs(extractor, prompt, ids + ([tok.eos_token_id] if ended else []))
        assert forced == pytest.approx(logprobs, abs=2e-3)


def test_right_answers_are_surer_than_planted_wrong_ones(extractor):
    from npre.config.model_params import DecodingParams
    from npre.decoding.forced import relation_confidences

    extractor.decoding = DecodingParams(max_new_tokens=24)
    for organism, chemical in PAIRS[:6]:
        title, abstract = f"Metabolites of {organism}", ABSTRACT.format(org=organism, chem=chemical)
        [right] = relation_confidences(
            extractor, title, abstract, [(organism, chemical)]
        ).confidences
        for wrong in ["main constituent", "Chemical study"]:
            [planted] = relation_confidences(
                extractor, title, abstract, [(organism, wrong)]
            ).confidences
            assert right > planted, (organism, chemical, wrong)


def test_min_confidence_drops_the_less_sure(extractor):
    from npre.config.model_params import DecodingParams

    title, abstract = (
        "Metabolites of Artemisia annua",
        "Artemisia annua gave artemisinin and arteannuin B.",
    )
    extractor.decoding = DecodingParams(max_new_tokens=24)
    everything = extractor.extract(title, abstract)
    assert everything.relations
    cut = max(everything.confidences)
    kept = everything.above(cut)
    assert kept.relations and all(c >= cut for c in kept.confidences)
    extractor.decoding = DecodingParams(max_new_tokens=24, min_confidence=min(1.0, cut + 1e-9))
    assert extractor.extract(title, abstract).relations == [
        r for r, c in zip(everything.relations, everything.confidences, strict=True) if c > cut
    ]
