"""`npre download`: LOTUS (or any Zenodo record's files), each file's checksum verified."""

from __future__ import annotations

from pathlib import Path

import typer

from npre.command_helpers import fail


def command(
    out: Path = typer.Option(Path("data/raw"), help="folder for the downloaded files"),
    record: str = typer.Option("7534071", help="Zenodo record (default: the LOTUS v10 snapshot)"),
    pattern: str = typer.Option("*frozen_metadata*", help="file names to fetch (glob)"),
    zenodo_url: str = typer.Option("https://zenodo.org", help="Zenodo base URL"),
) -> None:
    """Download LOTUS (or any Zenodo record's files), verifying each file's checksum."""
    from npre.clients.zenodo import DownloadError, download_record

    try:
        for path in download_record(record, out, pattern, zenodo_url):
            typer.echo(f"{path} (checksum verified)")
    except DownloadError as exc:
        fail(str(exc))
