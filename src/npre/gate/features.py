"""Per-document columns the expectations check (one row per document)."""

from __future__ import annotations

import pandas as pd

from npre.data.records import Document
from npre.gate.expectations import labelled_text


def document_frame(docs: list[Document]) -> pd.DataFrame:
    """A table with one row per document and the columns the suite expects."""
    texts = [doc.text for doc in docs]
    frame = pd.DataFrame(
        {
            "doc_id": [doc.PMID for doc in docs],
            "abstract": [doc.AbstractText for doc in docs],
            # the custom alignment expectation computes the paper's score from this itself
            "labelled_text": [labelled_text(doc) for doc in docs],
            "n_relations": [len(doc.relations) for doc in docs],
            "empty_labels": [
                sum(not e.label.strip() for e in [*doc.organisms, *doc.chemicals]) for doc in docs
            ],
            "is_duplicate": pd.Series([t.strip().lower() for t in texts]).duplicated(keep="first"),
        }
    )
    return frame
