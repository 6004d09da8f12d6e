"""The `sample` stage: per-kingdom reference samples, their entropy curves and diversity."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from npre.command_helpers import PARAMS_OPTION, StageTimer, fail, read_config
from npre.config.params import RunParams, SampleParams
from npre.data.records import write_json

if TYPE_CHECKING:
    import pandas as pd

KINGDOM = "organism_taxonomy_02kingdom"


def rank_per_kingdom(
    relations: pd.DataFrame, params: SampleParams, sampler: str, seed: int
) -> pd.DataFrame:
    """Rank every item of every kingdom with `sampler`; each kingdom is its own table.

    Returns columns kingdom, item, rank (1-based within the kingdom).
    """
    import numpy as np
    import pandas as pd

    from npre.sampling.samplers import rank_items

    frames = []
    rng = np.random.default_rng(seed)
    for kingdom, sub in sorted(relations.groupby(KINGDOM), key=lambda kv: kv[0]):
        ranked = rank_items(
            sub,
            sampler,
            params.item_column,
            params.on_columns,
            rng,
            params.selector,
            params.binarised,
        )
        frames.append(
            pd.DataFrame({"kingdom": kingdom, "item": ranked, "rank": range(1, len(ranked) + 1)})
        )
    return pd.concat(frames, ignore_index=True)


def diversity(relations: pd.DataFrame, params: SampleParams, items: list) -> dict:
    """Distinct organisms/chemicals/relations and Shannon entropies of a sample."""
    from npre.sampling.gme import entropy_curve

    sub = relations[relations[params.item_column].isin(items)]
    curve = entropy_curve(
        relations, params.item_column, params.on_columns, sorted(set(items)), params.binarised
    )
    last = curve.iloc[-1] if len(curve) else None
    org, chem = params.on_columns[1], params.on_columns[0]
    return {
        "references": int(sub[params.item_column].nunique()),
        "relations": int(len(sub.drop_duplicates([params.item_column, org, chem]))),
        "distinct_organisms": int(sub[org].nunique()),
        "distinct_chemicals": int(sub[chem].nunique()),
        "distinct_pairs": int(len(sub.drop_duplicates([org, chem]))),
        "entropy_organisms": float(last[org]) if last is not None else 0.0,
        "entropy_chemicals": float(last[chem]) if last is not None else 0.0,
        "kingdoms": {
            k: int(v) for k, v in sub.groupby(KINGDOM)[params.item_column].nunique().items()
        },
    }


def curve_by_sample_size(
    relations: pd.DataFrame, params: SampleParams, ranking: pd.DataFrame
) -> pd.DataFrame:
    """Entropies of the union of the top-n items of every kingdom, for n = 1..max."""
    import pandas as pd

    from npre.sampling.gme import entropy_curve

    org, chem = params.on_columns[1], params.on_columns[0]
    order, round_end = [], []
    max_rank = int(ranking["rank"].max())
    for n in range(1, max_rank + 1):
        order.extend(ranking.loc[ranking["rank"] == n, "item"].tolist())
        round_end.append(len(order) - 1)
    curve = entropy_curve(relations, params.item_column, params.on_columns, order, params.binarised)
    picked = curve.iloc[round_end].reset_index(drop=True)
    return pd.DataFrame(
        {
            "n_per_kingdom": range(1, max_rank + 1),
            "references": [i + 1 for i in round_end],
            "organisms_entropy": picked[org],
            "chemicals_entropy": picked[chem],
        }
    )


@dataclass(frozen=True)
class Config:
    run: RunParams
    sample: SampleParams


@dataclass(frozen=True)
class Paths:
    relations: Path  # relations table from `npre lotus`
    out_dir: Path  # one reference sample per sampler: SAMPLER.tsv (kingdom, item, rank)
    metrics: Path  # diversity of each sampler's sample (JSON)
    curves_dir: Path  # entropy-vs-size curves (CSV per sampler)


def run(config: Config, paths: Paths) -> dict[str, int]:
    """Rank, cut and write each sampler's sample; returns the references per sampler."""
    import pandas as pd

    settings = config.sample
    table = pd.read_parquet(paths.relations)
    for column in [settings.item_column, *settings.on_columns]:
        if column not in table.columns:
            raise ValueError(
                f"{paths.relations}: no column {column!r} (sample.item_column / sample.on_columns)"
            )
    report, sizes = {}, {}
    paths.curves_dir.mkdir(parents=True, exist_ok=True)
    paths.out_dir.mkdir(parents=True, exist_ok=True)
    for sampler in dict.fromkeys(settings.samplers):
        ranking = rank_per_kingdom(table, settings, sampler, config.run.seed)
        top = ranking[ranking["rank"] <= settings.n_per_kingdom]
        report[sampler] = diversity(table, settings, top["item"].tolist())
        curve_by_sample_size(table, settings, ranking).to_csv(
            paths.curves_dir / f"entropy_{sampler}.csv", index=False
        )
        top.to_csv(paths.out_dir / f"{sampler}.tsv", sep="\t", index=False)
        sizes[sampler] = len(top)
    write_json(paths.metrics, report)
    return sizes


def command(
    relations: Path = typer.Argument(..., help="relations table from `npre lotus`"),
    out_dir: Path = typer.Option(
        ..., help="folder for one reference sample per sampler: SAMPLER.tsv (kingdom, item, rank)"
    ),
    metrics: Path = typer.Option(..., help="diversity of each sampler's sample (JSON)"),
    curves_dir: Path = typer.Option(
        ..., help="folder for entropy-vs-size curves (CSV per sampler)"
    ),
    params: Path = PARAMS_OPTION,
) -> None:
    """Sample references per kingdom with each of sample.samplers; compare their diversity."""
    config = read_config(Config, params)
    with StageTimer("sample"):
        try:
            sizes = run(config, Paths(relations, out_dir, metrics, curves_dir))
        except ValueError as exc:
            fail(str(exc))
        for sampler, size in sizes.items():
            typer.echo(f"{sampler}: {size} references")
