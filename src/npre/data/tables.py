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
    _require(path, required or [], list(frame.columns))
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


def iter_table_chunks(path: Path, required: list[str], wanted: list[str], chunk_rows: int):
    """Chunks of a table (strings, missing as empty), only the `wanted` columns it has."""
    path = Path(path)
    if not path.exists():
        raise TableError(f"{path}: file not found")
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".parquet":
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)
        columns = [c for c in wanted if c in parquet.schema_arrow.names]
        _require(path, required, parquet.schema_arrow.names)
        for batch in parquet.iter_batches(batch_size=chunk_rows, columns=columns):
            yield batch.to_pandas().astype("string").fillna("").astype(object)
        return
    sep = "," if ".csv" in suffixes else "\t"
    _check_row_widths(path, sep)  # a streaming pass: malformed rows named before any work
    with _open_text(path) as handle:
        header = next(csv.reader(handle, delimiter=sep))
    _require(path, required, header)
    reader = pd.read_csv(
        path,
        sep=sep,
        dtype=str,
        keep_default_na=False,
        usecols=[c for c in wanted if c in header],
        chunksize=chunk_rows,
        compression="infer",
    )
    with reader:
        yield from reader


def _require(path: Path, required: list[str], found: list[str]) -> None:
    missing = [c for c in required if c not in found]
    if missing:
        raise TableError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(found)}"
        )
