"""The Ray engine of a table job: Ray Data reads the sources, actors answer their blocks.

    from_items(one item per source)
      -> flat_map(read a source, cut its unfinished blocks)     tasks, no CPU reserved
      -> map_batches(BlockExtractor, one block per call)        a pool of `workers` actors
      -> this process writes each answered block (Recorder)

Each actor loads the model and the taxonomy once. Its CPUs and torch threads are the
machine's (or the smallest node's) cores shared out between the workers, so 2 workers on
2 cores run 1 thread each; an actor asks for a GPU when the runtime has one. A lost actor
is restarted by Ray and its block retried (`max_restarts`, `max_task_retries`); the block
is written by this process under its own name, so a retried block is written once.

With no address, a local Ray runtime is started for the job (no dashboard, logs in a
temporary folder) and stopped after it; with `--address` (or RAY_ADDRESS) the job runs on
that cluster, whose workers must have npre installed and reach the inputs and the model
(an MLflow server through MLFLOW_TRACKING_URI). A runtime already started in this process
is used as it is.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict

from npre.bulk.blocks import Block, Source, cut_blocks
from npre.bulk.inputs import BadRow, BulkInputError, InputDocument

# an actor lost for any reason is recreated; a block whose task failed this often fails the job
MAX_RESTARTS = -1
MAX_TASK_RETRIES = 3
# what the workers must see as this process does (offline hub, tracking backend, threads)
ENV_PREFIXES = ("HF_", "TRANSFORMERS_", "MLFLOW_", "NPRE_", "TOKENIZERS_", "BENTOML_")


def worker_env(threads: int) -> dict[str, str]:
    from npre.mlops.tracking import tracking_uri

    env = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIXES)}
    env["MLFLOW_TRACKING_URI"] = tracking_uri()  # absolute: workers run elsewhere
    env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    return env


def _dump_rows(block: Block) -> str:
    return json.dumps([{"document": isinstance(r, InputDocument)} | asdict(r) for r in block.rows])


def _load_rows(text: str) -> list:
    rows = []
    for record in json.loads(text):
        kind = InputDocument if record.pop("document") else BadRow
        rows.append(kind(**record))
    return rows


def read_source(item: dict) -> list[dict]:
    """The unfinished blocks of one source (a flat_map step: one row per block)."""
    source = Source(**json.loads(item["source"]))
    finished = set(json.loads(item["finished"]))
    blocks, error = [], ""
    try:
        for block in cut_blocks(source, source.rows(), int(item["block_size"])):
            blocks.append(block)
    except BulkInputError as exc:  # the blocks read in full are answered; the file is named
        error = str(exc)
    rows = [
        {"block": b.name, "source": source.key, "rows": _dump_rows(b), "blocks": len(blocks)}
        for b in blocks
        if b.name not in finished
    ]
    if error:
        rows.append({"block": "", "source": source.key, "rows": error, "blocks": -1})
    return rows


def _ipc(table) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _from_ipc(data: bytes):
    import pyarrow as pa

    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


class BlockExtractor:
    """A Ray Data actor: the model and the taxonomy loaded once, then a block per call."""

    def __init__(
        self,
        model: str,
        threads: int,
        batch_size: int,
        names: dict[str, str],
        min_confidence: float | None = None,
    ):
        import torch

        from npre.lotus.taxonomy import Taxonomy
        from npre.mlops.champion import load_champion

        torch.set_num_threads(threads)
        self.loaded = load_champion(model, min_confidence)
        if torch.cuda.is_available():
            self.loaded.extractor.model.to("cuda")
        self.taxonomy = Taxonomy()
        self.batch_size = batch_size
        self.names = names  # source key -> file name

    def __call__(self, batch: dict) -> dict:
        from npre.bulk.tables import answer_block

        out: dict[str, list] = {k: [] for k in ("block", "source", "blocks", "answered")}
        out |= {"relations": [], "documents": [], "error": []}
        for name, source, rows, blocks in zip(
            batch["block"], batch["source"], batch["rows"], batch["blocks"], strict=True
        ):
            relations = documents = b""
            answered, error = 0, ""
            if name:
                block = Block(str(name), str(source), _load_rows(str(rows)))
                tables = answer_block(
                    self.loaded, self.taxonomy, block, self.names[str(source)], self.batch_size
                )
                relations, documents = (_ipc(table) for table in tables)
                answered = len(block.documents)
            else:
                error = str(rows)
            values = (name, source, blocks, answered, relations, documents, error)
            for key, value in zip(out, values, strict=True):
                out[key].append(value)
        return out


def start_runtime(address: str | None, env: dict[str, str]) -> tuple[bool, str | None]:
    """Connect to `address`, or start a local runtime; (started here, its temp folder)."""
    import ray

    if ray.is_initialized():
        return False, None
    if address:
        ray.init(address=address, runtime_env={"env_vars": env}, log_to_driver=False)
        return True, None
    folder = tempfile.mkdtemp(prefix="npre-ray-")
    ray.init(
        num_cpus=os.cpu_count(),
        include_dashboard=False,
        _temp_dir=folder,
        runtime_env={"env_vars": env},
        log_to_driver=False,
        logging_level="WARNING",
    )
    return True, folder


def actor_resources(workers: int) -> tuple[int, float, int]:
    """(torch threads, CPUs, GPUs) per actor, from the running runtime's resources."""
    import ray

    total = ray.cluster_resources().get("CPU", 1.0)
    nodes = [n["Resources"].get("CPU", 0.0) for n in ray.nodes() if n.get("Alive")]
    per_node = min((c for c in nodes if c > 0), default=total)
    threads = max(1, int(min(per_node, total // workers)))
    cpus = min(float(threads), total / workers)
    gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
    return threads, cpus, gpus


def run_on_ray(sources: list[Source], settings, recorder) -> dict:
    """Answer the sources' unfinished blocks on Ray Data; the recorder writes each."""
    import ray

    started = time.perf_counter()
    local_threads = max(1, (os.cpu_count() or 1) // settings.workers)
    address = settings.address or os.environ.get("RAY_ADDRESS") or None
    ours, temp_folder = start_runtime(address, worker_env(local_threads))
    startup = time.perf_counter() - started
    try:
        resources = actor_resources(settings.workers)
        _answer_on_ray(sources, settings, recorder, *resources)
    finally:
        if ours:
            ray.shutdown()
        if temp_folder:
            shutil.rmtree(temp_folder, ignore_errors=True)
    threads, cpus, gpus = resources
    per_worker = {"threads_per_worker": threads, "cpus_per_worker": cpus, "gpus_per_worker": gpus}
    return {"workers": settings.workers, **per_worker, "ray_startup_s": round(startup, 3)}


def _answer_on_ray(sources, settings, recorder, threads: int, cpus: float, gpus: int) -> None:
    import warnings

    import ray.data

    context = ray.data.DataContext.get_current()
    saved = (context.enable_progress_bars, context.target_max_block_size)
    context.enable_progress_bars = False
    # a Ray block per job block: a source's blocks then spread over every actor (Ray Data
    # would keep a source's rows in one Ray block, for one actor, up to 128 MiB of them)
    context.target_max_block_size = 1
    items = [
        {
            "source": json.dumps(asdict(source)),
            "finished": json.dumps(sorted(n for n in recorder.finished if _of(n, source))),
            "block_size": settings.block_size,
        }
        for source in sources
    ]
    names = {source.key: os.path.basename(source.path) for source in sources}
    try:
        dataset = ray.data.from_items(items, override_num_blocks=len(items))
        dataset = dataset.flat_map(read_source, num_cpus=0)  # reading takes no actor's core
        with warnings.catch_warnings():
            # Ray Data 2.60 has no named parameter for these actor options yet
            warnings.filterwarnings("ignore", message=".*ray_remote_args.*")
            dataset = dataset.map_batches(
                BlockExtractor,
                fn_constructor_kwargs={
                    "model": _model_for_workers(settings.model),
                    "threads": threads,
                    "batch_size": settings.batch_size,
                    "names": names,
                    "min_confidence": settings.min_confidence,
                },
                batch_size=1,
                compute=ray.data.ActorPoolStrategy(size=settings.workers),
                num_cpus=cpus,
                num_gpus=gpus or None,
                max_restarts=MAX_RESTARTS,
                max_task_retries=MAX_TASK_RETRIES,
            )
        errors, by_key = [], {source.key: source for source in sources}
        for row in dataset.iter_rows():
            if row["error"]:
                errors.append(row["error"])
                continue
            relations, documents = _from_ipc(row["relations"]), _from_ipc(row["documents"])
            recorder.write(row["block"], relations, documents, int(row["answered"]))
            recorder.source_read(by_key[row["source"]], int(row["blocks"]))
    finally:
        context.enable_progress_bars, context.target_max_block_size = saved
    if errors:
        raise BulkInputError("; ".join(errors))


def _of(block: str, source: Source) -> bool:
    return block.startswith(source.key + "-")


def _model_for_workers(model: str) -> str:
    """A model folder as an absolute path (workers do not run in this directory)."""
    return str(os.path.abspath(model)) if os.path.exists(model) else model
