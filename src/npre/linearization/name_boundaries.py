"""Where in a source's tokens a copied name may begin and end, and which tokens no name may
contain: read from the tokenizer's word markers and the tokens' text."""

from __future__ import annotations

OPENING = "([{+-"


def _is_closing(text: str) -> bool:
    """Punctuation that never begins a name: commas, periods, closing brackets..."""
    text = text.strip()
    return _is_punctuation(text) and text[0] not in OPENING


def _is_punctuation(text: str) -> bool:
    text = text.strip()
    return bool(text) and not any(ch.isalnum() for ch in text)


def word_boundaries(tokenizer, ids: list[int]) -> tuple[list[bool], list[bool]] | None:
    """Which tokens may begin and end a name; None if the tokenizer's scheme is unknown.

    A name begins at a word start (after a space, a line break or punctuation, or at an
    opening bracket or sign) and ends where the next token begins a word or is punctuation.
    Byte-level BPE (GPT-2) marks a leading space with "Ġ", SentencePiece/Metaspace (Gemma,
    Llama, Mistral) with "▁"; BPE with end-of-word markers (BioGPT) ends a word's last
    piece with "</w>".
    """
    pieces = tokenizer.convert_ids_to_tokens(ids)
    specials = set(tokenizer.all_special_ids)
    # a special token (e.g. <unk>) is a break: no text of its own
    texts = [
        " " if token in specials else tokenizer.convert_tokens_to_string([p])
        for token, p in zip(ids, pieces, strict=True)
    ]
    if any(p.startswith("Ġ") for p in pieces):
        boundary = [p.startswith("Ġ") for p in pieces]
    elif any(p.startswith(METASPACE) for p in pieces):
        boundary = [p.startswith(METASPACE) for p in pieces]
    elif any(p.endswith("</w>") for p in pieces):
        boundary = [False] + [p.endswith("</w>") for p in pieces[:-1]]
    else:
        return None
    starts, ends = [], []
    for i, text in enumerate(texts):
        after_break = i > 0 and (_is_punctuation(texts[i - 1]) or not texts[i - 1].strip())
        opening = text.strip()[:1] in OPENING  # "(+)-catechin", "[6]-gingerol"
        starts.append(
            (i == 0 or boundary[i] or after_break or opening)
            and bool(text.strip())
            and not _is_closing(text)
        )
        last = i + 1 == len(texts)
        following = "" if last else texts[i + 1]
        ends.append(
            bool(text.strip())
            and (last or boundary[i + 1] or _is_punctuation(following) or not following.strip())
        )
    return starts, ends


METASPACE = "\u2581"


# no organism or chemical name contains a semicolon (abstracts separate lists with it)
# or a bar (the grouped linearisation's organism separator)
BREAK_CHARACTERS = ";|"


def name_breaks(texts: list[str]) -> list[bool]:
    """Which source tokens (by their text) no name may contain: a semicolon or a bar."""
    return [any(ch in text for ch in BREAK_CHARACTERS) for text in texts]


def organism_starts(texts: list[str]) -> list[bool]:
    """Which source tokens (by their text) may begin an organism's name: a letter first."""
    return [text.strip()[:1].isalpha() for text in texts]
