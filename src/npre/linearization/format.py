"""The linearisations: what the model reads and what it writes.

`pairs` (the paper's): `title abstract</s><s> org produces chem; org produces chem</s>`.
`grouped`: one clause per organism with its chemicals,
`title abstract</s><s> org produces chem; chem; chem | org produces chem</s>`, which
writes each organism once: a long list costs a chemical's tokens per relation, not the
organism's and the verb's as well.
The model reads the document up to `</s><s>` and writes the relations; the training loss
covers only what it writes. The token sequences are built and parsed in `tokens.py`.
"""

from __future__ import annotations

from typing import Literal

RELATION_VERB = " produces "
SEPARATOR = "; "
GROUP_SEPARATOR = " | "  # grouped: before the next organism
Linearization = Literal["pairs", "grouped"]


def source_text(title: str, abstract: str, max_chars: int) -> str:
    """The model's input: title and abstract, truncated to a character budget."""
    return f"{title.strip()} {abstract.strip()}".strip()[:max_chars]
