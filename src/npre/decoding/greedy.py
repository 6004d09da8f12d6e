"""Greedy copy-constrained decoding that drops finished documents from the batch.

`generate` keeps every row of a batch until the longest answer is done, and computes the
full-vocabulary head (Gemma: 262k tokens) at every step. Answers here range from one
relation to fifty, so most rows of a batch would be padding for most steps. This loop
prunes finished rows from the KV cache (one that is not copied at each step: `kv_cache`),
and scores only the tokens some row's grammar allows at that step (a few hundred rows of
the head). The choice per row is the argmax over its allowed tokens, exactly as
`generate` with `CopyConstraintProcessor` makes it (tested), so the answers do not
change, only the time.
"""

from __future__ import annotations

from npre.decoding.constraints import SpanGrammar


def transformer_body(model):
    """The causal LM's transformer (hidden states out, no head); None if it has none.

    A PEFT model wraps the causal LM; its LoRA layers sit inside the LM's own modules, so
    the wrapped LM's body runs them.
    """
    causal_lm = model.get_base_model() if hasattr(model, "get_base_model") else model
    body = getattr(causal_lm, "base_model", None)
    return body if body is not None and body is not causal_lm else None


def supports_pruned_greedy(model) -> bool:
    """The loop needs the transformer body and a linear head to score a few rows of."""
    import torch

    head = model.get_output_embeddings()
    return isinstance(head, torch.nn.Linear) and transformer_body(model) is not None


def greedy_decode(
    model,
    prompts: list[list[int]],
    grammars: list[SpanGrammar],
    pad_id: int,
    max_new_tokens: int,
    stop_penalty: float = 0.0,
    lookahead: int = 0,
) -> list[tuple[list[int], list[float]]]:
    """Generated ids of each prompt, up to and without the grammar's end token, with the
    log-probability of each id and of the end token last (`token_logprob`).

    With `lookahead` > 0, the last document of a batch (a lone request, or the longest
    answer) is decoded with up to that many draft tokens per step (`_decode_alone`).
    """
    import torch

    from npre.decoding.kv_cache import preallocated_cache

    device = next(model.parameters()).device
    body = transformer_body(model)
    head = _Head(model)
    width = max(len(ids) for ids in prompts)
    input_ids = torch.tensor(
        [[pad_id] * (width - len(ids)) + ids for ids in prompts], device=device
    )
    mask = torch.tensor(
        [[0] * (width - len(ids)) + [1] * len(ids) for ids in prompts], device=device
    )
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    cache = preallocated_cache(model.config, width + max_new_tokens)
    hidden = body(
        input_ids=input_ids,
        attention_mask=mask,
        position_ids=positions,
        past_key_values=cache,
        use_cache=True,
    ).last_hidden_state[:, -1]
    next_position = positions[:, -1] + 1
    active = list(range(len(prompts)))  # batch row -> document
    generated: list[list[int]] = [[] for _ in prompts]
    logprobs: list[list[float]] = [[] for _ in prompts]
    for step in range(max_new_tokens):
        allowed = [grammars[doc].allowed(generated[doc]) for doc in active]
        columns = sorted(set().union(*allowed))
        scores = head.scores(hidden, columns)
        where = {token: column for column, token in enumerate(columns)}
        keep = []
        for row, doc in enumerate(active):
            grammar = grammars[doc]
            tokens = sorted(allowed[row])
            row_scores = scores[row, [where[token] for token in tokens]]
            token = _pick(row_scores, tokens, grammar.eos, stop_penalty)
            logprobs[doc].append(token_logprob(row_scores, tokens.index(token)))
            if token == grammar.eos:
                continue
            generated[doc].append(token)
            keep.append(row)
        if not keep or step == max_new_tokens - 1:
            break
        if len(keep) < len(active):
            rows = torch.tensor(keep, device=device)
            cache.batch_select_indices(rows)
            mask, next_position = mask[rows], next_position[rows]
            active = [active[row] for row in keep]
        if lookahead and len(active) == 1:
            doc = active[0]
            generated[doc], logprobs[doc] = _decode_alone(
                body,
                head,
                cache,
                mask,
                int(next_position[0]),
                grammars[doc],
                prompts[doc],
                generated[doc],
                logprobs[doc],
                max_new_tokens=max_new_tokens,
                stop_penalty=stop_penalty,
                lookahead=lookahead,
            )
            break
        step_ids = torch.tensor([[generated[doc][-1]] for doc in active], device=device)
        mask = torch.cat([mask, mask.new_ones((len(active), 1))], dim=-1)
        hidden = body(
            input_ids=step_ids,
            attention_mask=mask,
            position_ids=next_position[:, None],
            past_key_values=cache,
            use_cache=True,
        ).last_hidden_state[:, -1]
        next_position = next_position + 1
    return list(zip(generated, logprobs, strict=True))


class _Head:
    """The LM head, applied to a few of its rows (the tokens some grammar allows)."""

    def __init__(self, model):
        self.linear = model.get_output_embeddings()
        self.softcap = getattr(model.config, "final_logit_softcapping", None)

    def scores(self, hidden, columns: list[int]):
        """Scores of the tokens `columns` (ascending) for each hidden state."""
        import torch

        index = torch.tensor(columns, device=hidden.device)
        bias = None if self.linear.bias is None else self.linear.bias[index]
        scores = torch.nn.functional.linear(hidden, self.linear.weight[index], bias).float()
        if self.softcap:
            scores = torch.tanh(scores / self.softcap) * self.softcap
        return scores


def _pick(scores, tokens: list[int], eos: int, stop_penalty: float) -> int:
    """The best of `tokens` (ascending, so ties break as argmax does over the vocabulary),
    `scores` their scores; end-of-answer pays the stop penalty where it competes (on a
    copy: the probabilities reported stay the model's own)."""
    if stop_penalty and eos in tokens and len(tokens) > 1:
        scores = scores.clone()
        scores[tokens.index(eos)] -= stop_penalty
    return tokens[int(scores.argmax())]


def token_logprob(scores, index: int) -> float:
    """Log-probability of the token at `index` among the tokens the grammar allowed there,
    as the model scores them (a copied name's later tokens, with one continuation allowed,
    cost nothing; choices between names and ending carry the doubt). A stop penalty moves
    the choice, not this probability: a relation written only because ending was penalised
    keeps the low probability of going on, so a confidence threshold can drop it."""
    import torch

    return float(scores[index] - torch.logsumexp(scores, dim=0))


def draft_tokens(prompt: list[int], generated: list[int], count: int, ngram: int = 3) -> list[int]:
    """Prompt-lookup drafting: what followed the latest earlier occurrence of the answer's
    last n tokens (n = ngram ... 1), in the prompt or in the answer so far.

    Answers copy names from the text and repeat their organism in every relation, so
    the continuation of a match is often the model's own next tokens.
    """
    text = prompt + generated
    for n in range(min(ngram, len(generated)), 0, -1):
        tail = text[len(text) - n :]
        for start in range(len(text) - n - 1, -1, -1):
            if text[start : start + n] == tail:
                return text[start + n : start + n + count]
    return []


def _decode_alone(
    body,
    head: _Head,
    cache,
    mask,
    position: int,
    grammar: SpanGrammar,
    prompt: list[int],
    generated: list[int],
    logprobs: list[float],
    *,
    max_new_tokens: int,
    stop_penalty: float,
    lookahead: int,
) -> tuple[list[int], list[float]]:
    """The rest of one document's answer, checking up to `lookahead` draft tokens per
    forward pass (speculative decoding with prompt-lookup drafts).

    The model runs on the chosen token and the draft at once; each draft token is kept
    while it is what greedy decoding would have chosen there (over the grammar's allowed
    tokens), so the answer is the one step-by-step decoding gives. One document per
    step reads every weight for a single token: checking nine costs about as much.
    """
    import torch

    from npre.decoding.kv_cache import truncate

    generated, logprobs = list(generated), list(logprobs)
    token = generated[-1]  # chosen, not yet run through the model
    while True:
        room = max_new_tokens - len(generated)
        draft = draft_tokens(prompt, generated, min(lookahead, room))
        feed = [token, *draft]
        length = cache.get_seq_length()
        mask = torch.cat([mask, mask.new_ones((1, len(feed)))], dim=-1)
        out = body(
            input_ids=torch.tensor([feed], device=mask.device),
            attention_mask=mask,
            position_ids=torch.arange(position, position + len(feed), device=mask.device)[None],
            past_key_values=cache,
            use_cache=True,
        ).last_hidden_state[0]
        kept = 0
        while True:  # choose after feed[kept]; keep the draft token while it is the choice
            tokens = sorted(grammar.allowed(generated))
            scores = head.scores(out[kept], tokens)
            choice = _pick(scores, tokens, grammar.eos, stop_penalty)
            if len(generated) >= max_new_tokens:
                return generated, logprobs
            logprobs.append(token_logprob(scores, tokens.index(choice)))
            if choice == grammar.eos:
                return generated, logprobs
            generated.append(choice)
            if kept < len(draft) and choice == draft[kept]:
                kept += 1
                continue
            break
        # the cache and mask hold `token` and the kept draft tokens; `choice` runs next
        truncate(cache, length + 1 + kept)
        mask = mask[:, : mask.shape[1] - len(feed) + 1 + kept]
        position += 1 + kept
        token = choice
