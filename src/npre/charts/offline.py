"""DVC plots as PNG files and one self-contained HTML page: vl-convert, no network.

`dvc plots show` writes HTML that loads Vega from a CDN, so it is blank offline. Here every
Vega-Lite spec becomes a PNG (vl-convert renders it in-process with its own copies of Vega
and Vega-Lite) and the page inlines vl-convert's JavaScript bundle of Vega-Embed, Vega-Lite
and Vega once, with every spec and its data: the page opens from disk on a machine with no
network, interactive as DVC's own (tooltips, zoom, the smoothing slider).
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

from npre.charts.dvc_plots import Plot, Plots

PAGE = "index.html"
SCHEMA_VERSION = re.compile(r"/vega-lite/v(\d+)(?:\.(\d+))?")


def file_stem(name: str) -> str:
    """A file name for a plot id: `reports/train/a-b.json` -> `train-a-b` (the folder
    reports/ is implied: the files go to reports/plots/), `Chemical entropy` ->
    `chemical-entropy`."""
    path = Path(name)
    if path.suffix and len(path.suffix) <= 5:  # a plot named by its file
        name = str(path.with_suffix(""))
    name = re.sub(r"^reports/", "", name)
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "plot"


def unique_stems(plots: list[Plot]) -> list[str]:
    """One file stem per plot; a plot shown for several revisions (image plots are one
    entry per revision) or two ids with the same stem get -2, -3..."""
    stems, seen = [], {}
    for plot in plots:
        stem = file_stem(plot.name)
        seen[stem] = seen.get(stem, 0) + 1
        stems.append(stem if seen[stem] == 1 else f"{stem}-{seen[stem]}")
    return stems


def vegalite_version(spec: dict) -> str | None:
    """The newest Vega-Lite that vl-convert has within the major version of the spec's
    `$schema` (DVC's templates say v5); None: vl-convert's default."""
    import vl_convert

    found = SCHEMA_VERSION.search(str(spec.get("$schema", "")))
    if not found:
        return None
    available = vl_convert.get_vegalite_versions()
    same_major = [v for v in available if v.split(".")[0] == found.group(1)]
    return (
        max(same_major, key=lambda v: tuple(int(x) for x in v.split("."))) if same_major else None
    )


def to_png(spec: dict, scale: float = 2.0) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(spec, vl_version=vegalite_version(spec), scale=scale)


def _image_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data.lstrip().startswith((b"<svg", b"<?xml")):
        return "image/svg+xml"
    return "image/png"


def _image_suffix(data: bytes) -> str:
    return {"image/jpeg": ".jpg", "image/svg+xml": ".svg"}.get(_image_type(data), ".png")


def _script_json(value) -> str:
    """JSON that is safe inside a <script> element (no `</` to close it early)."""
    return json.dumps(value).replace("</", "<\\/")


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222; }
section { margin: 2rem 0; border-top: 1px solid #ddd; padding-top: 1rem; }
h2 { font-size: 1.1rem; } .meta { color: #666; font-size: 0.9rem; }
.errors { color: #a00; } img { max-width: 100%; }
"""


def page(plots: list[Plot], stems: list[str], errors: list[str], bundle: str) -> str:
    """The HTML page: every plot in order, Vega-Lite ones drawn by the inlined `bundle`."""
    sections, specs = [], {}
    for index, (plot, stem) in enumerate(zip(plots, stems, strict=True)):
        revisions = ", ".join(plot.revisions) or "workspace"
        if plot.spec is not None:
            specs[f"plot-{index}"] = plot.spec
            body = f'<div id="plot-{index}"></div>'
            link = f'<a href="{stem}.png">{stem}.png</a>'
        else:
            image = plot.image or b""
            data = f"data:{_image_type(image)};base64,{base64.b64encode(image).decode()}"
            body = f'<img alt="{html.escape(plot.name)}" src="{data}">'
            link = f'<a href="{stem}{_image_suffix(image)}">file</a>'
        meta = f"revisions: {html.escape(revisions)} &middot; {link}"
        sections.append(
            f'<section><h2>{html.escape(plot.name)}</h2><p class="meta">{meta}</p>{body}</section>'
        )
    problems = "".join(f"<li>{html.escape(e)}</li>" for e in errors)
    error_list = (
        f'<div class="errors"><p>DVC could not load:</p><ul>{problems}</ul></div>' if errors else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>npre: pipeline plots</title>
<style>{STYLE}</style>
<script>{bundle}</script>
</head><body>
<h1>npre: pipeline plots</h1>
<p class="meta">Every plot that dvc.yaml defines, with the data <code>dvc plots show --json</code>
gives; drawn here without network access. Rebuild with <code>make plots</code>.</p>
{error_list}
{"".join(sections)}
<script type="application/json" id="specs">{_script_json(specs)}</script>
<script>
const specs = JSON.parse(document.getElementById("specs").textContent);
const options = {{actions: {{export: true, source: false, compiled: false, editor: false}}}};
for (const [id, spec] of Object.entries(specs)) {{
  vegaEmbed("#" + id, spec, options).catch(
    (error) => {{ document.getElementById(id).textContent = "cannot draw: " + error; }});
}}
</script>
</body></html>
"""


def render(plots: Plots, out_dir: Path, scale: float = 2.0) -> list[Path]:
    """Each plot as `out_dir/STEM.png` (an image plot: its own file), then the page
    `out_dir/index.html`; returns the files written, the page last."""
    import vl_convert

    out_dir.mkdir(parents=True, exist_ok=True)
    stems = unique_stems(plots.plots)
    written = []
    for plot, stem in zip(plots.plots, stems, strict=True):
        if plot.spec is not None:
            path = out_dir / f"{stem}.png"
            path.write_bytes(to_png(plot.spec, scale))
        else:
            path = out_dir / f"{stem}{_image_suffix(plot.image or b'')}"
            path.write_bytes(plot.image or b"")
        written.append(path)
    first_spec = next((p.spec for p in plots.plots if p.spec is not None), {})
    bundle = vl_convert.javascript_bundle(vl_version=vegalite_version(first_spec))
    index = out_dir / PAGE
    # the bundle goes inside <script>: nothing in it may close the element early
    bundle = re.sub(r"</(script)", r"<\\/\1", bundle, flags=re.IGNORECASE)
    index.write_text(page(plots.plots, stems, plots.errors, bundle))
    written.append(index)
    return written
