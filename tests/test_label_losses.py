"""Teacher scores: label sequences cut into names, and a document scored by its worst name."""

import pytest

from npre.training.label_losses import aggregate, name_spans

PRODUCES, SEP, EOS = [100, 101], [102], 0


def test_a_label_sequence_is_cut_into_its_names_with_their_delimiters():
    # org(5 6) produces chem(7) ; org(5) produces chem(8 9) </s>
    target = [5, 6, *PRODUCES, 7, *SEP, 5, *PRODUCES, 8, 9, EOS]
    assert name_spans(target, PRODUCES, SEP) == [[0, 1, 2, 3], [4, 5], [6, 7, 8], [9, 10, 11]]
    assert name_spans([EOS], PRODUCES, SEP) == [[0]]  # "no relation": one decision


def test_the_worst_explained_name_scores_the_document():
    target = [5, 6, *PRODUCES, 7, *SEP, 5, *PRODUCES, 8, 9, EOS]
    spans = name_spans(target, PRODUCES, SEP)
    losses = [0.1] * len(target)
    losses[9] = losses[10] = 2.9  # the second chemical (8 9): not in the text
    # mean over 12 tokens: (0.1 * 10 + 5.8) / 12; its worst name, after the first token:
    # (2.9 + 0.1) / 2 (the token 9 and the end)
    assert aggregate(losses, spans, "mean_token") == pytest.approx(6.8 / 12)
    assert aggregate(losses, spans, "worst_name") == pytest.approx(3.0 / 2)


def test_a_name_s_first_token_is_a_choice_not_evidence_against_it():
    """A stated name the model did not expect first (high first-token loss, then a copy)
    scores lower than a name the text never states (surprising throughout)."""
    target = [5, *PRODUCES, 7, 8, EOS]
    spans = name_spans(target, PRODUCES, SEP)
    unexpected_first = [0.1, 0.1, 0.1, 6.0, 0.1, 0.1]
    unstated = [0.1, 0.1, 0.1, 1.5, 1.5, 1.5]
    assert aggregate(unexpected_first, spans, "worst_name") < aggregate(
        unstated, spans, "worst_name"
    )
    assert aggregate(unexpected_first, spans, "mean_token") > aggregate(
        unstated, spans, "mean_token"
    )


def test_a_longer_label_list_of_well_explained_names_is_not_penalised():
    short = [5, *PRODUCES, 7, EOS]
    long = [5, *PRODUCES, 7, *SEP, 5, *PRODUCES, 8, *SEP, 5, *PRODUCES, 9, EOS]
    for target in (short, long):
        losses = [0.2] * len(target)
        for score in ("worst_name_whole_organisms", "worst_name", "mean_token"):
            assert aggregate(losses, name_spans(target, PRODUCES, SEP), score) == pytest.approx(0.2)


def test_an_organism_name_is_scored_with_its_first_token():
    """The first token of an organism label points at the organism the text names: a wrong
    organism whose rest the model completes from memory (a famous species) is caught by
    `worst_name_whole_organisms`, not by `worst_name`. Chemicals keep their first token out."""
    target = [5, 6, *PRODUCES, 7, 8, EOS]  # org(5 6) produces chem(7 8)
    spans = name_spans(target, PRODUCES, SEP)
    famous_wrong_organism = [9.0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
    unexpected_chemical_start = [0.1, 0.1, 0.1, 0.1, 6.0, 0.1, 0.1]
    assert aggregate(famous_wrong_organism, spans, "worst_name") == pytest.approx(0.1)
    whole = aggregate(famous_wrong_organism, spans, "worst_name_whole_organisms")
    assert whole == pytest.approx((9.0 + 0.1 * 3) / 4)  # organism + "produces"
    assert aggregate(
        unexpected_chemical_start, spans, "worst_name_whole_organisms"
    ) == pytest.approx(0.1)
