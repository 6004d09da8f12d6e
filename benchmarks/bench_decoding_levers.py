"""Decoding levers side by side on one trained extractor: F1, recall where it matters,
answer length and time, per setting.

    python benchmarks/bench_decoding_levers.py --adapter models/extractors/gme-selected-lora \
        --gold data/demo/eval_set.json --variant base= \
        --variant passes=organism_passes=true --variant longer=max_new_tokens=512

Each `--variant NAME=KEY=VALUE,KEY=VALUE` overrides the adapter's own decoding settings
(`extractor.json`; params `evaluate.decoding`); an empty override is the adapter as it
is. The model is loaded once; every variant answers every document of the curated-format
`--gold` file (batched as `npre evaluate` does). Printed per variant: precision, recall,
F1, recall on the documents with at least 9 gold relations, relations answered per
document, the precision of the surer and the less sure half of the answers, and seconds
per document. `--thresholds` adds the F1 over confidence thresholds (the choice of
`decoding.min_confidence`: make it on the demo set, never on a set you report).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

BIG = 9  # "long" documents: at least this many gold relations


def parse_variant(text: str) -> tuple[str, dict]:
    import yaml

    name, _, settings = text.partition("=")
    overrides = {}
    for item in filter(None, settings.split(",")):
        key, _, value = item.partition("=")
        overrides[key.strip()] = yaml.safe_load(value)
    return name, overrides


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--adapter", type=Path, required=True, help="from `npre train`")
    parser.add_argument("--base", type=Path, default=Path("models/base"))
    parser.add_argument("--gold", type=Path, required=True, help="curated-format JSON file")
    parser.add_argument("--variant", action="append", default=[], help="NAME=KEY=VALUE,...")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--thresholds", action="store_true", help="F1 per confidence threshold")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from npre.data.records import read_curated_set
    from npre.decoding.extractor import ExtractorConfig, RelationExtractor
    from npre.scoring.confidence import precision_by_half, precision_recall_curve
    from npre.scoring.metric import score

    docs = read_curated_set(args.gold)
    gold = {d.PMID: d.label_pairs() for d in docs}
    big = {pmid for pmid, pairs in gold.items() if len(pairs) >= BIG}
    trained = ExtractorConfig.load(args.adapter)
    extractor = RelationExtractor.load(args.base, args.adapter, trained, args.threads)
    print(f"{args.gold}: {len(docs)} documents, {len(big)} with >= {BIG} relations")
    print(f"adapter {args.adapter} ({trained.linearization}), threads {args.threads}")
    header = "variant              P      R      F1     R(>=9)  rel/doc  upper/lower P  s/doc"
    print(header)
    for name, overrides in map(parse_variant, args.variant or ["as-trained="]):
        extractor.decoding = trained.decoding.model_copy(update=overrides)
        started = time.perf_counter()
        found = extractor.extract_many(
            [(d.ArticleTitle, d.AbstractText) for d in docs], args.batch_size
        )
        per_doc = (time.perf_counter() - started) / len(docs)
        scored = {
            d.PMID: list(zip(f.relations, f.confidences, strict=True))
            for d, f in zip(docs, found, strict=True)
        }
        predicted = {pmid: [pair for pair, _ in pairs] for pmid, pairs in scored.items()}
        result = score(gold, predicted)
        long = score({p: gold[p] for p in big}, predicted)["recall"] if big else float("nan")
        halves = precision_by_half(gold, scored)
        upper, lower = halves["upper_half_precision"], halves["lower_half_precision"]
        answered = sum(len(f.relations) for f in found) / len(docs)
        print(
            f"{name:<20} {result['precision']:.3f}  {result['recall']:.3f}  {result['f1']:.3f}  "
            f"{long:.3f}   {answered:5.1f}    {upper or 0:.2f}/{lower or 0:.2f}     {per_doc:.2f}"
        )
        if args.thresholds:
            for point in precision_recall_curve(gold, scored):
                print(
                    f"    min_confidence {point['threshold']:.2f}: P {point['precision']:.3f} "
                    f"R {point['recall']:.3f} F1 {point['f1']:.3f}"
                )


if __name__ == "__main__":
    main()
