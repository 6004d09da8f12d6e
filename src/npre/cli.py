"""`npre`: one command per pipeline stage. Paths come from dvc.yaml, settings from params.yaml.

Heavy libraries (torch, transformers, mlflow, great_expectations) are imported inside the
commands that need them, so `npre --help` stays quick.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import typer

from npre.params import ParamsError, Section, load_section

app = typer.Typer(
    help="npre: LOTUS -> sampled references -> synthetic abstracts -> (Q)LoRA extractor -> "
    "MLflow champion. The stage commands are run by dvc.yaml; download, doi2pmid, gme and "
    "score are tools of their own.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _output(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="log debug messages too"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="log warnings and errors only"),
) -> None:
    """Logging and progress output, for every command (npre.console)."""
    from npre.console import configure

    configure(-1 if quiet else 1 if verbose else 0)


ParamsOption = typer.Option(
    Path("params.yaml"), "--params", help="params file (one section per stage)"
)


def _params(section: str, path: Path) -> Section:
    try:
        return load_section(section, path)
    except ParamsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _write_json(path: Path, data) -> None:
    from npre.records import write_json

    write_json(path, data)


def _threads(path: Path) -> int:
    """Set torch's CPU threads from `base.num_threads` and return it."""
    import torch

    threads = _params("base", path).num_threads
    torch.set_num_threads(threads)
    return threads


class _Timer:
    def __init__(self, stage: str):
        self.stage, self.start = stage, time.perf_counter()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        typer.echo(f"[{self.stage}] wall time {time.perf_counter() - self.start:.1f} s", err=True)


@app.command()
def download(
    out: Path = typer.Option(Path("data/raw"), help="folder for the downloaded files"),
    record: str = typer.Option("7534071", help="Zenodo record (default: the LOTUS v10 snapshot)"),
    pattern: str = typer.Option("*frozen_metadata*", help="file names to fetch (glob)"),
    zenodo_url: str = typer.Option("https://zenodo.org", help="Zenodo base URL"),
) -> None:
    """Download LOTUS (or any Zenodo record's files), verifying each file's checksum."""
    from npre.zenodo import DownloadError, download_record

    try:
        for path in download_record(record, out, pattern, zenodo_url):
            typer.echo(f"{path} (checksum verified)")
    except DownloadError as exc:
        _fail(str(exc))


@app.command()
def lotus(
    table: Path = typer.Argument(..., help="LOTUS frozen metadata (TSV, CSV, .gz or Parquet)"),
    out: Path = typer.Option(..., help="filtered relations table (.parquet)"),
    metrics: Path = typer.Option(..., help="JSON report: rows removed by each filter"),
    pmid_map: Path | None = typer.Option(
        None, help="DOI -> PMID table from `npre doi2pmid`, for LOTUS files without PMIDs"
    ),
    params: Path = ParamsOption,
) -> None:
    """Apply the paper's LOTUS filters and write the relations table."""
    from npre.lotus import load_relations
    from npre.tables import TableError

    settings = _params("lotus", params)
    with _Timer("lotus"):
        try:
            mapping = None
            if pmid_map is not None:
                from npre.tables import read_table

                frame = read_table(pmid_map, ["doi", "pmid"])
                mapping = dict(zip(frame["doi"].str.lower(), frame["pmid"], strict=True))
            relations, report = load_relations(table, settings, pmid_map=mapping)
        except TableError as exc:
            _fail(str(exc))
        out.parent.mkdir(parents=True, exist_ok=True)
        relations.to_parquet(out, index=False)
        _write_json(metrics, report.as_metrics())
        typer.echo(
            f"{report.output_rows} relations over {report.references} references; "
            f"removed {report.removed}"
        )


@app.command()
def doi2pmid(
    table: Path = typer.Argument(..., help="LOTUS table with a reference_doi column"),
    out: Path = typer.Option(
        ..., help="DOI -> PMID table (TSV: doi, pmid); extended, never refetched"
    ),
    eutils_url: str = typer.Option(
        "https://eutils.ncbi.nlm.nih.gov/entrez/eutils", help="E-utilities URL"
    ),
) -> None:
    """Map the table's DOIs to PubMed ids with NCBI E-utilities (key from NCBI_API_KEY)."""
    from npre.pubmed import EutilsClient, PubMedError, map_dois
    from npre.tables import TableError, iter_table_chunks

    with _Timer("doi2pmid"):
        try:
            chunks = iter_table_chunks(table, ["reference_doi"], ["reference_doi"], 500_000)
            dois = {doi for chunk in chunks for doi in chunk["reference_doi"]}
        except TableError as exc:
            _fail(str(exc))
        cache = out.with_name(out.name + ".cache")
        client = EutilsClient(eutils_url)
        try:
            mapping = map_dois(sorted(dois), cache, client)
        except PubMedError as exc:
            _fail(f"{exc} (mapped batches are kept in {cache}; rerun to resume)")
        finally:
            client.close()
        rows = sorted((d, mapping.get(d.strip().lower(), "")) for d in dois if d.strip())
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("doi\tpmid\n" + "".join(f"{d.strip().lower()}\t{p}\n" for d, p in rows))
        typer.echo(f"{sum(1 for _, p in rows if p)} of {len(rows)} DOIs have a PMID")


@app.command()
def sample(
    relations: Path = typer.Argument(..., help="relations table from `npre lotus`"),
    out_dir: Path = typer.Option(
        ..., help="folder for one reference sample per sampler: SAMPLER.tsv (kingdom, item, rank)"
    ),
    metrics: Path = typer.Option(..., help="diversity of each sampler's sample (JSON)"),
    curves_dir: Path = typer.Option(
        ..., help="folder for entropy-vs-size curves (CSV per sampler)"
    ),
    params: Path = ParamsOption,
) -> None:
    """Sample references per kingdom with each of sample.samplers; compare their diversity."""
    import pandas as pd

    from npre.sampling.stage import curve_by_sample_size, diversity, rank_per_kingdom

    settings = _params("sample", params)
    seed = _params("base", params).seed
    with _Timer("sample"):
        table = pd.read_parquet(relations)
        for column in [settings.item_column, *settings.on_columns]:
            if column not in table.columns:
                _fail(f"{relations}: no column {column!r} (sample.item_column / sample.on_columns)")
        report = {}
        curves_dir.mkdir(parents=True, exist_ok=True)
        out_dir.mkdir(parents=True, exist_ok=True)
        for sampler in dict.fromkeys(settings.samplers):
            ranking = rank_per_kingdom(table, settings, sampler, seed)
            top = ranking[ranking["rank"] <= settings.n_per_kingdom]
            report[sampler] = diversity(table, settings, top["item"].tolist())
            curve_by_sample_size(table, settings, ranking).to_csv(
                curves_dir / f"entropy_{sampler}.csv", index=False
            )
            top.to_csv(out_dir / f"{sampler}.tsv", sep="\t", index=False)
            typer.echo(f"{sampler}: {len(top)} references")
        _write_json(metrics, report)


@app.command()
def gme(
    table: Path = typer.Argument(..., help="any table: TSV, CSV (.gz) or Parquet; read as strings"),
    item_column: str = typer.Option(..., help="column naming the item (document) of each row"),
    on: str = typer.Option(
        ..., help="entity columns, comma-separated (e.g. structure_wikidata,organism_wikidata)"
    ),
    n: str = typer.Option("all", help="items to select (per group), or 'all' for the full ranking"),
    binarised: bool = typer.Option(False, help="count each entity once per item"),
    selector: str = typer.Option("dutopia", help="dutopia (distance to the utopia point) or sum"),
    group_by: str | None = typer.Option(None, help="sample each group (e.g. kingdom) on its own"),
    out: Path = typer.Option(..., help="selected items in order, with entropies after each (TSV)"),
) -> None:
    """Greedy Maximum Entropy sampling: items that maximise the entities' Shannon entropy."""
    import pandas as pd

    from npre.sampling.gme import gme_sample
    from npre.tables import TableError, read_table

    on_columns = [c.strip() for c in on.split(",") if c.strip()]
    if n != "all" and not n.isdigit():
        _fail(f"--n must be a number or 'all', got {n!r}")
    count = None if n == "all" else int(n)
    if selector not in ("dutopia", "sum"):
        _fail(f"--selector must be 'dutopia' or 'sum', got {selector!r}")
    with _Timer("gme"):
        try:
            frame = read_table(table, [item_column, *on_columns, *([group_by] if group_by else [])])
        except TableError as exc:
            _fail(str(exc))
        groups = (
            sorted(frame.groupby(group_by), key=lambda kv: kv[0]) if group_by else [(None, frame)]
        )
        results = []
        for name, sub in groups:
            picked = gme_sample(sub, item_column, on_columns, count, selector, binarised)
            if group_by:
                picked.insert(0, group_by, name)
            results.append(picked)
        result = pd.concat(results, ignore_index=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        result.to_csv(out, sep="\t", index=False)
        typer.echo(f"{len(result)} items selected")


@app.command()
def abstracts(
    references: Path = typer.Argument(..., help="sampled references from `npre sample`"),
    cache: Path = typer.Option(
        ..., help="abstract cache (JSON Lines of PMID, ArticleTitle, AbstractText)"
    ),
    out: Path = typer.Option(..., help="abstracts of the sampled references (JSON Lines)"),
    metrics: Path = typer.Option(..., help="JSON: found and missing counts"),
    params: Path = ParamsOption,
) -> None:
    """Title and abstract of each sampled reference: from the cache, or PubMed into the cache.

    With abstracts.source=pubmed, PMIDs the cache lacks are fetched with NCBI E-utilities
    (key from NCBI_API_KEY) and appended to it; a rerun fetches nothing.
    """
    import pandas as pd

    from npre.abstracts import fetch_abstracts, read_abstract_cache
    from npre.records import Document, RecordError, write_documents

    settings = _params("abstracts", params)
    with _Timer("abstracts"):
        pmids = pd.read_csv(references, sep="\t", dtype=str)["item"].tolist()
        try:
            if settings.source == "pubmed":
                from npre.pubmed import EutilsClient, PubMedError, fetch_into_cache

                client = EutilsClient(settings.eutils_url, max_retries=settings.max_retries)
                try:
                    records = fetch_into_cache(pmids, cache, client)
                except PubMedError as exc:
                    _fail(f"{exc} (fetched batches are kept in {cache}; rerun to resume)")
                finally:
                    client.close()
                known = {pmid: Document(**record) for pmid, record in records.items()}
            else:
                known = read_abstract_cache(cache)
            found, missing = fetch_abstracts(pmids, known)
        except RecordError as exc:
            _fail(str(exc))
        write_documents(out, found)
        _write_json(
            metrics,
            {
                "requested": len(pmids),
                "found": len(found),
                "missing": len(missing),
                "missing_pmids": missing,
            },
        )
        typer.echo(f"{len(found)} abstracts; {len(missing)} missing")


@app.command()
def seeds(
    relations: Path = typer.Argument(..., help="relations table from `npre lotus`"),
    abstracts_file: Path = typer.Argument(
        ..., metavar="ABSTRACTS", help="abstracts from `npre abstracts`"
    ),
    train: Path = typer.Option(..., help="seed documents for synthesis (JSON Lines)"),
    valid: Path = typer.Option(..., help="held-out seed documents for validation (JSON Lines)"),
    params: Path = ParamsOption,
) -> None:
    """Join LOTUS labels to the abstracts and split them into train and valid seeds."""
    import pandas as pd

    from npre.records import read_documents, write_documents
    from npre.seeds import label_documents, split_documents

    settings = _params("seeds", params)
    seed = _params("base", params).seed
    with _Timer("seeds"):
        docs = label_documents(pd.read_parquet(relations), read_documents(abstracts_file))
        train_docs, valid_docs = split_documents(docs, settings.valid_fraction, seed)
        write_documents(train, train_docs)
        write_documents(valid, valid_docs)
        typer.echo(f"{len(train_docs)} train / {len(valid_docs)} valid seed documents")


@app.command()
def instructions(
    seed_docs: Path = typer.Argument(..., help="train seed documents"),
    out: Path = typer.Option(..., help="prompts (JSON Lines; labels carried over)"),
    params: Path = ParamsOption,
) -> None:
    """Write generation prompts: title, keywords and verbalised main findings."""
    from npre.instructions import build_prompts
    from npre.keywords import make_extractor
    from npre.records import read_documents, write_documents

    settings = _params("instructions", params)
    seed = _params("base", params).seed
    with _Timer("instructions"):
        try:
            extractor = make_extractor(
                settings.keyword_model, settings.keyword_max_words, settings.keyword_diversity
            )
        except RuntimeError as exc:
            _fail(str(exc))
        n_prompts, n_keywords = settings.prompts_per_seed, settings.n_keywords
        prompts = [
            p
            for doc in read_documents(seed_docs)
            for p in build_prompts(doc, n_prompts, n_keywords, seed, settings, extractor)
        ]
        write_documents(out, prompts)
        typer.echo(f"{len(prompts)} prompts")


@app.command()
def synthesize(
    prompts: Path = typer.Argument(..., help="prompts from `npre instructions`"),
    out: Path = typer.Option(..., help="synthetic documents (JSON Lines)"),
    cache: Path = typer.Option(
        ..., help="generation cache (JSON Lines); reruns regenerate nothing"
    ),
    metrics: Path = typer.Option(
        ..., help="JSON: generations requested/cached/new/failed, kept per prompt, per step"
    ),
    params: Path = ParamsOption,
) -> None:
    """Generate synthetic abstracts with the configured backend; keep the best k per prompt;
    run the chained-generation steps (`synthesize.chain`) on the kept views."""
    from npre.records import read_documents, write_documents
    from npre.synthesis.backends import BackendError, concurrency, make_backend
    from npre.synthesis.generation import GenerationCache
    from npre.synthesis.stage import run_synthesis

    settings = _params("synthesize", params)
    seed = _params("base", params).seed
    if settings.backend == "transformers" or any(s.kind == "crossmodal" for s in settings.chain):
        _threads(params)  # in-process models: torch's thread count from base.num_threads
    with _Timer("synthesize"):
        prompt_docs = read_documents(prompts)
        store = GenerationCache(cache)
        try:
            backend = make_backend(settings, seed)
            docs, report = run_synthesis(
                prompt_docs, backend, settings, seed, store, concurrency(settings)
            )
        except BackendError as exc:
            _fail(str(exc))
        finally:
            store.close()
        write_documents(out, docs)
        _write_json(metrics, report)
        failed = report["generations"]["failed"]
        failed = f", {failed} failed generations" if failed else ""
        typer.echo(f"{len(docs)} synthetic documents ({settings.backend}{failed})")


@app.command()
def validate(
    synthetic: Path = typer.Argument(..., help="synthetic documents to gate"),
    passed: Path = typer.Option(..., help="documents that meet every expectation"),
    quarantine: Path = typer.Option(..., help="the others, each with its failed expectations"),
    metrics: Path = typer.Option(..., help="JSON: pass rate and failures per expectation"),
    gx_root: Path = typer.Option(Path("expectations"), help="Great Expectations project folder"),
    docs: Path | None = typer.Option(None, help="copy the Data Docs HTML site here"),
    seeds: Path | None = typer.Option(
        None, help="seed documents: the metrics then report n-gram novelty against them"
    ),
    params: Path = ParamsOption,
) -> None:
    """Run the Great Expectations checkpoint; quarantine failures; fail under the pass rate."""
    import shutil

    from npre.records import read_documents, write_documents
    from npre.validation.gate import data_docs_dir, run_gate, summary

    settings = _params("validate", params)
    with _Timer("validate"):
        result = run_gate(read_documents(synthetic), settings, gx_root)
        write_documents(passed, result.passed)
        write_documents(quarantine, result.quarantined)
        report = summary(result, read_documents(seeds) if seeds else None)
        _write_json(metrics, report)
        if docs is not None:
            shutil.rmtree(docs, ignore_errors=True)
            shutil.copytree(data_docs_dir(gx_root), docs)
        typer.echo(
            f"pass rate {report['pass_rate']:.1%} ({report['passed']}/{report['documents']})"
        )
        if result.pass_rate < settings.min_pass_rate:
            _fail(
                f"pass rate {result.pass_rate:.1%} is under "
                f"validate.min_pass_rate {settings.min_pass_rate:.1%}"
            )


@app.command("check-data")
def check_data(
    lotus_table: Path = typer.Option(
        Path("data/demo/lotus_demo.tsv"), "--lotus", help="LOTUS table"
    ),
    evaluation: Path = typer.Option(
        Path("data/demo/eval_set.json"), "--eval", help="evaluation set"
    ),
    gx_root: Path = typer.Option(Path("expectations"), help="Great Expectations project folder"),
    report: Path | None = typer.Option(None, help="write the results here (JSON)"),
) -> None:
    """Run the data-quality checkpoints on a LOTUS table and an evaluation set (the CI gate)."""
    from npre.lotus import REQUIRED_COLUMNS
    from npre.records import RecordError, read_curated_set
    from npre.tables import TableError, read_table
    from npre.validation.data_checks import run_checks

    try:
        results = run_checks(
            read_table(lotus_table, REQUIRED_COLUMNS), read_curated_set(evaluation), gx_root
        )
    except (TableError, RecordError) as exc:
        _fail(str(exc))
    if report:
        _write_json(report, results)
    for suite, outcome in results.items():
        status = "passed" if outcome["success"] else "FAILED"
        typer.echo(f"{suite}: {status}")
        for expectation, count in outcome["failures"].items():
            typer.echo(f"  {expectation}: {count} unexpected rows")
    if not all(outcome["success"] for outcome in results.values()):
        _fail("data-quality checks failed (rows by line number or PMID: see --report)")


@app.command("base-model")
def base_model(
    corpus: list[Path] = typer.Argument(
        ..., help="document files whose text trains the tiny model (model.base: tiny)"
    ),
    out: Path = typer.Option(..., help="folder for the model and tokenizer"),
    metrics: Path = typer.Option(..., help="JSON: source, sha256, family, parameter count"),
    params: Path = ParamsOption,
) -> None:
    """Materialise model.base (tiny, package:MODULE, a .gguf, a folder, a hub id) into --out."""
    from npre.modeling.base_model import materialise_base_model
    from npre.modeling.families import UnsupportedModel
    from npre.modeling.sources import ModelSourceError
    from npre.records import read_documents

    model_params = _params("model", params)
    tiny = _params("base_model", params)
    seed = _params("base", params).seed
    _threads(params)
    with _Timer("base-model"):
        texts = [d.text for path in corpus for d in read_documents(path)]
        try:
            info = materialise_base_model(model_params, tiny, texts, out, seed)
        except (ModelSourceError, UnsupportedModel) as exc:
            _fail(str(exc))
        _write_json(metrics, info)
        typer.echo(
            f"base model {info['source']}: {info['family']}, {info['parameters']:,} parameters, "
            f"vocabulary {info['vocab_size']}"
        )


@app.command()
def select(
    synthetic: Path = typer.Argument(..., help="validated synthetic documents"),
    base: Path = typer.Option(..., help="base model folder (the teacher's family)"),
    out: Path = typer.Option(..., help="kept documents (JSON Lines)"),
    scores: Path = typer.Option(..., help="CSV: per-document teacher loss and kept flag"),
    metrics: Path = typer.Option(..., help="JSON: kept count, loss threshold"),
    histogram: Path = typer.Option(..., help="CSV: teacher-loss histogram (a DVC plot)"),
    params: Path = ParamsOption,
) -> None:
    """Train a teacher on the synthetic documents and keep the lowest-loss fraction."""
    from npre.records import read_documents, write_documents
    from npre.selection import loss_histogram, select_documents

    settings = _params("select", params)
    seed = _params("base", params).seed
    _threads(params)
    with _Timer("select"):
        docs = read_documents(synthetic)
        kept, table, report = select_documents(docs, base, settings, seed)
        write_documents(out, kept)
        scores.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(scores, index=False)
        histogram.parent.mkdir(parents=True, exist_ok=True)
        loss_histogram(table).to_csv(histogram, index=False)
        _write_json(metrics, report)
        typer.echo(
            f"kept {len(kept)}/{len(docs)} documents "
            f"(teacher loss <= {report['loss_threshold']:.3f})"
        )


@app.command()
def train(
    train_files: list[Path] = typer.Argument(
        ..., metavar="TRAIN...", help="training documents (one or more files)"
    ),
    valid: Path = typer.Option(..., help="validation documents (F1 by generation each epoch)"),
    base: Path = typer.Option(..., help="base model folder or hub id"),
    out: Path = typer.Option(..., help="folder for the best adapter and the run record"),
    metrics: Path = typer.Option(..., help="JSON: training summary"),
    method: str | None = typer.Option(
        None, help="lora | qlora: overrides train.quantization (none | 4bit)"
    ),
    variant: str | None = typer.Option(
        None, help="grid variant name (MLflow run name and tag), e.g. gme-selected-qlora"
    ),
    params: Path = ParamsOption,
) -> None:
    """Fine-tune a (Q)LoRA adapter; log the run to MLflow; keep the best epoch.

    Runs unchanged under `accelerate launch` (several processes or GPUs): the main
    process alone logs to MLflow and writes the adapter and metrics.
    """
    from npre.params import QUANTIZATION
    from npre.records import read_documents
    from npre.training_stage import run_training

    settings = _params("train", params)
    if method is not None:
        if method not in QUANTIZATION:
            _fail(f"--method must be one of {', '.join(QUANTIZATION)}, got {method!r}")
        settings = settings.model_copy(update={"quantization": QUANTIZATION[method]})
    evaluation = _params("evaluate", params)
    experiment = _params("register", params).experiment
    seed = _params("base", params).seed
    threads = _threads(params)
    with _Timer("train"):
        summary = run_training(
            {str(path): read_documents(path) for path in train_files},
            (str(valid), read_documents(valid)),
            base,
            out,
            settings,
            evaluation.decoding,
            experiment,
            seed,
            threads,
            variant,
        )
        if summary is not None:  # None on the other processes of `accelerate launch`
            _write_json(metrics, summary)
            typer.echo(f"best epoch {summary['best_epoch']}, valid F1 {summary['best_valid_f1']}")


@app.command()
def evaluate(
    gold: Path = typer.Argument(..., help="evaluation set (curated-set JSON)"),
    base: Path = typer.Option(..., help="base model folder"),
    adapter: Path | None = typer.Option(
        None, help="adapter folder from `npre train`; without it, the untrained base model"
    ),
    predictions: Path = typer.Option(..., help="predictions (JSON Lines: PMID, relations)"),
    metrics: Path = typer.Option(..., help="JSON: precision, recall, f1 and breakdowns"),
    max_new_tokens: int | None = typer.Option(
        None, help="cap the output length (default: evaluate.decoding.max_new_tokens)"
    ),
    params: Path = ParamsOption,
) -> None:
    """Score the extractor (or the untrained base model) with the paper's metric.

    With an adapter, the scores are also logged to the adapter's MLflow training run.
    """
    from npre.evaluation import evaluate_extractor

    settings = _params("evaluate", params)
    if max_new_tokens is not None:
        decoding = settings.decoding.model_copy(update={"max_new_tokens": max_new_tokens})
        settings = settings.model_copy(update={"decoding": decoding})
    experiment = _params("register", params).experiment
    train_settings = _params("train", params)
    threads = _threads(params)
    with _Timer("evaluate"):
        report = evaluate_extractor(
            gold, base, adapter, predictions, settings, experiment, threads, train_settings
        )
        _write_json(metrics, report)
        typer.echo(f"P {report['precision']:.3f} R {report['recall']:.3f} F1 {report['f1']:.3f}")


@app.command()
def register(
    adapters: Path = typer.Option(
        ..., help="folder holding one adapter folder per grid variant (from `npre train`)"
    ),
    evaluations: Path = typer.Option(
        ..., help="folder holding VARIANT/metrics.json per grid variant (from `npre evaluate`)"
    ),
    base: Path = typer.Option(..., help="base model folder"),
    out: Path = typer.Option(..., help="JSON: the registered version and the champion decision"),
    grid_report: Path = typer.Option(..., help="JSON: precision, recall, F1 of every variant"),
    lotus: Path | None = typer.Option(
        None, help="relations table packed with the model: answers say known or new"
    ),
    params: Path = ParamsOption,
) -> None:
    """Register the grid's best variant as an MLflow model; move `champion` if it is better."""
    from npre.grid import GridError, grid_variants
    from npre.registration import register_best_variant

    settings = _params("register", params)
    try:
        variants = grid_variants(_params("sample", params), _params("grid", params))
    except GridError as exc:
        _fail(str(exc))
    _threads(params)
    with _Timer("register"):
        try:
            decision, table = register_best_variant(
                variants, adapters, evaluations, base, settings, lotus
            )
        except FileNotFoundError as exc:
            _fail(str(exc))
        _write_json(grid_report, table)
        _write_json(out, decision)
        typer.echo(
            f"best variant {decision['variant']}; registered {settings.model_name} "
            f"v{decision['version']}: {decision['reason']}"
        )


@app.command()
def extract(
    input_file: Path = typer.Argument(
        ...,
        metavar="INPUT",
        help="JSON Lines or CSV (title, abstract, optional id), curated-format JSON, "
        "or a .txt/.pmids file of PMIDs (fetched through the PubMed client and its cache)",
    ),
    out: Path = typer.Option(..., help="answers, one JSON line per document; appended to"),
    model: str = typer.Option("models:/npre-extractor@champion", help="the extractor to run"),
    batch_size: int = typer.Option(16, min=1, help="documents per model call"),
    pubmed_cache: Path = typer.Option(
        Path("data/pubmed_cache.jsonl"), help="abstract cache for a PMID list (appended to)"
    ),
    params: Path = ParamsOption,
) -> None:
    """Extract relations from many abstracts with the champion, saying which are new to LOTUS.

    Resumable: a rerun skips the documents OUT already answers. A bad row is reported
    with its line and skipped. The summary is printed and written to OUT.summary.json.
    """
    from tqdm import tqdm

    from npre.bulk import BulkInputError, extract_to_file, read_inputs, summarise
    from npre.service_model import ChampionNotFound, load_champion

    settings = _params("abstracts", params)
    _threads(params)

    def fetch_pmids(pmids: list[str]) -> dict[str, dict]:
        from npre.pubmed import EutilsClient, PubMedError, fetch_into_cache

        client = EutilsClient(settings.eutils_url, max_retries=settings.max_retries)
        try:
            return fetch_into_cache(pmids, pubmed_cache, client)
        except PubMedError as exc:
            _fail(f"{exc} (fetched batches are kept in {pubmed_cache}; rerun to resume)")
        finally:
            client.close()

    with _Timer("extract"):
        try:
            rows = read_inputs(input_file, fetch_pmids)
            loaded = load_champion(model)
        except (BulkInputError, ChampionNotFound) as exc:
            _fail(str(exc))
        bad = lambda row: typer.echo(f"skipped {row.where}: {row.problem}", err=True)  # noqa: E731
        with tqdm(desc="extract", unit="doc", disable=None) as bar:
            try:
                run = extract_to_file(loaded, rows, out, batch_size, bad, bar.update)
            except BulkInputError as exc:
                _fail(str(exc))
        summary = summarise(out) | {
            "extracted_now": run.extracted,
            "already_done": run.skipped,
            "bad_rows": run.bad_rows,
            "docs_per_s": round(run.extracted / run.seconds, 3) if run.seconds else None,
            "model": loaded.uri,
            "model_version": loaded.version,
            "lotus_snapshot": loaded.lotus.snapshot if loaded.lotus else None,
        }
        _write_json(out.with_suffix(".summary.json"), summary)
        typer.echo(json.dumps(summary, indent=2))


@app.command()
def score(
    gold: Path = typer.Option(..., help="gold documents (curated-set JSON)"),
    pred: Path = typer.Option(..., help="predictions (JSON Lines: PMID, relations)"),
    out: Path | None = typer.Option(None, help="write the scores here (JSON)"),
) -> None:
    """Score predictions against gold relations with the paper's metric.

    Prints micro precision, recall and F1; --out also gets organism-only and chemical-only
    recall, per-kingdom scores and the parse failures (`malformed_pieces`).
    """
    from npre.evaluation import read_predictions
    from npre.metric import score as paper_score
    from npre.records import RecordError, read_curated_set

    try:
        gold_docs = read_curated_set(gold)
        predicted, malformed = read_predictions(pred)
    except (RecordError, OSError) as exc:
        _fail(str(exc))
    result = paper_score(
        {d.PMID: d.label_pairs() for d in gold_docs},
        predicted,
        {d.PMID: d.kingdom or "unknown" for d in gold_docs},
    )
    result["malformed_pieces"] = malformed  # parse failures the predictions file records
    if out:
        _write_json(out, result)
    typer.echo(json.dumps({k: result[k] for k in ("precision", "recall", "f1")}))


@app.command("grid-table")
def grid_table(
    grid: Path = typer.Argument(..., help="reports/grid.json from `npre register`"),
    baseline: Path | None = typer.Option(None, help="metrics of the untrained base model"),
    register: Path | None = typer.Option(None, help="reports/register.json: marks the winner"),
) -> None:
    """Print the experiment grid's precision, recall and F1, best first."""
    rows = json.loads(grid.read_text())
    chosen = json.loads(register.read_text()).get("variant") if register else None
    typer.echo(f"{'variant':<28} {'P':>6} {'R':>6} {'F1':>6}")
    for name, row in sorted(rows.items(), key=lambda kv: -kv[1]["f1"]):
        mark = "  <- registered" if name == chosen else ""
        typer.echo(
            f"{name:<28} {row['precision']:>6.3f} {row['recall']:>6.3f} {row['f1']:>6.3f}{mark}"
        )
    if baseline:
        base = json.loads(baseline.read_text())
        typer.echo(
            f"{'untrained base model':<28} {base['precision']:>6.3f} {base['recall']:>6.3f} "
            f"{base['f1']:>6.3f}"
        )


def main() -> None:  # pragma: no cover
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    app()


@app.command()
def profile(
    path: Path = typer.Argument(..., help="a profile: params.yaml keys to override (YAML)"),
) -> None:
    """Print a profile as `dvc exp run` set-params arguments (-S key=value ...)."""
    import shlex

    import yaml

    def flatten(prefix: str, value) -> list[str]:
        if isinstance(value, dict):
            return [arg for k, v in value.items() for arg in flatten(f"{prefix}{k}.", v)]
        return [f"{prefix[:-1]}={yaml.safe_dump(value, default_flow_style=True).strip()}"]

    from npre.params import SECTIONS

    overrides = yaml.safe_load(path.read_text()) or {}
    for section, values in overrides.items():  # a typo fails here, not in the 10th stage
        if section not in SECTIONS:
            _fail(f"{path}: unknown params section {section!r}")
        try:
            SECTIONS[section].model_validate(values)
        except ValueError as exc:
            _fail(f"{path}: section {section!r}: {exc}")
    typer.echo(
        " ".join(
            f"-S {shlex.quote(arg.removesuffix(chr(10) + '...'))}" for arg in flatten("", overrides)
        )
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
