"""Rankings of a (kingdom's) table by each of the paper's samplers.

Every sampler returns all items, best first; a sample of size n is the first n. Ties are
broken by the item key, ascending, so every ranking is deterministic (random: by seed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from npre.config.params import SamplerName
from npre.sampling.gme import gme_sample

SAMPLERS: tuple[str, ...] = SamplerName.__args__


def top_n_ranking(table: pd.DataFrame, item_column: str, on_columns: list[str], by: str) -> list:
    """Items by decreasing relation count, distinct structures, distinct organisms, or both."""
    chemical, organism = on_columns[0], on_columns[1]
    grouped = table.groupby(item_column)
    scores = {
        "top_relations": grouped.size(),
        "top_structures": grouped[chemical].nunique(),
        "top_organisms": grouped[organism].nunique(),
        "top_sum": grouped[chemical].nunique() + grouped[organism].nunique(),
    }[by]
    frame = (
        scores.rename("score")
        .reset_index()
        .sort_values(["score", item_column], ascending=[False, True], kind="stable")
    )
    return frame[item_column].tolist()


def rank_items(
    table: pd.DataFrame,
    sampler: str,
    item_column: str,
    on_columns: list[str],
    rng: np.random.Generator,
    selector: str = "dutopia",
    binarised: bool = False,
) -> list:
    if sampler == "gme":
        return gme_sample(table, item_column, on_columns, selector=selector, binarised=binarised)[
            item_column
        ].tolist()
    if sampler == "random":
        items = sorted(table[item_column].dropna().unique())
        return [items[i] for i in rng.permutation(len(items))]
    if sampler.startswith("top_"):
        return top_n_ranking(table, item_column, on_columns, sampler)
    raise ValueError(f"unknown sampler {sampler!r}; expected one of {', '.join(SAMPLERS)}")


def split_per_group(ranking: pd.DataFrame, n_test: int) -> tuple[list, list]:
    """The paper's splits: the top `n_test` items of each group go to the test set.

    With a GME ranking this is the entropy split; with a random one, the random split.
    `ranking` has columns group, item, rank. Returns (train items, test items).
    """
    test = ranking[ranking["rank"] <= n_test]["item"].tolist()
    train = ranking[ranking["rank"] > n_test]["item"].tolist()
    return train, test
