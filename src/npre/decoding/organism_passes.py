"""Organism-wise passes: after the whole answer, one pass per further organism it named,
asking for that organism's chemicals alone.

A model that stops a long answer early misses most of the later organisms' chemicals. A
pass starts the answer with the organism (`org produces`, forced) and lets the model list
its chemicals, then end; its relations join the whole answer's, each with its probability
(the forced organism's included), so one confidence threshold serves both. The first
organism of the answer gets no pass: the model would write what it wrote. In the grouped
linearisation a pass is one clause; in pairs every relation of the pass repeats the
forced organism.
"""

from __future__ import annotations

from npre.decoding.constraints import SpanGrammar
from npre.linearization.tokens import layout


class ClauseGrammar:
    """One organism's relations: `org produces` already written, then its chemicals only
    (pairs: each further relation starts with the same organism, forced)."""

    def __init__(self, grammar: SpanGrammar, organism: list[int]):
        self.grammar = grammar
        self.organism = organism
        self.prefix = [*organism, *grammar.produces]
        self.eos = grammar.eos

    def allowed(self, generated: list[int]) -> set[int]:
        written = self.prefix + generated
        in_chemical, partial, _ = self.grammar._state(written)
        if not in_chemical:  # pairs, after `;`: the organism again, then `produces`
            forced = [*self.organism, *self.grammar.produces]
            return {forced[len(partial)]} if len(partial) < len(forced) else {self.eos}
        allowed = self.grammar.allowed(written)
        if self.grammar.group_separator:  # no next organism: the clause ends at </s>
            allowed.discard(self.grammar.group_separator[0])
        return allowed or {self.eos}


def clause_organisms(tokenizer, ids: list[int], linearization: str = "grouped") -> list[list[int]]:
    """The organism ids an answer names, in order (repeats dropped): each grouped clause's,
    or each pair's."""
    spec = layout(tokenizer)
    between = spec.group_separator if linearization == "grouped" else spec.separator
    organisms: list[list[int]] = []
    clause_start = 0
    for end in [*_starts(ids, between), len(ids)]:
        clause = ids[clause_start:end]
        cut = _find(clause, spec.produces)
        if cut > 0 and clause[:cut] not in organisms:
            organisms.append(clause[:cut])
        clause_start = end + len(between)
    return organisms


def _starts(ids: list[int], delimiter: list[int]) -> list[int]:
    n = len(delimiter)
    return [i for i in range(len(ids) - n + 1) if ids[i : i + n] == delimiter] if n else []


def _find(ids: list[int], delimiter: list[int]) -> int:
    found = _starts(ids, delimiter)
    return found[0] if found else -1


def organism_pass_outputs(
    extractor, prompts: list[list[int]], outputs: list[list[int]], max_new_tokens: int
) -> list[list[tuple[list[int], list[float]]]]:
    """For each document, one (ids, log-probabilities) answer per organism after the first
    that its answer `outputs` names, each beginning with the forced `org produces`."""
    import torch

    from npre.decoding.constraints import grammar_for
    from npre.decoding.forced import answer_logprobs
    from npre.decoding.greedy import greedy_decode
    from npre.linearization.tokens import source_of_prompt

    tokenizer, dec = extractor.tokenizer, extractor.decoding
    linearization = extractor.config.linearization
    passes = []  # (document, clause grammar, prompt with the forced prefix)
    for doc, (prompt, output) in enumerate(zip(prompts, outputs, strict=True)):
        grammar = grammar_for(tokenizer, source_of_prompt(tokenizer, prompt), linearization)
        for organism in clause_organisms(tokenizer, output, linearization)[1:]:
            clause = ClauseGrammar(grammar, organism)
            passes.append((doc, clause, prompt))
    found: list[list[tuple[list[int], list[float]]]] = [[] for _ in prompts]
    if not passes:
        return found
    device = next(extractor.model.parameters()).device
    with torch.no_grad(), extractor._autocast(device):
        decoded = greedy_decode(
            extractor.model,
            [prompt + clause.prefix for _, clause, prompt in passes],
            [clause for _, clause, _ in passes],
            tokenizer.pad_token_id,
            max_new_tokens,
            dec.stop_penalty,
            dec.lookahead,
        )
    for (doc, clause, prompt), (ids, logprobs) in zip(passes, decoded, strict=True):
        forced = answer_logprobs(extractor, prompt, clause.prefix)
        found[doc].append((clause.prefix + ids, forced + logprobs))
    return found
