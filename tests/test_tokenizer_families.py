"""Copy constraints and target tokenisation for each tokenizer family, tokenizers built here.

SentencePiece/Metaspace "▁" (Gemma, Llama), byte-level BPE "Ġ" (GPT-2) and BPE with "</w>"
end-of-word markers (BioGPT): in each, a training target's names must be the source's own
tokens, which the decoding grammar allows, and outputs must parse back to the names.
"""

from __future__ import annotations

import pytest

from npre.base_model.tiny import wrap_tokenizer
from npre.decoding.constraints import grammar_for
from npre.linearization.name_boundaries import word_boundaries
from npre.linearization.parsing import parse_output_ids
from npre.linearization.tokens import (
    layout,
    name_ids,
    source_ids,
    target_ids,
    training_example,
)

CORPUS = [
    "Artemisia annua produces artemisinin; chemical study of Artemisia annua (Asteraceae).",
    "Berberine, palmatine and (+)-catechin were isolated from Coptis chinensis roots.",
    "Two sesquiterpenes produces; Taxus brevifolia bark yielded paclitaxel and baccatin III.",
    "Amphidinium sp. gave amphidinolides A-C and artemisinin.",
    "Grouped answers: Taxus brevifolia produces Taxol; baccatin III | Taxus baccata produces",
] * 30
TITLE = "Artemisia annua sesquiterpenes"
ABSTRACT = (
    "Chemical study of (+)-catechin and artemisinin from Artemisia annua (Asteraceae).\n"
    "Berberine, palmatine were found."
)
PAIRS = [
    ("Artemisia annua", "artemisinin"),
    ("Artemisia annua", "(+)-catechin"),
    ("Artemisia annua", "berberine"),
]


def metaspace_tokenizer():
    """Gemma/Llama style: "▁" marks a leading space, none before the first word."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    # punctuation apart, as Gemma's vocabulary keeps it
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Punctuation(),
            pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="never")
    trainer = trainers.BpeTrainer(
        vocab_size=220,
        special_tokens=["<pad>", "<s>", "</s>", "<unk>"],
        initial_alphabet=["\n"],
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS, trainer=trainer)
    # like Gemma: <bos> before every text
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", tokenizer.token_to_id("<s>"))]
    )
    return wrap_tokenizer(tokenizer)


def byte_level_tokenizer():
    """GPT-2 style: "Ġ" marks a leading space."""
    from npre.base_model.tiny import train_tokenizer

    return train_tokenizer(CORPUS, 300)


def end_of_word_tokenizer():
    """BioGPT style: "</w>" ends the last piece of each word."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>", end_of_word_suffix="</w>"))
    # words and punctuation apart, as BioGPT's Moses tokenisation does
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()]
    )
    tokenizer.decoder = decoders.BPEDecoder(suffix="</w>")
    trainer = trainers.BpeTrainer(
        vocab_size=260,
        special_tokens=["<pad>", "<s>", "</s>", "<unk>"],
        end_of_word_suffix="</w>",
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS, trainer=trainer)
    return wrap_tokenizer(tokenizer)


FAMILIES = {
    "metaspace": metaspace_tokenizer,
    "byte_level": byte_level_tokenizer,
    "end_of_word": end_of_word_tokenizer,
}


@pytest.fixture(scope="module", params=sorted(FAMILIES))
def tokenizer(request):
    return FAMILIES[request.param]()


def _walk(grammar, tokens):
    """Feed `tokens` to the grammar one by one; each must be allowed."""
    for i, token in enumerate(tokens):
        allowed = grammar.allowed(tokens[:i])
        assert token in allowed, f"token {i} of {tokens} not allowed"


def test_the_tokenizer_scheme_is_recognised(tokenizer):
    ids = source_ids(tokenizer, TITLE, ABSTRACT, 2000, 512)
    assert word_boundaries(tokenizer, ids) is not None


def test_prompt_layout_puts_the_tokenizers_own_prefix_first(tokenizer):
    spec = layout(tokenizer)
    expected = tokenizer.encode("a")[: -len(tokenizer.encode("a", add_special_tokens=False))]
    assert spec.prefix == expected
    assert spec.boundary == [tokenizer.eos_token_id, tokenizer.bos_token_id]


def test_training_target_names_are_source_tokens_the_grammar_allows(tokenizer):
    example = training_example(tokenizer, TITLE, ABSTRACT, PAIRS, 2000, 512)
    spec = layout(tokenizer)
    prompt_length = example.labels.count(-100)
    prompt, target = example.input_ids[:prompt_length], example.input_ids[prompt_length:]
    source = prompt[len(spec.prefix) : -len(spec.boundary)]
    assert target[-1] == spec.eos
    grammar = grammar_for(tokenizer, source)
    _walk(grammar, target)  # every token of the target, up to and with </s>
    parsed = parse_output_ids(tokenizer, target[:-1]).pairs
    # as the text writes them ("</w>" BPE decodes punctuation with spaces around it), in
    # the order it names them (the labels list artemisinin first)
    assert [(o, c.replace(" ", "")) for o, c in parsed] == [
        ("Artemisia annua", "(+)-catechin"),
        ("Artemisia annua", "artemisinin"),
        ("Artemisia annua", "Berberine"),
    ]


def test_relations_the_text_does_not_state_can_be_left_out_of_the_target(tokenizer):
    """train.drop_unstated: a LOTUS label the abstract never names ("paclitaxel" here) is
    not taught; with every label unstated, the target is "no relation"."""
    spec = layout(tokenizer)
    noisy = [*PAIRS, ("Artemisia annua", "paclitaxel"), ("Taxus brevifolia", "artemisinin")]
    example = training_example(tokenizer, TITLE, ABSTRACT, noisy, 2000, 512, stated_only=True)
    target = example.input_ids[example.labels.count(-100) :]
    parsed = parse_output_ids(tokenizer, target[:-1]).pairs
    assert [(o, c.replace(" ", "").lower()) for o, c in parsed] == [
        (o, c.lower())
        for o, c in (PAIRS[1], PAIRS[0], PAIRS[2])  # in text order
    ]
    kept = training_example(tokenizer, TITLE, ABSTRACT, noisy, 2000, 512)
    assert len(parse_output_ids(tokenizer, kept.input_ids[kept.labels.count(-100) : -1]).pairs) == 5
    unstated = [("Taxus brevifolia", "paclitaxel")]
    empty = training_example(tokenizer, TITLE, ABSTRACT, unstated, 2000, 512, stated_only=True)
    assert empty.input_ids[empty.labels.count(-100) :] == [spec.eos]


def test_a_name_at_the_start_of_the_text_is_copied_as_the_text_tokenises_it(tokenizer):
    """Where the text states a name only at its start, the target uses those tokens."""
    source = source_ids(tokenizer, "Coptis chinensis roots", "yielded berberine.", 2000, 512)
    ids = name_ids(tokenizer, "Coptis chinensis", source)
    assert ids == source[: len(ids)]
    assert tokenizer.decode(ids).strip() == "Coptis chinensis"


def test_an_occurrence_after_a_space_is_preferred(tokenizer):
    source = source_ids(
        tokenizer, "Artemisia annua", "The leaves of Artemisia annua gave artemisinin.", 2000, 512
    )
    ids = name_ids(tokenizer, "Artemisia annua", source)
    assert ids != source[: len(ids)] or layout(tokenizer).prefix == []  # not the title's
    assert tokenizer.decode(ids).strip() == "Artemisia annua"


def test_a_name_the_text_does_not_state_is_tokenised_after_a_space(tokenizer):
    source = source_ids(tokenizer, TITLE, ABSTRACT, 2000, 512)
    ids = name_ids(tokenizer, "paclitaxel", source)
    assert ids == tokenizer.encode(" paclitaxel", add_special_tokens=False)


def test_names_never_start_or_end_inside_a_word(tokenizer):
    source = source_ids(tokenizer, TITLE, ABSTRACT, 2000, 512)
    grammar = grammar_for(tokenizer, source)
    for word in ("Chemical", "sesquiterpenes", "palmatine"):
        ids = name_ids(tokenizer, word, source)
        start = next(i for i in range(len(source)) if source[i : i + len(ids)] == ids)
        inside = range(start + 1, start + len(ids))
        assert grammar.starts[start] and grammar.ends[start + len(ids) - 1]
        assert not any(grammar.starts[i] for i in inside), word
        assert not any(grammar.ends[i - 1] for i in inside), word


def test_outputs_parse_on_tokens_even_without_a_space_after_the_delimiter(tokenizer):
    """SentencePiece copies a line-initial name without "▁": the parser splits on ids."""
    spec = layout(tokenizer)
    source = source_ids(tokenizer, "", "Berberine from Coptis chinensis.", 2000, 512)
    berberine = name_ids(tokenizer, "Berberine", source)
    coptis = name_ids(tokenizer, "Coptis chinensis", source)
    output = [*coptis, *spec.produces, *berberine, *spec.separator, *coptis, *spec.produces]
    parsed = parse_output_ids(tokenizer, output)
    assert parsed.pairs == [("Coptis chinensis", "Berberine")]
    assert parsed.malformed == 1  # the unfinished second relation


def test_a_series_member_is_learnt_as_its_series_expression_once(tokenizer):
    """Labels "amphidinolide A".."C" in a text that writes "amphidinolides A–C": one relation
    with the expression, which the grammar allows and the extractor expands."""
    from npre.text.series import expand_relations

    abstract = "Amphidinium sp. gave amphidinolides A-C and artemisinin."  # toys lack "–"
    pairs = [("Amphidinium sp.", f"amphidinolide {x}") for x in "ABC"]
    pairs.append(("Amphidinium sp.", "artemisinin"))
    example = training_example(tokenizer, "", abstract, pairs, 2000, 512)
    spec = layout(tokenizer)
    prompt_length = example.labels.count(-100)
    target = example.input_ids[prompt_length:]
    source = example.input_ids[len(spec.prefix) : prompt_length - len(spec.boundary)]
    _walk(grammar_for(tokenizer, source), target)
    parsed = parse_output_ids(tokenizer, target[:-1]).pairs
    assert len(parsed) == 2  # the series once, then artemisinin
    expanded = expand_relations([(o, c.replace(" - ", "-")) for o, c in parsed])
    assert [c for _, c in expanded] == [
        "amphidinolide A",
        "amphidinolide B",
        "amphidinolide C",
        "artemisinin",
    ]


GROUPED_ABSTRACT = (
    "Taxol and baccatin III were isolated from Taxus brevifolia; cephalomannine and "
    "taxinine from Taxus baccata."
)
GROUPED_PAIRS = [
    ("Taxus baccata", "cephalomannine"),
    ("Taxus brevifolia", "Taxol"),
    ("Taxus brevifolia", "baccatin III"),
    ("Taxus baccata", "taxinine"),
]


def test_the_grouped_linearisation_round_trips_and_writes_each_organism_once(tokenizer):
    """`org produces a; b | org produces c; d`: the grammar allows every token of the
    target, the parser reads back the relations (in text order), and it is shorter."""
    spec = layout(tokenizer)
    example = training_example(
        tokenizer, "Taxanes", GROUPED_ABSTRACT, GROUPED_PAIRS, 2000, 512, linearization="grouped"
    )
    prompt_length = example.labels.count(-100)
    prompt, target = example.input_ids[:prompt_length], example.input_ids[prompt_length:]
    source = prompt[len(spec.prefix) : -len(spec.boundary)]
    _walk(grammar_for(tokenizer, source, "grouped"), target)
    parsed = parse_output_ids(tokenizer, target[:-1], linearization="grouped").pairs
    assert [(o, c.replace(" ", "")) for o, c in parsed] == [
        ("Taxus brevifolia", "Taxol"),
        ("Taxus brevifolia", "baccatinIII"),
        ("Taxus baccata", "cephalomannine"),
        ("Taxus baccata", "taxinine"),
    ]
    text = tokenizer.decode(target[:-1])
    assert text.count("Taxus brevifolia") == 1 and text.count("Taxus baccata") == 1
    paired = training_example(tokenizer, "Taxanes", GROUPED_ABSTRACT, GROUPED_PAIRS, 2000, 512)
    assert len(target) < len(paired.input_ids) - prompt_length
    # the pairs grammar does not accept a grouped answer, nor the grouped one a bar inside
    # a chemical list that is not followed by an organism
    pairs_grammar = grammar_for(tokenizer, source)
    with pytest.raises(AssertionError):
        _walk(pairs_grammar, target)


def test_the_grouped_grammar_allows_only_spans_of_the_text(tokenizer):
    """After a chemical, `;` goes on to another chemical and `|` to an organism; each name
    is a span of the text; no name contains the bar or the semicolon."""
    spec = layout(tokenizer)
    source = source_ids(tokenizer, "", GROUPED_ABSTRACT, 2000, 512)
    grammar = grammar_for(tokenizer, source, "grouped")
    organism = name_ids(tokenizer, "Taxus brevifolia", source)
    chemical = name_ids(tokenizer, "Taxol", source)
    answer = [*organism, *spec.produces, *chemical]
    after_chemical = grammar.allowed(answer)
    assert spec.separator[0] in after_chemical and spec.group_separator[0] in after_chemical
    assert spec.eos in after_chemical
    # after `;` a chemical starts: any span start of the text, never a delimiter or the end
    next_chemical = grammar.allowed([*answer, *spec.separator])
    assert spec.eos not in next_chemical and spec.group_separator[0] not in next_chemical
    assert next_chemical <= set(source)
    # after `|` an organism starts (a letter first), then `produces` once it is a span
    next_organism = grammar.allowed([*answer, *spec.group_separator])
    assert next_organism <= set(source) and organism[0] in next_organism


def test_the_organisms_of_a_grouped_answer_are_found_clause_by_clause(tokenizer):
    from npre.decoding.organism_passes import clause_organisms

    source = source_ids(tokenizer, "Taxanes", GROUPED_ABSTRACT, 2000, 512)
    target = target_ids(tokenizer, GROUPED_PAIRS, source, linearization="grouped")
    organisms = clause_organisms(tokenizer, target[:-1])
    assert [tokenizer.decode(o).strip() for o in organisms] == [
        "Taxus brevifolia",
        "Taxus baccata",
    ]
