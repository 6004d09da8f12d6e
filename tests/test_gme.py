"""GME sampler: hand-worked known answers and a differential test against the spec, literally."""

import math

import numpy as np
import pandas as pd
import pytest

from npre.sampling import gme as gme_module
from npre.sampling.gme import entropy_curve, gme_sample

ON = ["chem", "org"]


def table(rows):
    return pd.DataFrame(rows, columns=["ref", "chem", "org"])


# Worked by hand: U = (ln 4, ln 3).
#  step 1: a=(0,0) d=1.7688, b=(ln2,0) d=1.2990, c=(ln2,ln2) d=0.8030 -> c
#  step 2: a=(ln3,ln3) d=0.2877, b=(ln4, 1.03972) d=0.0589 -> b
#  step 3: a: chem counts (2,1,1,1) -> ln5 - 2ln2/5 = 1.33218; org (3,1,1) -> ln5 - 3ln3/5 = 0.95027
HAND = table(
    [("b", "c1", "o1"), ("b", "c2", "o1"), ("a", "c1", "o1"), ("c", "c3", "o2"), ("c", "c4", "o3")]
)


def test_hand_worked_ranking():
    out = gme_sample(HAND, "ref", ON)
    assert out["ref"].tolist() == ["c", "b", "a"]
    assert out["chem"].tolist() == [0.69315, 1.38629, 1.33218]
    assert out["org"].tolist() == [0.69315, 1.03972, 0.95027]


def test_n_is_capped_and_prefix_stable():
    assert gme_sample(HAND, "ref", ON, n=10)["ref"].tolist() == ["c", "b", "a"]
    assert gme_sample(HAND, "ref", ON, n=1)["ref"].tolist() == ["c"]


def test_ties_go_to_the_smallest_item_key():
    tied = table([("zz", "c1", "o1"), ("zz", "c2", "o2"), ("aa", "c1", "o1"), ("aa", "c2", "o2")])
    assert gme_sample(tied, "ref", ON)["ref"].tolist() == ["aa", "zz"]


def test_binarised_counts_each_entity_once_per_item():
    dup = table([("x", "c1", "o1"), ("x", "c1", "o1"), ("x", "c2", "o1")])
    freq = gme_sample(dup, "ref", ON, n=1)
    binar = gme_sample(dup, "ref", ON, n=1, binarised=True)
    assert freq["chem"].iloc[0] == round(math.log(3) - 2 * math.log(2) / 3, 5)
    assert binar["chem"].iloc[0] == round(math.log(2), 5)


def test_bad_selector_and_missing_column():
    with pytest.raises(ValueError, match="selector"):
        gme_sample(HAND, "ref", ON, selector="max")
    with pytest.raises(KeyError, match="nope"):
        gme_sample(HAND, "ref", ["nope"])


def slow_gme(df, item, on, n, selector="dutopia", binarised=False):
    """The spec, literally: dense count vectors, entropies from scratch, rounded, first best."""
    vocab = {c: {v: i for i, v in enumerate(pd.unique(df[c]))} for c in on}
    items = sorted(df[item].dropna().unique())
    vectors = {}
    for it in items:
        sub = df[df[item] == it]
        vecs = []
        for c in on:
            v = np.zeros(len(vocab[c]))
            for value in sub[c]:
                v[vocab[c][value]] = 1 if binarised else v[vocab[c][value]] + 1
            vecs.append(v)
        vectors[it] = vecs
    utopia = [math.log(len(vocab[c])) for c in on]
    counts = [np.zeros(len(vocab[c])) for c in on]
    remaining, out = list(items), []
    for _ in range(min(n, len(items))):
        best, best_score, best_h = None, None, None
        for it in remaining:
            hs = []
            for j in range(len(on)):
                v = counts[j] + vectors[it][j]
                p = v[v > 0] / v.sum()
                hs.append(round(float(-(p * np.log(p)).sum()), 5))
            if selector == "dutopia":
                s = math.sqrt(sum((h - u) ** 2 for h, u in zip(hs, utopia, strict=True)))
                better = best_score is None or s < best_score
            else:
                s = sum(hs)
                better = best_score is None or s > best_score
            if better:
                best, best_score, best_h = it, s, hs
        remaining.remove(best)
        for j in range(len(on)):
            counts[j] += vectors[best][j]
        out.append([best, *best_h])
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    ("selector", "binarised"), [("dutopia", False), ("sum", False), ("dutopia", True)]
)
@pytest.mark.parametrize("resync_every", [512, 2])
def test_matches_the_literal_spec_on_random_tables(
    seed, selector, binarised, resync_every, monkeypatch
):
    # resync_every=2 alternates exact recomputation and incremental updates every step
    monkeypatch.setattr(gme_module._EntropyState, "RESYNC_EVERY", resync_every)
    rng = np.random.default_rng(seed)
    n_rows = 120
    df = pd.DataFrame(
        {
            "ref": rng.choice([f"r{i:02d}" for i in range(25)], n_rows),
            "chem": rng.choice(
                [f"c{i}" for i in range(30)], n_rows, p=np.r_[[0.2], np.full(29, 0.8 / 29)]
            ),
            "org": rng.choice([f"o{i}" for i in range(8)], n_rows),
        }
    )
    expected = slow_gme(df, "ref", ON, 25, selector, binarised)
    got = gme_sample(df, "ref", ON, selector=selector, binarised=binarised).values.tolist()
    assert got == expected


def test_entropy_curve_follows_the_given_order():
    curve = entropy_curve(HAND, "ref", ON, ["a", "c"])
    assert curve.values.tolist() == [
        ["a", 0.0, 0.0],
        ["c", round(math.log(3), 5), round(math.log(3), 5)],
    ]
