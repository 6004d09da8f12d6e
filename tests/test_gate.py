"""The label-alignment gate (a custom GX expectation in the committed checkpoint) and the
synthetic-set metrics, on small hand-made documents with known answers."""

import json
import shutil

import pytest
from typer.testing import CliRunner

from npre.cli import app
from npre.config.params import ValidateParams
from npre.data.records import Chemical, Document, Entity, write_documents
from npre.gate.checkpoint import ALIGNMENT, run_gate, summary
from npre.gate.text_stats import entity_diversity, lexical_diversity

FILLER = " Their structures were elucidated by extensive NMR spectroscopy and HRESIMS data." * 3


def doc(pmid: str, text: str, pairs: list[tuple[str, str]]) -> Document:
    orgs = {o: f"o{i}" for i, o in enumerate(dict.fromkeys(o for o, _ in pairs))}
    chems = {c: f"c{i}" for i, c in enumerate(dict.fromkeys(c for _, c in pairs))}
    return Document(
        PMID=pmid,
        ArticleTitle="Metabolites",
        AbstractText=text + FILLER,
        organisms=[Entity(id=i, label=o) for o, i in orgs.items()],
        chemicals=[Chemical(id=i, label=c) for c, i in chems.items()],
        relations=[(orgs[o], chems[c]) for o, c in pairs],
    )


DOCS = [
    doc("full", "Artemisia annua yielded artemisinin.", [("Artemisia annua", "artemisinin")]),
    doc("abbrev", "A. annua yielded ARTEMISININ.", [("Artemisia annua", "artemisinin")]),
    doc(
        "series",
        "Erylosides G–J were isolated from Erylus nobilis.",
        [("Erylus nobilis", f"Eryloside {s}") for s in "GHIJ"],
    ),
    doc(
        "half",  # planted: one of its two relations is not stated
        "Taxus brevifolia produces paclitaxel.",
        [("Taxus brevifolia", "paclitaxel"), ("Taxus brevifolia", "baccatin III")],
    ),
    doc(
        "no-organism",  # planted: the organism is missing (genus alone is not enough)
        "Taxus yielded paclitaxel.",
        [("Taxus brevifolia", "paclitaxel")],
    ),
]


@pytest.fixture
def gx_root(root, tmp_path):
    """A copy of the committed GX project: the suite, definition and checkpoint as committed."""
    shutil.copytree(root / "expectations", tmp_path / "expectations")
    return tmp_path / "expectations"


def test_committed_suite_holds_the_custom_expectation_with_a_suite_parameter(root):
    suite = json.loads((root / "expectations/gx/expectations/synthetic_docs.json").read_text())
    custom = [e for e in suite["expectations"] if e["type"] == ALIGNMENT.split("(")[0]]
    assert custom and custom[0]["kwargs"]["min_alignment"] == {"$PARAMETER": "min_alignment"}


def test_custom_expectation_flags_exactly_the_planted_rows(gx_root):
    result = run_gate(DOCS, ValidateParams(min_chars=10), gx_root)
    reasons = {d.PMID: d.failed_expectations for d in result.quarantined}
    assert reasons == {"half": [ALIGNMENT], "no-organism": [ALIGNMENT]}
    assert [d.PMID for d in result.passed] == ["full", "abbrev", "series"]
    assert result.failures_by_expectation[ALIGNMENT] == 2


def test_threshold_is_the_suite_parameter(gx_root):
    result = run_gate(DOCS, ValidateParams(min_chars=10, min_alignment=0.5), gx_root)
    assert [d.PMID for d in result.quarantined] == ["no-organism"]  # "half" scores 0.5


def test_the_checkpoint_renders_the_expectation_in_data_docs(gx_root):
    run_gate(DOCS, ValidateParams(min_chars=10), gx_root)
    site = gx_root / "gx/uncommitted/data_docs/local_site"
    suite_page = (site / "expectations/synthetic_docs.html").read_text()
    assert "G. species" in suite_page and "labelled_text" in suite_page
    runs = sorted((site / "validations/synthetic_docs").rglob("*.html"))
    assert runs and "G. species" in runs[-1].read_text()


def test_validate_cli_metrics_and_min_pass_rate(gx_root, tmp_path):
    write_documents(tmp_path / "in.jsonl", DOCS)
    seeds = [doc("seed", "Artemisia annua yielded artemisinin.", [("Artemisia annua", "x")])]
    write_documents(tmp_path / "seeds.jsonl", seeds)
    (tmp_path / "params.yaml").write_text("validate:\n  min_chars: 10\n  min_pass_rate: 0.5\n")
    args = ["validate", str(tmp_path / "in.jsonl"), "--gx-root", str(gx_root)]
    args += ["--passed", str(tmp_path / "ok.jsonl"), "--quarantine", str(tmp_path / "q.jsonl")]
    args += ["--metrics", str(tmp_path / "m.json"), "--params", str(tmp_path / "params.yaml")]
    args += ["--seeds", str(tmp_path / "seeds.jsonl"), "--docs", str(tmp_path / "docs")]
    args += ["--summary", str(tmp_path / "gate.md")]
    results = gx_root / "gx/uncommitted/validations"
    kept_before = sorted(results.rglob("*")) if results.exists() else []
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["pass_rate"] == 0.6 and metrics["alignment"]["pass_rate"] == 0.6
    assert metrics["alignment"]["mean_score"] == 0.7  # (1 + 1 + 1 + 0.5 + 0) / 5
    assert metrics["failures_by_expectation"][ALIGNMENT] == 2
    assert metrics["entities"]["distinct_organisms"] == 2  # A. annua, E. nobilis (passed)
    assert 0 < metrics["lexical"]["novel_1"] < 1
    assert (tmp_path / "docs/index.html").exists()
    quarantined = [json.loads(line) for line in (tmp_path / "q.jsonl").read_text().splitlines()]
    passed = (tmp_path / "ok.jsonl").read_text().splitlines()
    assert len(quarantined) + len(passed) == len(DOCS)
    assert all(q["failed_expectations"] == [ALIGNMENT] for q in quarantined)

    # the offline summary: pass rate, failures per expectation, quarantined examples
    page = (tmp_path / "gate.md").read_text()
    assert "**3 of 5 documents passed** (pass rate 60.0%); 2 quarantined." in page
    assert f"| `{ALIGNMENT}` | 2 |" in page
    assert "- **half** failed" in page and "Taxus brevifolia → baccatin III" in page

    (tmp_path / "params.yaml").write_text("validate:\n  min_chars: 10\n  min_pass_rate: 0.7\n")
    failed = CliRunner().invoke(app, args)
    assert failed.exit_code == 1 and "validate.min_pass_rate" in failed.output
    # each run's Data Docs hold that run alone; the committed project keeps no results
    pages = list((tmp_path / "docs/validations/synthetic_docs").rglob("*.html"))
    assert len(pages) == 1, pages
    assert (sorted(results.rglob("*")) if results.exists() else []) == kept_before


def test_lexical_diversity_known_answers():
    # tokens: "a b a b" -> unigrams {a, b} of 4; bigrams {ab, ba} of 3; trigrams {aba, bab} of 2
    report = lexical_diversity(["A b, a b."], seed_texts=["b c"])
    assert report["distinct_1"] == 0.5 and report["ngrams_1"] == 2
    assert report["distinct_2"] == round(2 / 3, 4) and report["distinct_3"] == 1.0
    assert report["novel_1"] == 0.5  # "a" is new, "b" is in the seed
    assert report["novel_2"] == 1.0 and report["seed_distinct_1"] == 1.0
    # n-grams never span two documents
    assert lexical_diversity(["x y", "z"])["ngrams_2"] == 1
    assert "novel_1" not in lexical_diversity(["x"])


def test_entity_diversity_counts_lowercased_names_and_classes():
    a = doc("a", "t", [("Artemisia annua", "Artemisinin"), ("Taxus brevifolia", "taxol")])
    b = doc("b", "t", [("artemisia annua", "artemisinin")])
    b.chemicals.append(Chemical(id="k", label="Flavonoids", type="class"))
    b.relations.append(("o0", "k"))
    assert entity_diversity([a, b]) == {
        "distinct_organisms": 2,
        "distinct_chemicals": 2,
        "distinct_classes": 1,
        "distinct_relations": 3,
    }


def test_summary_without_seeds_has_no_novelty(gx_root):
    result = run_gate(DOCS[:1], ValidateParams(min_chars=10), gx_root)
    report = summary(result)
    assert report["pass_rate"] == 1.0 and "novel_1" not in report["lexical"]
