"""Reading tables (TSV, CSV, gzipped, Parquet) with errors that name file, line and column."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd


class TableError(ValueError):
    """A table is unreadable, malformed or lacks a required column."""


def read_table(path: Path, required: list[str] | None = None) -> pd.DataFrame:
    """Read a table as strings (missing values as empty strings).

    Format from the suffix: .parquet, .csv(.gz) or anything else as TSV.
    """
    path = Path(path)
    if not path.exists():
        raise TableError(f"{path}: file not found")
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".parquet":
        frame = pd.read_parquet(path).astype("string").fillna("")
    else:
        sep = "," if ".csv" in suffixes else "\t"
        _check_row_widths(path, sep)
        frame = pd.read_csv(
            path, sep=sep, dtype=str, keep_default_na=False, quoting=csv.QUOTE_MINIMAL
        )
    missing = [c for c in (required or []) if c not in frame.columns]
    if missing:
        raise TableError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(frame.columns)}"
        )
    return frame


def _check_row_widths(path: Path, sep: str) -> None:
    """Stop at the first row whose field count differs from the header's."""
    opener = _open_text(path)
    with opener as handle:
        reader = csv.reader(handle, delimiter=sep)
        try:
            header = next(reader)
        except StopIteration:
            raise TableError(f"{path}: empty file, expected a header row") from None
        for row in reader:
            if row and len(row) != len(header):
                column = header[len(row)] if len(row) < len(header) else f"#{len(row)}"
                raise TableError(
                    f"{path}: line {reader.line_num}: expected {len(header)} fields, "
                    f"got {len(row)} (first bad column: {column})"
                )


def _open_text(path: Path):
    if path.suffix.lower() == ".gz":
        import gzip

        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")
