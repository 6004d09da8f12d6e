"""Few-shot prompts for base models: which seeds become examples, and what the backend sees."""

from __future__ import annotations

import pytest
from helpers import one_relation_documents

from npre.config.synthesize_params import SynthesizeParams
from npre.stages.synthesize import few_shot_for, first_step
from npre.synthesis.few_shot import FewShot, FewShotError
from npre.synthesis.generation import GenerationCache
from npre.synthesis.prompts import build_prompts

SEEDS = one_relation_documents("Chemical study of {org}: {chem} was isolated from it.", 5)
PROMPTS = [p for seed in SEEDS for p in build_prompts(seed, 1, 2, seed=0)]


def test_examples_are_other_seeds_prompts_answered_by_their_abstracts():
    few_shot = FewShot(PROMPTS, SEEDS, k=2, max_example_chars=1000)
    prompt = PROMPTS[0]
    blocks = few_shot.render(prompt).split("\n\n")
    assert len(blocks) == 3 and blocks[-1] == prompt.prompt
    chosen = few_shot.pick(prompt)
    assert prompt.seed_pmid not in chosen and len(set(chosen)) == 2
    for pmid, block in zip(chosen, blocks[:2], strict=True):
        seed = next(s for s in SEEDS if s.PMID == pmid)
        own_prompt = next(p for p in PROMPTS if p.seed_pmid == pmid)
        assert block == f"{own_prompt.prompt} {seed.AbstractText}"
        assert block.count("Abstract:") == 1  # the example is answered: the pattern to continue
    # the same prompt always gets the same examples (the generation cache depends on it)
    again = FewShot(PROMPTS, SEEDS, k=2, max_example_chars=1000)
    assert again.render(prompt) == few_shot.render(prompt)
    assert len({tuple(few_shot.pick(p)) for p in PROMPTS}) > 1  # not one fixed pair for all


def test_seeds_that_do_not_state_their_labels_or_run_long_are_no_examples():
    unstated = SEEDS[1].model_copy(update={"AbstractText": "An extract was studied by NMR."})
    long = SEEDS[2].model_copy(update={"AbstractText": SEEDS[2].AbstractText + " x" * 600})
    few_shot = FewShot(PROMPTS, [SEEDS[0], unstated, long, *SEEDS[3:]], 1, 1000)
    assert set(few_shot.examples) == {SEEDS[0].PMID, SEEDS[3].PMID, SEEDS[4].PMID}
    with pytest.raises(FewShotError, match=r"few_shot 3 needs 4 seed abstracts .* seeds have 3"):
        FewShot(PROMPTS, [SEEDS[0], unstated, long, *SEEDS[3:]], 3, 1000)
    with pytest.raises(FewShotError, match="pass --seeds"):
        few_shot_for(SynthesizeParams(few_shot=1), PROMPTS, None)
    assert few_shot_for(SynthesizeParams(), PROMPTS, None) is None


class RecordingBackend:
    """Answers each prompt with its own findings sentence and records what it was shown."""

    name, model, sampling = "recording", "r", {}

    def __init__(self):
        self.shown: list[str] = []

    def generate(self, prompt, index, seed):
        self.shown.append(prompt.prompt)
        return prompt.prompt.rsplit("Main findings: ", 1)[1].split("\n")[0]


def test_the_backend_sees_the_examples_and_the_documents_keep_the_bare_prompt(tmp_path):
    backend = RecordingBackend()
    few_shot = FewShot(PROMPTS, SEEDS, k=2, max_example_chars=1000)
    cache = GenerationCache(tmp_path / "gen.jsonl")
    result = first_step(PROMPTS, backend, SynthesizeParams(), 0, cache, 1, few_shot)
    assert sorted(backend.shown) == sorted(few_shot.render(p) for p in PROMPTS for _ in (0, 1))
    assert [d.prompt for d in result.docs] == [p.prompt for p in PROMPTS]
    assert all(d.alignment_score == 1.0 for d in result.docs)
    # without examples the keys differ: no answer cached for one is reused for the other
    bare = RecordingBackend()
    first_step(PROMPTS, bare, SynthesizeParams(), 0, cache, 1)
    assert sorted(bare.shown) == sorted(p.prompt for p in PROMPTS for _ in (0, 1))
    cache.close()
