"""F1 of the registered champion on real abstracts, through the pyfunc path users call.

    python benchmarks/bench_real_text.py --gold CURATED.json

Loads `models:/npre-extractor@champion` (or --model) with `mlflow.pyfunc.load_model`,
predicts every document of a curated-format file (dict keyed by PMID: ArticleTitle,
AbstractText, organisms, chemicals, relations: the format of data/demo/eval_set.json) and
prints the paper's metric (micro P/R/F1), organism and chemical recall, and seconds per
abstract. The gold file is read for evaluation only: hand-labelled real abstracts that no
stage trains on tell how the extractor does on real text.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gold", type=Path, required=True, help="curated-format JSON file")
    parser.add_argument("--model", default="models:/npre-extractor@champion")
    parser.add_argument("--tracking-uri", default=None, help="default: the project's mlflow.db")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--predictions", type=Path, default=None, help="write them here (JSONL)")
    parser.add_argument(
        "--result-name",
        default="real_text",
        help="the result file: reports/benchmarks/NAME.json (docs/results.md shows it)",
    )
    args = parser.parse_args()

    import mlflow
    import pandas as pd
    import torch
    from result_file import write_result  # benchmarks/result_file.py

    from npre.data.records import read_curated_set
    from npre.mlops.tracking import tracking_uri
    from npre.scoring.confidence import precision_by_half
    from npre.scoring.metric import score

    torch.set_num_threads(args.threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    mlflow.set_tracking_uri(args.tracking_uri or tracking_uri())
    docs = read_curated_set(args.gold)
    if not docs:
        sys.exit(f"{args.gold}: no documents")
    started = time.perf_counter()
    model = mlflow.pyfunc.load_model(args.model)
    loaded = time.perf_counter() - started
    frame = pd.DataFrame(
        {"title": [d.ArticleTitle for d in docs], "abstract": [d.AbstractText for d in docs]}
    )
    started = time.perf_counter()
    found = model.predict(frame)["relations"].tolist()
    elapsed = time.perf_counter() - started
    predicted = {
        d.PMID: [(r["organism"], r["chemical"]) for r in rels]
        for d, rels in zip(docs, found, strict=True)
    }
    result = score({d.PMID: d.label_pairs() for d in docs}, predicted)
    if args.predictions:
        args.predictions.parent.mkdir(parents=True, exist_ok=True)
        with args.predictions.open("w") as out:
            for d, rels in zip(docs, found, strict=True):
                out.write(json.dumps({"PMID": d.PMID, "relations": rels}) + "\n")
    print(f"model            {args.model}")
    print(f"gold             {args.gold} ({len(docs)} documents, {result['gold']} relations)")
    print(f"precision        {result['precision']:.3f}")
    print(f"recall           {result['recall']:.3f}")
    print(f"F1               {result['f1']:.3f}")
    print(f"organism recall  {result['organism_recall']:.3f}")
    print(f"chemical recall  {result['chemical_recall']:.3f}")
    print(f"predicted        {result['predicted']} relations ({result['true_positives']} right)")
    per_doc = elapsed / len(docs)
    print(f"s/abstract       {per_doc:.2f}  (model load {loaded:.1f} s, threads {args.threads})")
    gold = {d.PMID: d.label_pairs() for d in docs}
    scored = {
        d.PMID: [((r["organism"], r["chemical"]), r.get("confidence", 1.0)) for r in rels]
        for d, rels in zip(docs, found, strict=True)
    }
    figures = {
        **{key: result[key] for key in ("precision", "recall", "f1")},
        "organism_recall": result["organism_recall"],
        "chemical_recall": result["chemical_recall"],
        "predicted": result["predicted"],
        "true_positives": result["true_positives"],
        "gold_relations": result["gold"],
        "gold_file": args.gold.name,
        "documents": len(docs),
        "s_per_abstract": per_doc,
        "model_load_s": loaded,
        "threads": args.threads,
        "model": args.model,
        "model_version": _registered_version(args.model),
        "confidence": precision_by_half(gold, scored),
    }
    write_result(args.result_name, figures)


def _registered_version(uri: str) -> str | None:
    """The registry version a `models:/NAME@ALIAS` or `models:/NAME/VERSION` URI names."""
    if not uri.startswith("models:/"):
        return None
    name = uri.removeprefix("models:/")
    try:
        from mlflow import MlflowClient

        if "@" in name:
            model, alias = name.split("@", 1)
            return str(MlflowClient().get_model_version_by_alias(model, alias).version)
        return name.rsplit("/", 1)[1] if "/" in name else None
    except Exception:  # a figure the page can do without
        return None


if __name__ == "__main__":
    main()
