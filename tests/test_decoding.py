"""Linearisation, output parsing and the copy-constraint grammar."""

from npre.modeling.constraints import SpanGrammar
from npre.modeling.linearize import parse_relations, source_text, target_text

PRODUCES, SEP, EOS = [100], [101], 0


def test_target_and_parse_round_trip():
    pairs = [("Artemisia annua", "artemisinin"), ("Artemisia annua", "arteannuin B")]
    text = target_text(pairs + pairs[:1])
    assert text == "Artemisia annua produces artemisinin; Artemisia annua produces arteannuin B"
    assert parse_relations(text).pairs == pairs


def test_parse_counts_malformed_pieces_and_never_fails():
    parsed = parse_relations("A b produces c; garbage; produces d; E f produces ; G h produces i;;")
    assert parsed.pairs == [("A b", "c"), ("G h", "i")]
    assert parsed.malformed == 3


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


def test_spans_are_word_aligned_with_a_real_tokenizer():
    from npre.modeling.base_model import train_tokenizer
    from npre.modeling.constraints import grammar_for

    tokenizer = train_tokenizer(["Artemisinin was isolated from Artemisia annua."] * 20, 300)
    source = tokenizer.encode("Novel xylomycins from Artemisia annua", add_special_tokens=False)
    pieces = tokenizer.convert_ids_to_tokens(source)
    g = grammar_for(tokenizer, source)
    inner = [i for i, p in enumerate(pieces) if i > 0 and not p.startswith("Ġ")]
    assert inner, pieces  # the unseen word is split into sub-words
    assert all(not g.starts[i] for i in inner)  # no span starts inside a word
    assert g.allowed([]) == {
        t for t, p in zip(source, pieces, strict=True) if p.startswith("Ġ")
    } | {source[0], g.eos}
    organism = tokenizer.encode(" Artemisia", add_special_tokens=False)
    assert g.allowed(organism) == {
        tokenizer.encode(" annua", add_special_tokens=False)[0],
        g.produces[0],
    }
    # a span cannot stop inside a word: after the first piece of "xylomycins", only its next piece
    first = source[inner[0] - 1 : inner[0]]
    assert g.allowed(first) == {source[inner[0]]}


def test_names_end_before_punctuation_and_never_start_with_it():
    from npre.modeling.base_model import train_tokenizer
    from npre.modeling.constraints import grammar_for

    text = "Berberine, palmatine and (+)-catechin were found."
    tokenizer = train_tokenizer([text] * 20, 300)
    source = tokenizer.encode(text, add_special_tokens=False)
    g = grammar_for(tokenizer, source)
    comma = tokenizer.encode(",", add_special_tokens=False)[0]
    assert comma not in g.allowed([])  # no name starts with a comma
    assert tokenizer.encode(" (+)-catechin", add_special_tokens=False)[0] in g.allowed([])
    berberine = source[: source.index(comma)]
    assert g.produces[0] in g.allowed(berberine)  # "Berberine" ends before its comma
