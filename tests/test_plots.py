"""`npre plots`: a real DVC project's plots as PNGs and one HTML page that needs no network;
in headless Chromium (when installed) the page draws every chart with the network cut."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from npre.charts.offline import file_stem, unique_stems, vegalite_version
from npre.cli import app

PNG = b"\x89PNG\r\n\x1a\n"
DVC_YAML = """\
plots:
  - Entropy vs references:
      template: linear
      x: n
      y:
        curves/gme.csv: entropy
        curves/random.csv: entropy
  - curves/loss.json:
      x: epoch
      y: [train_loss, valid_loss]
  - pictures/confusion.png
  - Not produced yet:
      x: n
      y:
        curves/missing.csv: entropy
"""


def _git(project, *args: str) -> None:
    subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A git + DVC project with two line plots, an image plot and one whose file is missing."""
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "config", "user.email", "plots@example.org")
    _git(tmp_path, "config", "user.name", "plots")
    subprocess.run(
        [sys.executable, "-m", "dvc", "init", "-q"], cwd=tmp_path, check=True, capture_output=True
    )
    (tmp_path / "dvc.yaml").write_text(DVC_YAML)
    curves = tmp_path / "curves"
    curves.mkdir()
    for name, step in (("gme", 0.5), ("random", 0.3)):
        rows = "\n".join(f"{n},{1 + step * n**0.5:.4f}" for n in range(1, 11))
        (curves / f"{name}.csv").write_text(f"n,entropy\n{rows}\n")
    history = [{"epoch": e, "train_loss": 1 / e, "valid_loss": 1.2 / e} for e in (1, 2, 3)]
    (curves / "loss.json").write_text(json.dumps(history))
    (tmp_path / "pictures").mkdir()
    shutil.copy(_tiny_png(tmp_path), tmp_path / "pictures/confusion.png")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    return tmp_path


def _tiny_png(tmp_path):
    import vl_convert

    spec = {"data": {"values": [{"a": 1}]}, "mark": "point", "encoding": {"x": {"field": "a"}}}
    path = tmp_path / "tiny.png"
    path.write_bytes(vl_convert.vegalite_to_png(spec))
    return path


def test_every_plot_becomes_a_png_and_the_page_needs_no_network(project):
    result = CliRunner().invoke(app, ["plots", "--out", "out"])
    assert result.exit_code == 0, result.output
    out = project / "out"
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "curves-loss.png",
        "entropy-vs-references.png",
        "index.html",
        "pictures-confusion.png",  # an image plot, copied as it is
    ]
    for name in {*names} - {"index.html"}:
        assert (out / name).read_bytes().startswith(PNG), name
    assert "Not produced yet" in result.output and "missing.csv" in result.output  # warned
    page = (out / "index.html").read_text()
    # nothing on the page loads from elsewhere: no external script, style, image or frame
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<script src" not in page and "@import" not in page
    assert "vegaEmbed" in page and page.count("<section>") == 3
    assert "Not produced yet" in page  # the page names what DVC could not load
    specs = json.loads(re.search(r'id="specs">(.*?)</script>', page, re.S).group(1))
    values = [row for spec in specs.values() for row in spec["data"]["values"]]
    assert {row.get("filename") for row in values} >= {"gme.csv", "random.csv"}  # data inline


def test_rev_compares_a_revision_with_the_workspace(project):
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "curves")
    (project / "curves/loss.json").write_text(json.dumps([{"epoch": 1, "train_loss": 0.1}]))
    result = CliRunner().invoke(app, ["plots", "curves/loss.json", "--rev", "HEAD", "--out", "o"])
    assert result.exit_code == 0, result.output
    page = (project / "o/index.html").read_text()
    assert re.search(r"revisions: (HEAD, workspace|workspace, HEAD)", page), page[-3000:]
    assert sorted(p.name for p in (project / "o").iterdir()) == ["curves-loss.png", "index.html"]


def test_a_broken_dvc_yaml_fails_with_dvcs_reason(project):
    (project / "dvc.yaml").write_text("plots: [\n")
    result = CliRunner().invoke(app, ["plots", "--out", "o"])
    assert result.exit_code == 1
    assert "YAMLSyntaxError" in result.output and "dvc.yaml" in result.output
    assert not (project / "o").exists()


def test_outside_a_dvc_project_it_says_there_is_nothing_to_draw(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["plots", "--out", "o"])
    assert result.exit_code == 1 and "no plot to draw" in result.output
    assert not (tmp_path / "o").exists()


def test_file_names_and_vega_lite_versions():
    assert file_stem("reports/train/gme-selected-lora.json") == "train-gme-selected-lora"
    assert file_stem("Chemical entropy vs references per kingdom") == (
        "chemical-entropy-vs-references-per-kingdom"
    )
    assert file_stem("Precision/recall (evaluation set)") == "precision-recall-evaluation-set"
    from npre.charts.dvc_plots import Plot

    same = [Plot("a.png", ["HEAD"]), Plot("a.png", ["workspace"]), Plot("b", [])]
    assert unique_stems(same) == ["a", "a-2", "b"]
    schema = "https://vega.github.io/schema/vega-lite/v5.json"
    assert vegalite_version({"$schema": schema}).startswith("5.")
    assert vegalite_version({}) is None


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="needs a chromium binary (apt-get install chromium)")
def test_the_page_draws_every_chart_in_a_browser_without_network(project, tmp_path):
    assert CliRunner().invoke(app, ["plots", "--out", "out"]).exit_code == 0
    no_network = [
        "--proxy-server=127.0.0.1:9",  # nothing listens there: any fetch fails
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ]
    dom = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            *no_network,
            "--virtual-time-budget=10000",
            "--dump-dom",
            (project / "out/index.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    drawn = re.findall(r'<div id="plot-\d+"[^>]*>.*?<svg', dom, re.S)
    assert len(drawn) == 2, dom[-2000:]  # the two Vega-Lite plots, each an SVG
    assert ">cannot draw" not in dom
