"""The paper's metric against a direct, hand-computed reading of its definition."""

import json

import pytest
from typer.testing import CliRunner

from npre.cli import app
from npre.metric import normalise, score


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
