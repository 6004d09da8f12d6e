"""Confidences of given relations: the probability the extractor gives an answer it is
made to write (teacher forcing), under the same copy constraints as its own answers.

Used to score candidate relations from elsewhere (another pass, a union of answers) on
one scale with the extractor's own, and to check that the confidences decoding reports
are the probabilities of what it wrote.
"""

from __future__ import annotations

import math

from npre.decoding.constraints import grammar_for
from npre.decoding.greedy import token_logprob
from npre.linearization.parsing import ParsedIds, parse_output_ids
from npre.linearization.tokens import source_of_prompt, target_ids

# `extractor` below is a `npre.decoding.extractor.RelationExtractor` (which uses this module)


def answer_logprobs(extractor, prompt: list[int], answer: list[int]) -> list[float]:
    """Log-probability of each token of `answer` (ids, ending in the end token or not)
    after `prompt`, among the tokens the copy grammar allows there (-inf where it allows
    none of them), as decoding reports them."""
    import torch

    tokenizer, model = extractor.tokenizer, extractor.model
    linearization = extractor.config.linearization
    grammar = grammar_for(tokenizer, source_of_prompt(tokenizer, prompt), linearization)
    device = next(model.parameters()).device
    ids = torch.tensor([prompt + answer[:-1] if answer else prompt], device=device)
    with torch.no_grad(), extractor._autocast(device):
        logits = model(input_ids=ids).logits[0, len(prompt) - 1 :].float()
    logprobs = []
    for step, token in enumerate(answer):
        allowed = sorted(grammar.allowed(answer[:step]))
        if token not in allowed:
            logprobs.append(-math.inf)
            continue
        logprobs.append(token_logprob(logits[step, allowed], allowed.index(token)))
    return logprobs


def relation_confidences(
    extractor,
    title: str,
    abstract: str,
    pairs: list[tuple[str, str]],
) -> ParsedIds:
    """The confidence of each of `pairs` written as the extractor's whole answer (in the
    text's order, names as the text's tokens; pairs the text does not state are left out)."""
    tokenizer, linearization = extractor.tokenizer, extractor.config.linearization
    prompt = extractor.prompt(title, abstract)
    source = source_of_prompt(tokenizer, prompt)
    answer = target_ids(tokenizer, pairs, source, stated_only=True, linearization=linearization)
    logprobs = answer_logprobs(extractor, prompt, answer)
    return parse_output_ids(tokenizer, answer[:-1], logprobs, linearization)
