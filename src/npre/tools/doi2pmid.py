"""`npre doi2pmid`: a DOI -> PMID table for LOTUS files that lack PubMed ids."""

from __future__ import annotations

from pathlib import Path

import typer

from npre.command_helpers import StageTimer, fail


def command(
    table: Path = typer.Argument(..., help="LOTUS table with a reference_doi column"),
    out: Path = typer.Option(
        ..., help="DOI -> PMID table (TSV: doi, pmid); extended, never refetched"
    ),
    eutils_url: str = typer.Option(
        "https://eutils.ncbi.nlm.nih.gov/entrez/eutils", help="E-utilities URL"
    ),
) -> None:
    """Map the table's DOIs to PubMed ids with NCBI E-utilities (key from NCBI_API_KEY)."""
    from npre.clients.pubmed import EutilsClient, PubMedError, map_dois
    from npre.data.tables import TableError, iter_table_chunks

    with StageTimer("doi2pmid"):
        try:
            chunks = iter_table_chunks(table, ["reference_doi"], ["reference_doi"], 500_000)
            dois = {doi for chunk in chunks for doi in chunk["reference_doi"]}
        except TableError as exc:
            fail(str(exc))
        cache = out.with_name(out.name + ".cache")
        client = EutilsClient(eutils_url)
        try:
            mapping = map_dois(sorted(dois), cache, client)
        except PubMedError as exc:
            fail(f"{exc} (mapped batches are kept in {cache}; rerun to resume)")
        finally:
            client.close()
        rows = sorted((d, mapping.get(d.strip().lower(), "")) for d in dois if d.strip())
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("doi\tpmid\n" + "".join(f"{d.strip().lower()}\t{p}\n" for d, p in rows))
        typer.echo(f"{sum(1 for _, p in rows if p)} of {len(rows)} DOIs have a PMID")
