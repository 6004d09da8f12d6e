"""Running a backend over prompts: nothing generated twice, failures recorded, best-of-N kept.

Every generation is cached under a hash of (backend, model, prompt, sampling params, seed,
index) in an append-only JSON Lines file, written as soon as it arrives: an interrupted
run resumes where it stopped and regenerates nothing it had.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from npre.data.records import Document
from npre.synthesis.base import Backend, GenerationError
from npre.text.matching import alignment_score


def generation_key(backend: Backend, prompt: Document, seed: int, index: int) -> str:
    parts = [backend.name, backend.model, prompt.prompt, backend.sampling, seed, index]
    if hasattr(backend, "identity"):  # a backend that reads more of the record than its prompt
        parts.append(backend.identity(prompt))
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class GenerationCache:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.texts: dict[str, str] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                    self.texts[record["key"]] = record["text"]
                except (json.JSONDecodeError, KeyError):
                    continue  # a line cut by an interruption
        self._lock = threading.Lock()
        self._handle = self.path.open("a", encoding="utf-8")
        if self.path.stat().st_size and not self.path.read_bytes().endswith(b"\n"):
            self._handle.write("\n")

    def put(self, key: str, text: str) -> None:
        with self._lock:
            self.texts[key] = text
            self._handle.write(json.dumps({"key": key, "text": text}, ensure_ascii=False) + "\n")
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


@dataclass
class GenerationReport:
    requested: int = 0
    from_cache: int = 0
    generated: int = 0
    failures: list[dict] = field(default_factory=list)

    def as_metrics(self) -> dict:
        return {
            "requested": self.requested,
            "cached": self.from_cache,
            "new": self.generated,
            "failed": len(self.failures),
        }


def _batches(backend: Backend, todo: list) -> list[list]:
    """Work units: whole batches for a batching backend, single requests otherwise."""
    size = getattr(backend, "batch_size", 1) if hasattr(backend, "generate_batch") else 1
    return [todo[i : i + size] for i in range(0, len(todo), size)]


def generate_all(
    prompts: list[Document],
    backend: Backend,
    n: int,
    seed: int,
    cache: GenerationCache,
    concurrency: int = 1,
    desc: str = "generate",
) -> tuple[dict[str, list[str | None]], GenerationReport]:
    """`n` generations per prompt (None where one failed), through the cache.

    The progress bar counts every requested generation, cached ones included.
    """
    report = GenerationReport(requested=len(prompts) * n)
    results: dict[str, list[str | None]] = {p.PMID: [None] * n for p in prompts}
    todo = []
    for prompt in prompts:
        for index in range(n):
            key = generation_key(backend, prompt, seed, index)
            if key in cache.texts:
                results[prompt.PMID][index] = cache.texts[key]
                report.from_cache += 1
            else:
                todo.append((prompt, index, key))

    def run(batch: list) -> list[str]:
        if hasattr(backend, "generate_batch"):
            texts = backend.generate_batch([(prompt, index) for prompt, index, _ in batch], seed)
        else:
            texts = [backend.generate(batch[0][0], batch[0][1], seed)]
        for (_, _, key), text in zip(batch, texts, strict=True):
            cache.put(key, text)  # on disk before anything else: a kill loses nothing
        return texts

    bar = tqdm(total=report.requested, initial=report.from_cache, desc=desc, unit="gen")
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = {pool.submit(run, batch): batch for batch in _batches(backend, todo)}
        for future in as_completed(futures):
            batch = futures[future]
            try:
                texts = future.result()
            except GenerationError as exc:
                for prompt, index, _ in batch:
                    report.failures.append(
                        {"prompt": prompt.PMID, "generation": index, "error": str(exc)}
                    )
                bar.update(len(batch))
                continue
            for (prompt, index, _), text in zip(batch, texts, strict=True):
                results[prompt.PMID][index] = text
            report.generated += len(batch)
            bar.update(len(batch))
    bar.close()
    return results, report


def scored_candidates(prompt: Document, texts: list[str | None]) -> list[tuple[float, int, str]]:
    """(alignment score, generation index, text) of the non-empty generations, best first."""
    scored = []
    for index, text in enumerate(texts):
        if text:
            candidate = prompt.model_copy(update={"AbstractText": text})
            scored.append((alignment_score(candidate.text, prompt.label_pairs()), index, text))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return scored


def keep_best(
    prompts: list[Document],
    generations: dict[str, list[str | None]],
    k: int,
    backend: Backend,
    min_alignment: float = 0.0,
) -> list[Document]:
    """The paper's selector: per prompt, the k generations with the best alignment score,
    among those scoring at least `min_alignment`."""
    docs = []
    for prompt in prompts:
        scored = [
            c for c in scored_candidates(prompt, generations[prompt.PMID]) if c[0] >= min_alignment
        ]
        for view, (score, index, text) in enumerate(scored[:k]):
            docs.append(
                prompt.model_copy(
                    update={
                        "PMID": f"{prompt.PMID}-v{view}",
                        "AbstractText": text,
                        "generator": f"{backend.name}:{backend.model}",
                        "view": view,
                        "chain_step": 0,
                        "alignment_score": score,
                        "extra": {**prompt.extra, "prompt_id": prompt.PMID, "generation": index},
                    }
                )
            )
    return docs
