"""Copy-constrained decoding: every organism and chemical the model writes is a span of the input.

Generative extractors hallucinate names; constraining decoding to substrings of the source
(as GenIE does with a trie of valid entities) removes that failure, makes every answer
traceable to evidence in the text, and lets a small model reach useful precision. The
output grammar is `span produces span (; span produces span)* </s>`, enforced on token ids.
"""

from __future__ import annotations

from collections import defaultdict

from npre.linearization.format import Linearization
from npre.linearization.name_boundaries import name_breaks, organism_starts, word_boundaries
from npre.linearization.tokens import check_grouped, layout, piece_texts

# no name is longer: a longer span is a runaway ("... along with two other strains ...")
MAX_SPAN_TOKENS = 64


def _looping(relations: list[tuple]) -> bool:
    """The last two relations both repeat earlier ones: the output has started to loop."""
    return len(relations) >= 3 and all(r in relations[: len(relations) - 2] for r in relations[-2:])


class SpanGrammar:
    """Which tokens may follow a generated prefix, for one source document."""

    def __init__(
        self,
        source: list[int],
        produces: list[int],
        separator: list[int],
        eos: int,
        boundaries: tuple[list[bool], list[bool]] | None = None,
        breaks: list[bool] | None = None,
        organism_starts: list[bool] | None = None,
        group_separator: list[int] | None = None,
    ):
        self.source = source
        self.produces = produces
        self.separator = separator
        # grouped linearisation: `separator` goes on to the same organism's next chemical,
        # `group_separator` to the next organism
        self.group_separator = group_separator or []
        self.eos = eos
        # spans start at a word start and end at a word end (default: anywhere)
        everywhere = [True] * len(source)
        self.starts, self.ends = boundaries or (everywhere, everywhere)
        # tokens no name contains: a text listing "A; B; C" is three names, never one span
        self.breaks = breaks or [False] * len(source)
        # an organism's name starts with a letter ("Artemisia", not "3-O-..." or "(1")
        organism_starts = organism_starts or everywhere
        self.positions: dict[int, list[int]] = defaultdict(list)  # chemicals
        self.organism_positions: dict[int, list[int]] = defaultdict(list)
        for index, token in enumerate(source):
            if self.starts[index] and not self.breaks[index]:
                self.positions[token].append(index)
                if organism_starts[index]:
                    self.organism_positions[token].append(index)

    def _matches(self, tokens: list[int], chemical: bool = True) -> list[int]:
        """Start positions where `tokens` occurs in the source as a span start."""
        n = len(tokens)
        starts = self.positions if chemical else self.organism_positions
        return [s for s in starts.get(tokens[0], ()) if self.source[s : s + n] == tokens]

    def _continuations(self, partial: list[int], chemical: bool = True) -> set[int]:
        """Tokens that extend `partial` to a longer span of the source."""
        if not partial:
            return set(self.positions if chemical else self.organism_positions)
        end = len(partial)
        return {
            self.source[s + end]
            for s in self._matches(partial, chemical)
            if s + end < len(self.source) and not self.breaks[s + end]
        }

    def _is_span(self, tokens: list[int], chemical: bool = True) -> bool:
        matches = self._matches(tokens, chemical) if tokens else []
        return any(self.ends[s + len(tokens) - 1] for s in matches)

    def _after_chemical(self) -> list[tuple[list[int], bool]]:
        """The delimiters that may close a chemical, each with whether a chemical follows."""
        if self.group_separator:
            return [(self.group_separator, False), (self.separator, True)]
        return [(self.separator, False)]

    def _state(self, generated: list[int]) -> tuple[bool, list[int], list[tuple]]:
        """(in the chemical part?, tokens since the last delimiter, completed relations)."""
        in_chemical, partial, organism, relations = False, [], (), []
        i = 0
        while i < len(generated):
            closing = self._after_chemical() if in_chemical else [(self.produces, True)]
            found = next(
                (
                    (delimiter, chemical_next)
                    for delimiter, chemical_next in closing
                    if partial and generated[i : i + len(delimiter)] == delimiter
                ),
                None,
            )
            if found is None:
                partial.append(generated[i])
                i += 1
                continue
            delimiter, chemical_next = found
            if in_chemical:
                relations.append((organism, tuple(partial)))
            else:
                organism = tuple(partial)
            in_chemical, partial = chemical_next, []
            i += len(delimiter)
        return in_chemical, partial, relations

    def allowed(self, generated: list[int]) -> set[int]:
        in_chemical, partial, relations = self._state(generated)
        # at a relation's start (grouped: a chemical's too): end an answer that loops
        at_start = not in_chemical or (self.group_separator and generated)
        if not partial and at_start and _looping(relations):
            return {self.eos}
        short = len(partial) < MAX_SPAN_TOKENS
        allowed = self._continuations(partial, in_chemical) if short else set()
        closing = self._after_chemical() if in_chemical else [(self.produces, True)]
        # the partial may be a complete span followed by the first k tokens of a delimiter
        for delimiter, _ in closing:
            for k in range(len(delimiter)):
                span = partial[: len(partial) - k] if k else partial
                ends_with = partial[len(partial) - k :] == delimiter[:k]
                if ends_with and self._is_span(span, in_chemical):
                    allowed.add(delimiter[k])
        if (in_chemical and self._is_span(partial)) or (not generated):
            allowed.add(self.eos)
        if not allowed:  # dead end (e.g. the source is exhausted): stop cleanly
            allowed.add(self.eos)
        return allowed


class CopyConstraintProcessor:
    """A transformers logits processor that masks every token the grammar forbids.

    Batched: row `r` of `input_ids` belongs to document `r // num_beams` (generate expands
    each document into `num_beams` consecutive rows) and is checked against that
    document's grammar. The prompt is left-padded to one width, so every row's output
    starts at `prompt_length`.
    """

    def __init__(
        self,
        grammars: list[SpanGrammar],
        prompt_length: int,
        num_beams: int = 1,
        stop_penalty: float = 0.0,
    ):
        self.grammars = grammars
        self.prompt_length = prompt_length
        self.num_beams = num_beams
        self.stop_penalty = stop_penalty

    def __call__(self, input_ids, scores):
        import torch

        mask = torch.full_like(scores, float("-inf"))
        for row in range(input_ids.shape[0]):
            grammar = self.grammars[row // self.num_beams]
            generated = input_ids[row, self.prompt_length :].tolist()
            if grammar.eos in generated:  # finished: generate pads this row, any token will do
                mask[row] = 0.0
                continue
            allowed = grammar.allowed(generated)
            mask[row, list(allowed)] = 0.0
            if grammar.eos in allowed and len(allowed) > 1:  # "end the list" costs extra
                mask[row, grammar.eos] = -self.stop_penalty
        return scores + mask


def grammar_for(
    tokenizer, source_ids: list[int], linearization: Linearization = "pairs"
) -> SpanGrammar:
    spec = layout(tokenizer)
    if linearization == "grouped":
        check_grouped(tokenizer, spec)
    texts = piece_texts(tokenizer, source_ids)
    return SpanGrammar(
        source_ids,
        spec.produces,
        spec.separator,
        spec.eos,
        word_boundaries(tokenizer, source_ids),
        name_breaks(texts),
        organism_starts(texts),
        spec.group_separator if linearization == "grouped" else None,
    )
