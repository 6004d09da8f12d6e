"""Model cards: the registry page's description of the extractor and of each version.

The registered model says what the extractor does, for what and within which limits; each
version says where it came from (grid variant, base model, data hashes from dvc.lock, git
commit, MLflow run) and how it scored against the rest of the grid. Markdown, as the
MLflow UI renders it.
"""

from __future__ import annotations

MODEL_DESCRIPTION = """\
**npre extractor**: finds the *organism produces chemical* relations that a biomedical
title and abstract state, to complete natural-products databases such as LOTUS.

- **Input**: a title and an abstract (pyfunc: a DataFrame with `title`, `abstract`).
- **Output**: per document, relations `{organism, chemical}`; with the packed LOTUS table,
  whether LOTUS already holds each one (`status`: known | new) and the Wikidata ids it has.
- **How**: a pretrained causal LM with a LoRA adapter, fine-tuned by the npre DVC pipeline;
  greedy decoding constrained to copy names from the text (no invented names).

**Intended use**: proposing candidate relations for a curator, in bulk (`npre extract`)
or through the API (`serving/`). **Limits**: it finds a name only as the text writes it
(no synonyms, no structures drawn in figures); abstracts in English; trained on a small
corpus, so recall on real abstracts is far below precision (see each version's figures
and the project's `benchmarks/bench_real_text.py`); every answer needs a curator's check
before it enters a database.
"""


def version_description(
    variant: str,
    scores: dict,
    table: dict[str, dict],
    base: dict,
    hashes: dict[str, str],
    run_id: str,
    commit: str | None,
    lotus_snapshot: str | None,
) -> str:
    """One registered version: its lineage (`hashes`: dvc.lock md5 per input path) and
    its evaluation next to the grid's."""
    rows = "\n".join(
        f"| {name}{' (this)' if name == variant else ''} | {row['precision']:.3f} "
        f"| {row['recall']:.3f} | {row['f1']:.3f} |"
        for name, row in table.items()
    )
    model = f"{base.get('family', '?')} ({base.get('parameters', 0):,} parameters)"
    model += f" from `{base.get('source', '?')}`"
    files = "\n".join(f"| `{path}` | `{md5}` |" for path, md5 in sorted(hashes.items()))
    return f"""\
Grid variant **{variant}**: F1 {scores["f1"]:.3f} (P {scores["precision"]:.3f},
R {scores["recall"]:.3f}) on the evaluation set, the paper's metric.

| variant | precision | recall | F1 |
| --- | --- | --- | --- |
{rows}

**Lineage**

| | |
| --- | --- |
| base model | {model} |
| base sha256 | `{base.get("sha256") or "n/a"}` |
| MLflow run | `{run_id}` |
| git commit | `{commit or "unknown"}` |
| LOTUS snapshot | `{lotus_snapshot or "none packed"}` |

| input (dvc.lock md5) | |
| --- | --- |
{files or "| (no dvc.lock) | |"}
"""
