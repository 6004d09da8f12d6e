"""The gate's result as a page that reads offline: Markdown, no scripts, no CDN.

Great Expectations' Data Docs load their styles and scripts from a CDN; without network
the page is unstyled and its result lists stay empty. This summary says the same things
as plain text: pass rate, documents failing each expectation, and a few quarantined
documents with what they failed.
"""

from __future__ import annotations

from npre.data.records import Document

EXCERPT_CHARS = 240


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    text = text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS].rstrip() + " …"
    return text.replace("|", "\\|")


def gate_markdown(report: dict, quarantined: list[Document], title: str, examples: int = 5) -> str:
    """`report` is `gate.summary(...)`; `quarantined` the documents the gate held back."""
    lines = [
        f"# {title}",
        "",
        f"**{report['passed']} of {report['documents']} documents passed** "
        f"(pass rate {report['pass_rate']:.1%}); {report['quarantined']} quarantined.",
        "",
        "| expectation | documents failing |",
        "| --- | --- |",
        *(f"| `{name}` | {count} |" for name, count in report["failures_by_expectation"].items()),
    ]
    if quarantined:
        shown = quarantined[:examples]
        lines += ["", f"## Quarantined ({len(shown)} of {len(quarantined)})", ""]
        for doc in shown:
            failed = ", ".join(f"`{name}`" for name in doc.failed_expectations or [])
            lines += [
                f"- **{doc.PMID}** failed {failed}",
                f"  - title: {_excerpt(doc.ArticleTitle) or '(none)'}",
                f"  - abstract: {_excerpt(doc.AbstractText) or '(empty)'}",
                f"  - labels: {_excerpt('; '.join(f'{o} → {c}' for o, c in doc.label_pairs()))}",
            ]
    return "\n".join(lines) + "\n"
