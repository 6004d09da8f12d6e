"""The `sample` stage: per-kingdom reference samples, their entropy curves and diversity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from npre.params import SampleParams
from npre.sampling.gme import entropy_curve
from npre.sampling.samplers import rank_items

KINGDOM = "organism_taxonomy_02kingdom"


def rank_per_kingdom(
    relations: pd.DataFrame, params: SampleParams, sampler: str, seed: int
) -> pd.DataFrame:
    """Rank every item of every kingdom with `sampler`; each kingdom is its own table.

    Returns columns kingdom, item, rank (1-based within the kingdom).
    """
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
