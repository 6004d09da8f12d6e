"""The CI data-quality gate: checkpoints on the LOTUS table and the evaluation set."""

import json
import shutil

from typer.testing import CliRunner

from npre.cli import app


def test_committed_demo_data_passes(root, tmp_path):
    shutil.copytree(root / "expectations", tmp_path / "expectations")
    args = ["check-data", "--gx-root", str(tmp_path / "expectations")]
    args += [
        "--lotus",
        str(root / "data/demo/lotus_demo.tsv"),
        "--eval",
        str(root / "data/demo/eval_set.json"),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "lotus_relations: passed" in result.output and "evaluation_set: passed" in result.output


def test_a_gold_relation_the_text_does_not_state_fails_the_gate(root, tmp_path):
    gold = json.loads((root / "data/demo/eval_set.json").read_text())
    pmid = next(iter(gold))
    gold[pmid]["chemicals"][0]["label"] = "unobtainium"
    gold[pmid]["relations"].append(["nobody", gold[pmid]["chemicals"][0]["id"]])
    (tmp_path / "eval.json").write_text(json.dumps(gold))
    shutil.copytree(root / "expectations", tmp_path / "expectations")
    args = [
        "check-data",
        "--gx-root",
        str(tmp_path / "expectations"),
        "--eval",
        str(tmp_path / "eval.json"),
    ]
    args += [
        "--lotus",
        str(root / "data/demo/lotus_demo.tsv"),
        "--report",
        str(tmp_path / "r.json"),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    report = json.loads((tmp_path / "r.json").read_text())["evaluation_set"]
    assert report["success"] is False
    assert report["failing_rows"][pmid] == [
        "expect_column_values_to_be_in_set(unresolved_ids)",
        "expect_column_values_to_have_aligned_labels(labelled_text)",
    ]
