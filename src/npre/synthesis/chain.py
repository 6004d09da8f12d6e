"""Chained generation (MI2RAGE's CCG): each step rewrites the previous step's kept views.

A `text` step asks the LLM to rewrite a view while stating its labels; a `crossmodal`
step turns the view into an image and the image into a caption, and the LLM writes a new
abstract from the caption and the labels. Every output goes through the generation cache
and is scored again by label alignment; those under `synthesize.min_alignment` are
neither kept nor chained further.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from tqdm import tqdm

from npre.config.synthesize_params import CrossModalStepParams, TextStepParams
from npre.data.records import Document
from npre.synthesis.base import Backend, GenerationError
from npre.synthesis.generation import GenerationCache, GenerationReport, generate_all
from npre.text.matching import alignment_score

FACTS = (
    "It must state each of these facts, with every organism and chemical name written "
    "exactly as here:\n{facts}\n"
)
REWRITE = (
    "Rewrite the scientific abstract below as a new abstract of the same study: change the "
    "wording and the order of the sentences, keep it factual and about as long.\n"
    + FACTS
    + "Abstract to rewrite:\n{text}\nNew abstract:"
)
FROM_CAPTION = (
    "Write the abstract of a natural-products chemistry article, taking inspiration from "
    'this description of an image: "{caption}".\n' + FACTS + "Abstract:"
)
IMAGE_PROMPT_CHARS = 300  # CLIP reads 77 tokens; the title and opening say what to draw


def facts(doc: Document) -> str:
    """The labels as the lines an instruction lists: '- Organism produces chemical'."""
    return "\n".join(f"- {org} produces {chem}" for org, chem in doc.label_pairs())


@dataclass
class StepResult:
    docs: list[Document]
    metrics: dict
    failures: list[dict] = field(default_factory=list)


def chain_prompt(parent: Document, step: int, instruction: str) -> Document:
    """The prompt record of one chain step: the parent's labels, a new instruction."""
    prompt_id = parent.extra.get("prompt_id", parent.PMID)
    return parent.model_copy(
        update={
            "PMID": f"{prompt_id}-v{parent.view}-s{step}",
            "prompt": instruction,
            "AbstractText": "",
            "extra": {**parent.extra, "parent": parent.PMID},
        }
    )


def step_metrics(
    step: int,
    kind: str,
    inputs: int,
    report: GenerationReport,
    empty: int,
    below: int,
    docs: list[Document],
) -> dict:
    """One step's counts, the same for the first generation and every chain step."""
    scores = [d.alignment_score for d in docs]
    return {
        "step": step,
        "kind": kind,
        "inputs": inputs,
        **report.as_metrics(),
        "empty": empty,
        "below_min_alignment": below,
        "kept": len(docs),
        "mean_alignment": round(sum(scores) / len(scores), 4) if scores else None,
    }


def score_outputs(
    prompts: list[Document],
    generations: dict[str, list[str | None]],
    report: GenerationReport,
    step: int,
    kind: str,
    generator: str,
    min_alignment: float,
) -> StepResult:
    """Validate each chain output again (label alignment); keep those scoring enough."""
    docs, below, empty = [], 0, 0
    for prompt in prompts:
        text = generations[prompt.PMID][0]
        if not text:
            empty += text == ""  # None: failed, counted with the failures
            continue
        doc = prompt.model_copy(update={"AbstractText": text})
        score = alignment_score(doc.text, prompt.label_pairs())
        if score < min_alignment:
            below += 1
            continue
        docs.append(
            doc.model_copy(
                update={"chain_step": step, "alignment_score": score, "generator": generator}
            )
        )
    metrics = step_metrics(step, kind, len(prompts), report, empty, below, docs)
    return StepResult(docs, metrics, [{**f, "step": step} for f in report.failures])


def text_step(
    parents: list[Document],
    backend: Backend,
    params: TextStepParams,
    step: int,
    seed: int,
    cache: GenerationCache,
    concurrency: int = 1,
    min_alignment: float = 0.0,
) -> StepResult:
    """One rewrite per parent view, keeping its labels."""
    template = params.instruction or REWRITE
    prompts = [
        chain_prompt(p, step, template.format(facts=facts(p), text=p.AbstractText)) for p in parents
    ]
    generations, report = generate_all(
        prompts, backend, 1, seed, cache, concurrency, desc=f"chain step {step} (text)"
    )
    return score_outputs(
        prompts,
        generations,
        report,
        step,
        "text",
        f"{backend.name}:{backend.model}",
        min_alignment,
    )


def source_text(doc: Document) -> str:
    return f"{doc.ArticleTitle}. {doc.AbstractText}"


def caption_key(captioner, source: str, seed: int) -> str:
    payload = json.dumps(["caption", *captioner.key_parts, source, seed], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def item_seed(seed: int, name: str) -> int:
    return int(hashlib.sha256(f"{seed}|{name}".encode()).hexdigest()[:8], 16)


def captions_for(
    parents: list[Document],
    captioner,
    params: CrossModalStepParams,
    step: int,
    seed: int,
    cache: GenerationCache,
) -> tuple[dict[str, str], GenerationReport]:
    """A caption per parent (text -> image -> caption), through the cache."""
    report = GenerationReport(requested=len(parents))
    captions: dict[str, str] = {}
    todo = []
    for parent in parents:
        key = caption_key(captioner, source_text(parent), seed)
        if key in cache.texts:
            captions[parent.PMID] = cache.texts[key]
            report.from_cache += 1
        else:
            todo.append((parent, key))
    bar = tqdm(total=len(parents), initial=report.from_cache, desc=f"chain step {step} (image)")
    for start in range(0, len(todo), params.batch_size):
        batch = todo[start : start + params.batch_size]
        try:
            # the drawing's noise comes from the whole text: views that open alike still
            # get their own image, and the cache key (the whole text) fixes the caption
            texts = captioner.captions(
                [source_text(parent)[:IMAGE_PROMPT_CHARS] for parent, _ in batch],
                [item_seed(seed, source_text(parent)) for parent, _ in batch],
            )
        except GenerationError as exc:
            for parent, _ in batch:
                report.failures.append({"prompt": parent.PMID, "error": f"caption: {exc}"})
        else:
            for (parent, key), caption in zip(batch, texts, strict=True):
                cache.put(key, caption)
                captions[parent.PMID] = caption
            report.generated += len(batch)
        bar.update(len(batch))
    bar.close()
    return captions, report


def crossmodal_step(
    parents: list[Document],
    backend: Backend,
    captioner,
    params: CrossModalStepParams,
    step: int,
    seed: int,
    cache: GenerationCache,
    concurrency: int = 1,
    min_alignment: float = 0.0,
) -> StepResult:
    """Image, caption, then a new abstract from the caption and the labels, per parent view."""
    captions, caption_report = captions_for(parents, captioner, params, step, seed, cache)
    template = params.instruction or FROM_CAPTION
    prompts = []
    for parent in parents:
        if parent.PMID in captions:
            prompt = chain_prompt(
                parent, step, template.format(facts=facts(parent), caption=captions[parent.PMID])
            )
            prompt.extra["caption"] = captions[parent.PMID]
            prompts.append(prompt)
    generations, report = generate_all(
        prompts, backend, 1, seed, cache, concurrency, desc=f"chain step {step} (text)"
    )
    generator = f"{captioner.name}>{backend.name}:{backend.model}"
    result = score_outputs(
        prompts, generations, report, step, "crossmodal", generator, min_alignment
    )
    result.metrics["inputs"] = len(parents)
    result.metrics["captions"] = caption_report.as_metrics()
    result.failures = [{**f, "step": step} for f in caption_report.failures] + result.failures
    return result
