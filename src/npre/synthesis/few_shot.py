"""Few-shot prompts for base (completion) models: seed abstracts written out as examples.

A base LM was never taught to follow instructions. Shown a few complete examples in the
prompt format (instructions, title, keywords, main findings, then the seed's real
abstract), it continues the pattern for the last, open prompt. Examples are seeds whose
abstract states every one of their labels (the findings must read as true of the text),
never the prompt's own seed (the model would copy it), picked per prompt by a hash of its
id so a rerun shows the same examples and hits the generation cache.
"""

from __future__ import annotations

import hashlib

from npre.data.records import Document
from npre.text.matching import alignment_score

SEPARATOR = "\n\n"


class FewShotError(ValueError):
    """The seeds cannot supply the examples asked for."""


def example_text(prompt: Document, seed: Document) -> str:
    """One worked example: the seed's own prompt answered by the seed's abstract."""
    return f"{prompt.prompt} {' '.join(seed.AbstractText.split())}"


class FewShot:
    """Puts `k` worked examples in front of each prompt."""

    def __init__(
        self, prompts: list[Document], seeds: list[Document], k: int, max_example_chars: int
    ):
        first_prompt: dict[str, Document] = {}
        for prompt in prompts:  # the instructions stage's prompt for each seed (its first)
            first_prompt.setdefault(prompt.seed_pmid or "", prompt)
        self.examples: dict[str, str] = {}  # seed PMID -> example text, in seed order
        for seed in seeds:
            prompt = first_prompt.get(seed.PMID)
            if (
                prompt is not None
                and seed.AbstractText
                and len(seed.AbstractText) <= max_example_chars
                and alignment_score(seed.text, seed.label_pairs()) == 1.0
            ):
                self.examples[seed.PMID] = example_text(prompt, seed)
        if k and len(self.examples) < k + 1:  # k for every prompt, its own seed left out
            raise FewShotError(
                f"synthesize.few_shot {k} needs {k + 1} seed abstracts that state all their "
                f"labels within {max_example_chars} characters; the seeds have "
                f"{len(self.examples)}"
            )
        self.k = k

    def pick(self, prompt: Document) -> list[str]:
        """The seed PMIDs shown before this prompt: a stable, prompt-specific order."""

        def rank(pmid: str) -> str:
            return hashlib.sha256(f"{prompt.PMID}|{pmid}".encode()).hexdigest()

        others = [pmid for pmid in self.examples if pmid != prompt.seed_pmid]
        return sorted(others, key=rank)[: self.k]

    def render(self, prompt: Document) -> str:
        shots = [self.examples[pmid] for pmid in self.pick(prompt)]
        return SEPARATOR.join([*shots, prompt.prompt or ""])

    def apply(self, prompt: Document) -> Document:
        """The prompt with its examples in front: what the backend (and its cache key) sees."""
        return prompt.model_copy(update={"prompt": self.render(prompt)})
