"""A table job (`npre extract INPUT... --out DIR`): its settings, the local engine, the summary.

Both engines cut the sources into the same blocks (`npre.bulk.blocks`), answer a block with
`npre.bulk.tables.answer_block` and hand it to one `Recorder`, which writes it atomically
and marks a source finished once all its blocks are. `local` runs the blocks one after
another in this process; `ray` (`npre.bulk.ray_engine`) on Ray Data actors. The model is
loaded only when a block with documents is left to answer: a rerun of a finished job
reads no input and loads no model. DIR/summary.json is written at the end of every run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from npre.bulk.blocks import JobFolder, Source, cut_blocks, write_text_atomically
from npre.bulk.tables import answer_block, totals
from npre.lotus.taxonomy import index_version

ENGINES = ("local", "ray")


@dataclass
class JobSettings:
    model: str = "models:/npre-extractor@champion"
    engine: str = "local"
    workers: int = 1  # ray: actors (each loads the model once)
    address: str | None = None  # ray: a cluster; None starts a local runtime
    block_size: int = 64  # rows per block: per Parquet file, per Ray task
    batch_size: int = 16  # documents per model call
    threads: int = 2  # local: torch's CPU threads
    min_confidence: float | None = None  # None: the model's decoding.min_confidence


@dataclass
class Recorder:
    """Writes answered blocks and keeps count; marks a source done when all its blocks are."""

    folder: JobFolder
    progress: Callable[[int], object] = lambda n: None
    blocks: int = 0  # written by this run
    documents: int = 0  # answered by this run
    skipped: int = 0  # finished by an earlier run
    finished: set[str] = field(default_factory=set)
    written: set[str] = field(default_factory=set)
    before: int = 0  # blocks finished before this run

    def __post_init__(self):
        self.finished = self.folder.finished()
        self.before = len(self.finished)

    def write(self, name: str, relations, documents, answered: int) -> None:
        self.folder.write_block(name, relations, documents)
        if name not in self.written:  # a block delivered twice is written twice, counted once
            self.written.add(name)
            self.blocks += 1
            self.documents += answered
            self.progress(documents.num_rows)
        self.finished.add(name)

    def source_read(self, source: Source, blocks: int) -> None:
        if self.folder.source_complete(source, blocks, self.finished):
            self.folder.mark_source_done(source, blocks)


def run_locally(sources: list[Source], settings: JobSettings, recorder: Recorder) -> dict:
    """Every unfinished block, one after another, in this process."""
    from npre.command_helpers import set_threads

    loaded = taxonomy = None
    for source in sources:
        blocks = 0
        for block in cut_blocks(source, source.rows(), settings.block_size):
            blocks += 1
            if block.name in recorder.finished:
                recorder.skipped += 1
                continue
            if loaded is None and block.documents:
                from npre.lotus.taxonomy import Taxonomy
                from npre.mlops.champion import load_champion

                set_threads(settings.threads)
                loaded = load_champion(settings.model, settings.min_confidence)
                taxonomy = Taxonomy()
            name = Path(source.path).name
            relations, documents = answer_block(loaded, taxonomy, block, name, settings.batch_size)
            recorder.write(block.name, relations, documents, len(block.documents))
        recorder.source_read(source, blocks)
    return {"workers": 1, "threads_per_worker": settings.threads}


def run_job(
    sources: list[Source],
    out: Path,
    settings: JobSettings,
    progress: Callable[[int], object] = lambda n: None,
) -> dict:
    """Answer every document of `sources` not yet in OUT; returns (and writes) the summary."""
    if settings.engine not in ENGINES:
        raise ValueError(f"unknown engine {settings.engine!r} (one of {', '.join(ENGINES)})")
    folder = JobFolder(out)
    folder.prepare(settings.block_size)
    recorder = Recorder(folder, progress)
    pending = [source for source in sources if not folder.source_done(source)]
    started = time.perf_counter()
    engine: dict = {"workers": settings.workers if settings.engine == "ray" else 1}
    if pending and settings.engine == "ray":
        from npre.bulk.ray_engine import run_on_ray
        from npre.mlops.champion import resolve_champion

        resolve_champion(settings.model)  # a missing model is named here, not by each actor

        engine = run_on_ray(pending, settings, recorder)
    elif pending:
        engine = run_locally(pending, settings, recorder)
    seconds = time.perf_counter() - started
    summary = totals(folder.relations, folder.documents) | {
        "engine": settings.engine,
        **engine,
        "sources": len(sources),
        "sources_read": len(pending),
        "blocks_now": recorder.blocks,
        "blocks_already_done": recorder.before,
        "extracted_now": recorder.documents,
        "seconds": round(seconds, 3),
        "docs_per_s": round(recorder.documents / seconds, 3) if recorder.documents else None,
        "block_size": settings.block_size,
        "taxonomy": index_version(),
    }
    write_text_atomically(folder.summary, json.dumps(summary, indent=2) + "\n")
    return summary
