"""Linearisation, output parsing, the copy-constraint grammar and batched decoding."""

import pytest

from npre.decoding.constraints import SpanGrammar
from npre.linearization.format import source_text

PRODUCES, SEP, EOS = [100], [101], 0


def test_source_is_truncated_to_the_character_budget():
    assert source_text(" Title ", "abstract text", 12) == "Title abstra"


def grammar(source):
    return SpanGrammar(source, PRODUCES, SEP, EOS)


def test_grammar_only_allows_spans_of_the_source():
    g = grammar([5, 6, 7, 8, 6, 9])
    assert g.allowed([]) == {5, 6, 7, 8, 9, EOS}  # any start, or no relation at all
    assert g.allowed([5]) == {6, *PRODUCES}  # continue the span 5 6 ..., or close it
    assert g.allowed([6]) == {7, 9, *PRODUCES}  # 6 occurs twice: both continuations
    assert g.allowed([5, 6, 7, 8, 6, 9]) == {*PRODUCES}  # the source is exhausted
    # after "produces", a chemical span; it can end the output or be followed by "; "
    assert g.allowed([5, *PRODUCES, 8]) == {6, *SEP, EOS}
    assert g.allowed([5, *PRODUCES, 8, *SEP]) == {5, 6, 7, 8, 9}


def test_grammar_with_multi_token_delimiters():
    g = SpanGrammar([5, 6, 7], [100, 102], [101], EOS)
    assert g.allowed([5]) == {6, 100}
    assert g.allowed([5, 100]) == {102}  # "100" alone is no span: the delimiter must finish
    assert g.allowed([5, 100, 102]) == {5, 6, 7}


def test_no_name_spans_a_break():
    """A text listing "A; B" names two things: a span stops before the semicolon."""
    g = SpanGrammar([5, 6, 3, 7, 8], PRODUCES, SEP, EOS, breaks=[False, False, True, False, False])
    assert g.allowed([]) == {5, 6, 7, 8, EOS}  # no name starts at the break
    assert g.allowed([5, 6]) == {*PRODUCES}  # nor continues through it
    assert g.allowed([5, *PRODUCES, 6]) == {*SEP, EOS}
    assert g.allowed([5, *PRODUCES, 7]) == {8, *SEP, EOS}


def test_an_organism_starts_where_the_text_has_a_letter():
    """Organisms are spans starting with a letter; chemicals may start anywhere ("3-O-...")."""
    g = SpanGrammar([5, 6, 7], PRODUCES, SEP, EOS, organism_starts=[False, True, True])
    assert g.allowed([]) == {6, 7, EOS}
    assert g.allowed([6, *PRODUCES]) == {5, 6, 7}
    assert g.allowed([6, *PRODUCES, 5, *SEP]) == {6, 7}


def test_a_semicolon_breaks_names_with_a_real_tokenizer():
    from npre.base_model.tiny import train_tokenizer
    from npre.linearization.name_boundaries import name_breaks
    from npre.linearization.tokens import piece_texts

    text = "quercetin; rutin and 6-hydroxyluteolin;kaempferol"
    tokenizer = train_tokenizer([text] * 20, vocab_size=300)
    ids = tokenizer.encode(text, add_special_tokens=False)
    breaks = name_breaks(piece_texts(tokenizer, ids))
    pieces = [tokenizer.decode([i]) for i in ids]
    assert [p for p, b in zip(pieces, breaks, strict=True) if b] and all(
        (";" in p) == b for p, b in zip(pieces, breaks, strict=True)
    )


def test_spans_are_word_aligned_with_a_real_tokenizer():
    from npre.base_model.tiny import train_tokenizer
    from npre.decoding.constraints import grammar_for

    tokenizer = train_tokenizer(["Artemisinin was isolated from Artemisia annua."] * 20, 300)
    source = tokenizer.encode("Novel xylomycins from Artemisia annua", add_special_tokens=False)
    pieces = tokenizer.convert_ids_to_tokens(source)
    g = grammar_for(tokenizer, source)
    # a word begins with "Ġ", or right after a lone "Ġ" (a space the vocabulary kept apart)
    word_start = [
        i == 0 or (p.startswith("Ġ") and p != "Ġ") or pieces[i - 1] == "Ġ"
        for i, p in enumerate(pieces)
    ]
    inner = [i for i, p in enumerate(pieces) if not word_start[i] and p != "Ġ"]
    assert inner, pieces  # the unseen word is split into sub-words
    assert all(not g.starts[i] for i in inner)  # no span starts inside a word
    assert g.allowed([]) == {t for t, s in zip(source, word_start, strict=True) if s} | {g.eos}
    organism = tokenizer.encode(" Artemisia", add_special_tokens=False)
    assert g.allowed(organism) == {
        tokenizer.encode(" annua", add_special_tokens=False)[0],
        g.produces[0],
    }
    # a span cannot stop inside a word: after the first piece of "xylomycins", only its next piece
    first = source[inner[0] - 1 : inner[0]]
    assert g.allowed(first) == {source[inner[0]]}


def test_names_end_before_punctuation_and_never_start_with_it():
    from npre.base_model.tiny import train_tokenizer
    from npre.decoding.constraints import grammar_for

    text = "Berberine, palmatine and (+)-catechin were found."
    tokenizer = train_tokenizer([text] * 20, 300)
    source = tokenizer.encode(text, add_special_tokens=False)
    g = grammar_for(tokenizer, source)
    comma = tokenizer.encode(",", add_special_tokens=False)[0]
    assert comma not in g.allowed([])  # no name starts with a comma
    berberine = source[: source.index(comma)]
    assert g.produces[0] in g.allowed(berberine)  # "Berberine" ends before its comma
    catechin = tokenizer.encode(" (+)-catechin", add_special_tokens=False)[0]
    assert catechin in g.allowed([*berberine, *g.produces])  # a chemical may open a bracket
    assert catechin not in g.allowed([])  # an organism starts with a letter


def test_batched_processor_checks_each_row_against_its_own_document():
    import torch

    from npre.decoding.constraints import CopyConstraintProcessor

    grammars = [grammar([5, 6]), grammar([7, 8])]
    prompt = 3  # rows are left-padded to a 3-token prompt
    processor = CopyConstraintProcessor(grammars, prompt, num_beams=2)
    input_ids = torch.tensor([[0, 1, 2, 5], [0, 1, 2, 6], [0, 1, 2, 7], [0, 1, 2, EOS]])
    masked = processor(input_ids, torch.zeros(4, 110))
    allowed = [set(torch.nonzero(row == 0).flatten().tolist()) for row in masked]
    assert allowed[0] == {6, *PRODUCES}  # rows 0-1: the first document's beams
    assert allowed[1] == {*PRODUCES}
    assert allowed[2] == {8, *PRODUCES}  # rows 2-3: the second document's
    assert allowed[3] == set(range(110))  # finished: generate pads it, nothing to mask


@pytest.fixture(scope="module")
def extractor(tmp_path_factory):
    """A tiny GPT-2 pre-trained to copy spans of its input (no relation labels)."""
    from helpers import one_relation_documents

    from npre.base_model.tiny import build_tiny_model
    from npre.config.model_params import DecodingParams, TinyModelParams
    from npre.decoding.extractor import ExtractorConfig, RelationExtractor

    docs = one_relation_documents("Chemical study of {org} gave {chem} and other minor ones.", 6)
    out = tmp_path_factory.mktemp("tiny")
    params = TinyModelParams(
        vocab_size=400, n_positions=128, n_embd=32, n_layer=2, n_head=2, pretrain_epochs=3
    )
    build_tiny_model([d.text for d in docs] * 4, params, out, seed=0)
    config = ExtractorConfig(400, 96, DecodingParams(max_new_tokens=16))
    return RelationExtractor.load(out, None, config)


DOCUMENTS = [
    ("Alkaloids of Coptis chinensis", "Berberine was isolated from Coptis chinensis."),
    ("", "Taxus brevifolia gave paclitaxel and baccatin III in small amounts, with other minor"),
    ("Metabolites of Artemisia annua", "Chemical study of Artemisia annua gave artemisinin."),
    ("Penicillin", "Penicillium chrysogenum."),
]


@pytest.mark.parametrize("num_beams", [1, 2])
def test_batched_generation_answers_exactly_as_one_by_one(extractor, num_beams):
    """Left padding changes nothing: generate derives GPT-2 position ids from the mask."""
    from npre.config.model_params import DecodingParams

    extractor.decoding = DecodingParams(max_new_tokens=16, num_beams=num_beams)
    one_by_one = [extractor.extract(title, abstract) for title, abstract in DOCUMENTS]
    batched = extractor.extract_many(DOCUMENTS)
    assert [e.raw for e in batched] == [e.raw for e in one_by_one]
    assert [e.relations for e in batched] == [e.relations for e in one_by_one]
    assert any(e.raw for e in batched)  # it generates something, not only </s>
    # in chunks, too (batched by prompt length, answered in input order)
    assert [e.raw for e in extractor.extract_many(DOCUMENTS, batch_size=3)] == [
        e.raw for e in one_by_one
    ]
    assert extractor.extract_many([]) == []


def test_the_batched_documents_mix_prompt_lengths(extractor):
    """A precondition of the batched-equals-one-by-one test: padding really happens."""
    from npre.linearization.tokens import prompt_ids

    lengths = {len(prompt_ids(extractor.tokenizer, t, a, 400, 80)) for t, a in DOCUMENTS}
    assert len(lengths) > 1


def test_an_output_that_loops_is_ended():
    """Two relations in a row that repeat earlier ones: only </s> remains."""
    g = grammar([5, 6, 7, 8])
    first = [5, *PRODUCES, 7, *SEP, 6, *PRODUCES, 8, *SEP]
    once = [*first, 5, *PRODUCES, 7, *SEP]
    assert g.allowed(once) != {EOS}  # one repeat may be followed by new relations
    assert g.allowed([*once, 5, *PRODUCES, 8, *SEP]) != {EOS}  # a new one after it: go on
    assert g.allowed([*once, 6, *PRODUCES, 8, *SEP]) == {EOS}  # two repeats in a row: stop


def test_spans_are_capped():
    from npre.decoding.constraints import MAX_SPAN_TOKENS

    source = list(range(10, 10 + MAX_SPAN_TOKENS + 5))
    g = grammar(source)
    assert g.allowed(source[:MAX_SPAN_TOKENS]) == {*PRODUCES}


def ids_of(decoded: list[tuple[list[int], list[float]]]) -> list[list[int]]:
    return [ids for ids, _ in decoded]


def _generate_with_processor(extractor, prompts, grammars, max_new_tokens, stop_penalty):
    """The reference: transformers' generate, masked by the copy-constraint processor."""
    import torch
    from transformers import LogitsProcessorList

    from npre.decoding.constraints import CopyConstraintProcessor

    tok = extractor.tokenizer
    width = max(len(p) for p in prompts)
    ids = torch.tensor([[tok.pad_token_id] * (width - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    processor = CopyConstraintProcessor(grammars, width, 1, stop_penalty)
    with torch.no_grad():
        out = extractor.model.generate(
            input_ids=ids,
            attention_mask=mask,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=tok.eos_token_id,
            pad_token_id=tok.pad_token_id,
            logits_processor=LogitsProcessorList([processor]),
        )
    rows = out[:, width:].tolist()
    return [r[: r.index(tok.eos_token_id)] if tok.eos_token_id in r else r for r in rows]


@pytest.mark.parametrize("stop_penalty", [0.0, 1.0])
def test_pruned_greedy_decoding_answers_as_generate_does(extractor, stop_penalty):
    """Dropping finished rows and scoring only allowed tokens changes no answer."""
    import torch

    from npre.decoding.constraints import grammar_for
    from npre.decoding.greedy import greedy_decode, supports_pruned_greedy
    from npre.linearization.tokens import prompt_ids, source_of_prompt

    tok = extractor.tokenizer
    prompts = [prompt_ids(tok, t, a, 400, 80) for t, a in DOCUMENTS]
    grammars = [grammar_for(tok, source_of_prompt(tok, p)) for p in prompts]
    assert supports_pruned_greedy(extractor.model)
    expected = _generate_with_processor(extractor, prompts, grammars, 24, stop_penalty)
    with torch.no_grad():
        decoded = greedy_decode(
            extractor.model, prompts, grammars, tok.pad_token_id, 24, stop_penalty
        )
    got = ids_of(decoded)
    assert got == expected
    # each token's log-probability among the allowed ones, the end token's last
    for ids, logprobs in decoded:
        assert len(logprobs) in (len(ids), len(ids) + 1)
        assert all(lp <= 1e-6 for lp in logprobs)
    # without a penalty, rows finish at different steps: the pruning is exercised
    assert stop_penalty or len({len(g) for g in got}) > 1


def test_a_stop_penalty_lengthens_answers(extractor):
    import torch

    from npre.decoding.constraints import grammar_for
    from npre.decoding.greedy import greedy_decode
    from npre.linearization.tokens import prompt_ids, source_of_prompt

    tok = extractor.tokenizer
    prompts = [prompt_ids(tok, t, a, 400, 80) for t, a in DOCUMENTS]
    grammars = [grammar_for(tok, source_of_prompt(tok, p)) for p in prompts]
    with torch.no_grad():
        free = ids_of(greedy_decode(extractor.model, prompts, grammars, tok.pad_token_id, 40))
        pushed = ids_of(
            greedy_decode(extractor.model, prompts, grammars, tok.pad_token_id, 40, 1e6)
        )
    assert all(len(p) >= len(f) for p, f in zip(pushed, free, strict=True))
    # with an overwhelming penalty, an answer ends only where </s> is the one choice left
    for grammar, answer in zip(grammars, pushed, strict=True):
        assert len(answer) == 40 or grammar.allowed(answer) == {grammar.eos}


def test_pruned_greedy_decoding_runs_an_unmerged_lora_adapter(extractor):
    """Validation during training decodes with the PEFT model itself: same answers."""
    import torch

    from npre.config.model_params import TrainParams
    from npre.decoding.constraints import grammar_for
    from npre.decoding.greedy import greedy_decode, supports_pruned_greedy
    from npre.linearization.tokens import prompt_ids, source_of_prompt
    from npre.training.lora import prepare_peft_model

    tok = extractor.tokenizer
    peft_model = prepare_peft_model(extractor.model, TrainParams(lora_r=4))
    with torch.no_grad():  # a non-zero adapter, so the LoRA layers change the answers
        for name, weight in peft_model.named_parameters():
            if "lora_B" in name:
                weight.normal_(0, 0.5, generator=torch.Generator().manual_seed(0))
    peft_model.eval()
    prompts = [prompt_ids(tok, t, a, 400, 80) for t, a in DOCUMENTS]
    grammars = [grammar_for(tok, source_of_prompt(tok, p)) for p in prompts]
    assert supports_pruned_greedy(peft_model)
    try:
        extractor.model = peft_model
        expected = _generate_with_processor(extractor, prompts, grammars, 24, 0.0)
        with torch.no_grad():
            got = ids_of(greedy_decode(peft_model, prompts, grammars, tok.pad_token_id, 24))
    finally:
        extractor.model = peft_model.unload()  # the fixture's model, without the adapter
    assert got == expected


def test_pruned_greedy_decoding_with_sliding_window_layers(extractor):
    """Gemma 3 mixes sliding-window and full layers; the preallocated cache keeps every
    position of a sliding layer, and its mask still limits it to its window."""
    from types import SimpleNamespace

    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    from npre.decoding.constraints import grammar_for
    from npre.decoding.greedy import greedy_decode, supports_pruned_greedy
    from npre.linearization.tokens import prompt_ids, source_of_prompt

    tok = extractor.tokenizer
    prompts = [prompt_ids(tok, t, a, 400, 80) for t, a in DOCUMENTS]
    window = 6
    assert min(len(p) for p in prompts) > window  # every prompt outgrows the window
    torch.manual_seed(0)
    config = Gemma3TextConfig(
        vocab_size=len(tok),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=16,
        sliding_window=window,
        layer_types=["sliding_attention", "full_attention"],
        pad_token_id=tok.pad_token_id,
        eos_token_id=tok.eos_token_id,
        bos_token_id=tok.bos_token_id,
    )
    model = Gemma3ForCausalLM(config).eval()
    grammars = [grammar_for(tok, source_of_prompt(tok, p)) for p in prompts]
    assert supports_pruned_greedy(model)
    reference = SimpleNamespace(model=model, tokenizer=tok)
    expected = _generate_with_processor(reference, prompts, grammars, 24, 0.0)
    with torch.no_grad():
        got = ids_of(greedy_decode(model, prompts, grammars, tok.pad_token_id, 24))
    assert got == expected
    # the window matters here: the same weights without it answer otherwise
    config.layer_types = ["full_attention", "full_attention"]
    unwindowed = Gemma3ForCausalLM(config).eval()
    unwindowed.load_state_dict(model.state_dict())
    with torch.no_grad():
        assert ids_of(greedy_decode(unwindowed, prompts, grammars, tok.pad_token_id, 24)) != got
        for i, prompt in enumerate(prompts):  # alone, with drafts: each layer's window holds
            # (alone, not against the batch: a sliding window counts the batch's left padding)
            step = ids_of(greedy_decode(model, [prompt], [grammars[i]], tok.pad_token_id, 24))
            drafted = ids_of(
                greedy_decode(model, [prompt], [grammars[i]], tok.pad_token_id, 24, 0.0, 8)
            )
            assert drafted == step


def test_draft_tokens_continue_the_latest_earlier_match():
    from npre.decoding.greedy import draft_tokens

    prompt = [1, 5, 6, 7, 8, 9, 2]
    assert draft_tokens(prompt, [5, 6], 3) == [7, 8, 9]  # the name being copied goes on
    # "org produces a ; org" -> "produces" follows, as in the previous relation
    assert draft_tokens(prompt, [5, 100, 7, 101, 5], 2) == [100, 7]
    assert draft_tokens(prompt, [42], 3) == []  # nothing to copy from
    assert draft_tokens(prompt, [8], 5) == [9, 2, 8]  # on into the answer itself


@pytest.mark.parametrize("stop_penalty", [0.0, 1.0])
def test_lookahead_decoding_answers_as_step_by_step_decoding(extractor, stop_penalty):
    """Checking drafted tokens changes no answer, alone or as a batch's last document,
    and needs fewer model passes."""
    import torch

    import npre.decoding.greedy as greedy
    from npre.decoding.constraints import grammar_for
    from npre.linearization.tokens import prompt_ids, source_of_prompt

    tok = extractor.tokenizer
    prompts = [prompt_ids(tok, t, a, 400, 80) for t, a in DOCUMENTS]
    grammars = [grammar_for(tok, source_of_prompt(tok, p)) for p in prompts]
    passes = {"count": 0}
    body_of = greedy.transformer_body

    def counting_body(model):
        body = body_of(model)

        def run(**kwargs):
            passes["count"] += 1
            return body(**kwargs)

        return run

    def decode(batch, lookahead):
        passes["count"] = 0
        with torch.no_grad():
            got = greedy.greedy_decode(
                extractor.model,
                [prompts[i] for i in batch],
                [grammars[i] for i in batch],
                tok.pad_token_id,
                24,
                stop_penalty,
                lookahead,
            )
        return ids_of(got), passes["count"]

    greedy.transformer_body = counting_body
    try:
        everything = list(range(len(prompts)))
        expected, _ = decode(everything, 0)
        assert decode(everything, 8)[0] == expected
        fewer = 0
        for i in everything:
            alone, step_passes = decode([i], 0)
            assert alone == [expected[i]]
            drafted, draft_passes = decode([i], 8)
            assert drafted == alone
            fewer += draft_passes < step_passes
    finally:
        greedy.transformer_body = body_of
    assert fewer, "no draft token was ever kept"


def test_an_organism_clause_forces_its_organism_and_lists_only_its_chemicals():
    from npre.decoding.organism_passes import ClauseGrammar

    GROUP = [102]
    g = SpanGrammar([5, 6, 7, 8], PRODUCES, SEP, EOS, group_separator=GROUP)
    clause = ClauseGrammar(g, [5])
    assert clause.prefix == [5, *PRODUCES]
    assert clause.allowed([]) == {5, 6, 7, 8}  # a chemical first: no empty clause
    assert clause.allowed([7]) == {8, *SEP, EOS}  # on, another chemical, or the end
    assert GROUP[0] in g.allowed([5, *PRODUCES, 7])  # the whole answer could switch organism
    assert clause.allowed([7, *SEP]) == {5, 6, 7, 8}


def test_a_pairs_clause_repeats_its_organism_in_every_relation():
    from npre.decoding.organism_passes import ClauseGrammar

    clause = ClauseGrammar(grammar([5, 6, 7, 8]), [5])
    assert clause.allowed([7]) == {8, *SEP, EOS}
    assert clause.allowed([7, *SEP]) == {5}  # the next relation: the same organism, forced
    assert clause.allowed([7, *SEP, 5]) == {*PRODUCES}
    assert clause.allowed([7, *SEP, 5, *PRODUCES]) == {5, 6, 7, 8}
