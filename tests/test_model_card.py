"""The registry's model card of a version: its figures, the grid beside it, its lineage."""

from npre.mlops.model_card import MODEL_DESCRIPTION, version_description

TABLE = {
    "gme-seeds-lora": {"precision": 0.842, "recall": 0.713, "f1": 0.772},
    "gme-selected-lora": {"precision": 0.757, "recall": 0.775, "f1": 0.766},
}
BASE = {"family": "Gemma 3", "parameters": 268098176, "source": "package:x", "sha256": "ab12"}


def test_a_version_card_holds_its_scores_the_grid_and_its_lineage():
    card = version_description(
        "gme-seeds-lora",
        TABLE["gme-seeds-lora"],
        TABLE,
        BASE,
        {"data/processed/gme/seeds.jsonl": "md5-seeds", "models/base": "md5-base.dir"},
        "run123",
        "c0ffee",
        "relations.parquet@sha256:0123456789ab",
    )
    assert "Grid variant **gme-seeds-lora**: F1 0.772 (P 0.842," in card
    assert "| gme-seeds-lora (this) | 0.842 | 0.713 | 0.772 |" in card
    assert "| gme-selected-lora | 0.757 | 0.775 | 0.766 |" in card
    assert "Gemma 3 (268,098,176 parameters) from `package:x`" in card
    for needle in ("`ab12`", "`run123`", "`c0ffee`", "`md5-seeds`", "`md5-base.dir`"):
        assert needle in card
    assert "relations.parquet@sha256:0123456789ab" in card


def test_a_card_without_dvc_lock_or_lotus_says_so():
    card = version_description(
        "v", TABLE["gme-seeds-lora"], {"v": TABLE["gme-seeds-lora"]}, {}, {}, "r", None, None
    )
    assert "(no dvc.lock)" in card and "none packed" in card and "`unknown`" in card
    assert "Intended use" in MODEL_DESCRIPTION and "Limits" in MODEL_DESCRIPTION
