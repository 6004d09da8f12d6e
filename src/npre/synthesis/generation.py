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

from npre.matching import alignment_score
from npre.records import Document
from npre.synthesis.backends import Backend, GenerationError


def generation_key(backend: Backend, prompt: Document, seed: int, index: int) -> str:
    payload = json.dumps(
        [backend.name, backend.model, prompt.prompt, backend.sampling, seed, index], sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()


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
            "generations_requested": self.requested,
            "from_cache": self.from_cache,
            "generated": self.generated,
            "failed": len(self.failures),
            "failures": self.failures[:50],
        }


def generate_all(
    prompts: list[Document],
    backend: Backend,
    n: int,
    seed: int,
    cache: GenerationCache,
    concurrency: int = 1,
) -> tuple[dict[str, list[str | None]], GenerationReport]:
    """`n` generations per prompt (None where one failed), through the cache."""
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

    def run(task):
        prompt, index, key = task
        text = backend.generate(prompt, index, seed)
        cache.put(key, text)
        return task, text

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = {pool.submit(run, task): task for task in todo}
        for future in tqdm(as_completed(futures), total=len(futures), desc="generate", unit="gen"):
            prompt, index, _ = futures[future]
            try:
                _, text = future.result()
            except GenerationError as exc:
                report.failures.append(
                    {"prompt": prompt.PMID, "generation": index, "error": str(exc)}
                )
                continue
            results[prompt.PMID][index] = text
            report.generated += 1
    return results, report


def keep_best(
    prompts: list[Document], generations: dict[str, list[str | None]], k: int, backend: Backend
) -> list[Document]:
    """The paper's selector: per prompt, the k generations with the best alignment score."""
    docs = []
    for prompt in prompts:
        scored = []
        for index, text in enumerate(generations[prompt.PMID]):
            if text:
                candidate = prompt.model_copy(update={"AbstractText": text})
                scored.append((alignment_score(candidate.text, prompt.label_pairs()), index, text))
        scored.sort(key=lambda item: (-item[0], item[1]))
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
                        "extra": {**prompt.extra, "generation": index},
                    }
                )
            )
    return docs
