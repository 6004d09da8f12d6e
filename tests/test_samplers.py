import numpy as np
import pandas as pd

from npre.sampling.samplers import rank_items, split_per_group, top_n_ranking

ON = ["chem", "org"]
TABLE = pd.DataFrame(
    [
        ("a", "c1", "o1"),
        ("a", "c1", "o2"),
        ("a", "c1", "o3"),  # 3 rows, 1 chem, 3 orgs
        ("b", "c1", "o1"),
        ("b", "c2", "o1"),
        ("b", "c3", "o1"),
        ("b", "c4", "o1"),  # 4 chems
        ("c", "c5", "o4"),
        ("c", "c6", "o5"),  # 2 + 2
        ("d", "c7", "o6"),
    ],
    columns=["ref", "chem", "org"],
)


def test_top_n_rankings_with_ties_by_key():
    assert top_n_ranking(TABLE, "ref", ON, "top_relations") == ["b", "a", "c", "d"]
    assert top_n_ranking(TABLE, "ref", ON, "top_structures") == ["b", "c", "a", "d"]
    assert top_n_ranking(TABLE, "ref", ON, "top_organisms") == ["a", "c", "b", "d"]
    assert top_n_ranking(TABLE, "ref", ON, "top_sum") == ["b", "a", "c", "d"]  # 5, 4, 4, 2


def test_random_ranking_is_a_seeded_permutation():
    first = rank_items(TABLE, "random", "ref", ON, np.random.default_rng(3))
    assert sorted(first) == ["a", "b", "c", "d"]
    assert first == rank_items(TABLE, "random", "ref", ON, np.random.default_rng(3))


def test_split_sends_the_top_of_each_group_to_test():
    ranking = pd.DataFrame(
        {
            "kingdom": ["K1"] * 3 + ["K2"] * 2,
            "item": ["x", "y", "z", "u", "v"],
            "rank": [1, 2, 3, 1, 2],
        }
    )
    train, test = split_per_group(ranking, n_test=1)
    assert test == ["x", "u"] and train == ["y", "z", "v"]
