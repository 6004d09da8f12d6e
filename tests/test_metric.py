"""The paper's metric against a direct, hand-computed reading of its definition."""

import json

import pytest
from typer.testing import CliRunner

from npre.cli import app
from npre.scoring.metric import normalise, score


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Artemisia annua", "artemisiaannua"),
        ("  ARTEMISIA   annua. ", "artemisiaannua"),
        ("the alkaloid", "alkaloid"),
        ("an ergot alkaloid", "ergotalkaloid"),
        ("Theobromine", "theobromine"),  # "the" inside a word stays
        ("A. annua", "aannua"),  # the article "a" is not dropped, periods are
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


def test_micro_scores_with_duplicates_and_missing_docs():
    gold = {
        "1": [("Artemisia annua", "artemisinin"), ("Artemisia annua", "arteannuin B")],
        "2": [("Taxus brevifolia", "paclitaxel")],
        "3": [],
    }
    predicted = {
        # a duplicate after normalisation counts once; case/periods/articles are ignored
        "1": [
            ("artemisia annua.", "Artemisinin"),
            ("Artemisia  annua", "the artemisinin"),
            ("Artemisia annua", "scopoletin"),
        ],
        "3": [("Taxus brevifolia", "baccatin III")],
        # doc 2 has no prediction at all
    }
    result = score(gold, predicted)
    # tp = 1; predicted pairs = 2 (doc 1, deduplicated) + 1 (doc 3) = 3; gold = 3
    assert result["true_positives"] == 1
    assert result["precision"] == pytest.approx(1 / 3)
    assert result["recall"] == pytest.approx(1 / 3)
    assert result["f1"] == pytest.approx(1 / 3)
    assert result["organism_recall"] == pytest.approx(1 / 2)
    assert result["chemical_recall"] == pytest.approx(1 / 3)


def test_empty_predictions_score_zero():
    assert score({"1": [("A b", "c")]}, {})["f1"] == 0.0


def test_score_command(tmp_path):
    gold = {
        "11": {
            "PMID": "11",
            "ArticleTitle": "t",
            "AbstractText": "a",
            "organisms": [{"id": "o1", "label": "Penicillium chrysogenum"}],
            "chemicals": [
                {"id": "c1", "label": "penicillin G"},
                {"id": "c2", "label": "roquefortine C"},
            ],
            "relations": [["o1", "c1"], ["o1", "c2"]],
        }
    }
    (tmp_path / "gold.json").write_text(json.dumps(gold))
    (tmp_path / "pred.jsonl").write_text(
        json.dumps(
            {
                "PMID": "11",
                "relations": [{"organism": "penicillium chrysogenum", "chemical": "Penicillin G"}],
                "malformed": 2,
            }
        )
        + "\n"
    )
    result = CliRunner().invoke(
        app,
        [
            "score",
            "--gold",
            str(tmp_path / "gold.json"),
            "--pred",
            str(tmp_path / "pred.jsonl"),
            "--out",
            str(tmp_path / "s.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    scores = json.loads((tmp_path / "s.json").read_text())
    assert (scores["precision"], scores["recall"]) == (1.0, 0.5)
    assert scores["malformed_pieces"] == 2
    assert scores["f1"] == pytest.approx(2 / 3)


def test_score_command_names_a_broken_prediction_line(tmp_path):
    (tmp_path / "gold.json").write_text(json.dumps({"1": {"PMID": "1", "relations": []}}))
    (tmp_path / "pred.jsonl").write_text('{"PMID": "1", "relations": []}\n{"PMID": "2", "relat\n')
    result = CliRunner().invoke(
        app,
        ["score", "--gold", str(tmp_path / "gold.json"), "--pred", str(tmp_path / "pred.jsonl")],
    )
    assert result.exit_code == 1
    assert "pred.jsonl:2: not a prediction record" in result.output


def _direct_normalise(name: str) -> str:
    """docs/architecture.md's rule read literally: lowercase, periods out, words "an"/"the" out,
    whitespace out (written independently of npre.scoring.metric)."""
    words = name.lower().replace(".", " ").split()
    return "".join(w for w in words if w not in ("an", "the"))


def _direct_scores(gold_docs: list[dict], predictions: list[dict]) -> tuple[float, float, float]:
    predicted: dict[str, set] = {}
    for row in predictions:
        pairs = predicted.setdefault(str(row["PMID"]), set())
        for r in row["relations"]:
            pairs.add((_direct_normalise(r["organism"]), _direct_normalise(r["chemical"])))
    tp = n_pred = n_gold = 0
    for doc in gold_docs:
        names = {e["id"]: e["label"] for e in doc["organisms"] + doc["chemicals"]}
        gold = {
            (_direct_normalise(names[o]), _direct_normalise(names[c])) for o, c in doc["relations"]
        }
        mine = predicted.get(doc["PMID"], set())
        tp, n_pred, n_gold = tp + len(gold & mine), n_pred + len(mine), n_gold + len(gold)
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _variant(name: str, rng) -> str:
    """The same name as a model might write it: case, periods, articles, spaces."""
    choice = rng.randrange(6)
    if choice == 0:
        return name.upper()
    if choice == 1:
        return f"the {name}"
    if choice == 2:
        return "  " + name.replace(" ", "   ") + ". "
    if choice == 3:
        return f"an {name.lower()}"
    return name


@pytest.mark.parametrize("seed", range(6))
def test_score_command_equals_a_direct_reading_of_the_metric(tmp_path, seed):
    import random

    rng = random.Random(seed)
    organisms = ["Artemisia annua", "A. annua", "Taxus brevifolia", "Coptis chinensis"]
    chemicals = ["artemisinin", "the alkaloid X", "Theobromine", "berberine", "Anthrone", "10-DAB"]
    gold_docs, predictions = [], []
    for index in range(12):
        pmid = str(1000 + index)
        orgs = rng.sample(organisms, rng.randint(1, 2))
        chems = rng.sample(chemicals, rng.randint(0, 3))  # some docs have no relation
        relations = [[f"o{i}", f"c{j}"] for i in range(len(orgs)) for j in range(len(chems))]
        relations = rng.sample(relations, rng.randint(0, len(relations)))
        gold_docs.append(
            {
                "PMID": pmid,
                "ArticleTitle": "t",
                "AbstractText": "a",
                "organisms": [{"id": f"o{i}", "label": o} for i, o in enumerate(orgs)],
                "chemicals": [{"id": f"c{j}", "label": c} for j, c in enumerate(chems)],
                "relations": relations,
            }
        )
        if rng.random() < 0.2:
            continue  # no prediction at all for this document
        rows = []
        for _ in range(rng.randint(0, 4)):  # duplicates and wrong pairs included
            rows.append(
                {
                    "organism": _variant(rng.choice(organisms), rng),
                    "chemical": _variant(rng.choice(chemicals), rng),
                }
            )
        predictions.append({"PMID": pmid, "relations": rows})
    # the curated format both as a dict keyed by PMID and as a list
    gold = {d["PMID"]: d for d in gold_docs} if seed % 2 else gold_docs
    (tmp_path / "gold.json").write_text(json.dumps(gold))
    (tmp_path / "pred.jsonl").write_text("".join(json.dumps(r) + "\n" for r in predictions))
    result = CliRunner().invoke(
        app,
        ["score", "--gold", str(tmp_path / "gold.json"), "--pred", str(tmp_path / "pred.jsonl")],
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output.strip().splitlines()[-1])
    for row in predictions:  # each written form normalises as the direct reading says
        for r in row["relations"]:
            assert normalise(r["chemical"]) == _direct_normalise(r["chemical"])
            assert normalise(r["organism"]) == _direct_normalise(r["organism"])
    expected = _direct_scores(gold_docs, predictions)
    assert (printed["precision"], printed["recall"], printed["f1"]) == pytest.approx(expected)
