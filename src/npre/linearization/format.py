"""The paper's linearisation: `title abstract</s><s> org produces chem; org produces chem</s>`.

The model reads the document up to `</s><s>` and writes the relations; the training loss
covers only what it writes. The token sequences are built and parsed in `tokens.py`.
"""

from __future__ import annotations

RELATION_VERB = " produces "
SEPARATOR = "; "


def source_text(title: str, abstract: str, max_chars: int) -> str:
    """The model's input: title and abstract, truncated to a character budget."""
    return f"{title.strip()} {abstract.strip()}".strip()[:max_chars]
