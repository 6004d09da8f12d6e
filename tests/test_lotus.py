import pandas as pd
import pytest

from npre.config.params import LotusParams
from npre.data.tables import TableError, read_table
from npre.lotus.filters import LOTUS_COLUMNS, REQUIRED_COLUMNS, filter_relations, load_relations


def row(ref, pmid, chem, org, kingdom="Fungi", name=None):
    return {
        "structure_wikidata": chem,
        "structure_inchikey": "",
        "structure_nameTraditional": name or chem,
        "structure_taxonomy_npclassifier_02superclass": "",
        "organism_wikidata": org,
        "organism_name": f"Genus {org}",
        "organism_taxonomy_02kingdom": kingdom,
        "reference_wikidata": ref,
        "reference_doi": f"10.5555/{ref}",
        "reference_pubmed_id": pmid,
    }


def test_filters_report_what_they_remove():
    rows = [
        row("r1", "1", "c1", "o1"),
        row("r1", "1", "c1", "o1"),  # exact duplicate
        row("r2", "", "c2", "o1"),  # no PMID
        row("r3", "3", "c3", "o2", name="x" * 61),  # name too long
        row("r4", "4", "c4", "o3", kingdom=""),
    ]  # no kingdom -> unattributed
    rows += [row("r5", "5", f"k{i}", "o4") for i in range(3)]  # over the limit of 2
    out, report = filter_relations(
        pd.DataFrame(rows, columns=LOTUS_COLUMNS), LotusParams(max_relations_per_reference=2)
    )
    assert report.removed == {
        "no_pubmed_id": 1,
        "bad_chemical_name": 1,
        "no_organism": 0,
        "duplicate_rows": 1,
        "duplicate_relations": 0,
        "reference_over_max_relations": 3,
    }
    assert sorted(out["reference_wikidata"]) == ["r1", "r4"]
    assert out.loc[out.reference_wikidata == "r4", "organism_taxonomy_02kingdom"].item() == (
        "Not attributed (Bacteria and Algae)"
    )
    assert report.output_rows == 2


def test_demo_table_reads_and_filters(root):
    table = read_table(root / "data/demo/lotus_demo.tsv", REQUIRED_COLUMNS)
    out, report = filter_relations(table, LotusParams())
    assert report.output_rows >= 400
    assert report.references >= 100
    assert out["organism_taxonomy_02kingdom"].nunique() == 5


def test_missing_column_is_named(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("structure_wikidata\torganism_name\nQ1\tX y\n")
    with pytest.raises(TableError, match="organism_wikidata"):
        read_table(path, REQUIRED_COLUMNS)


def test_malformed_row_names_line_and_column(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("a\tb\tc\n1\t2\t3\n4\t5\n")
    with pytest.raises(
        TableError, match=r"line 3: expected 3 fields, got 2 \(first bad column: c\)"
    ):
        read_table(path)


def test_chunked_loading_equals_in_memory_filtering(root, tmp_path):
    source = root / "data/demo/lotus_demo.tsv"
    expected, expected_report = filter_relations(
        read_table(source, REQUIRED_COLUMNS), LotusParams()
    )
    table = read_table(source)
    gz = tmp_path / "lotus.csv.gz"
    table.to_csv(gz, index=False, compression="gzip")
    parquet = tmp_path / "lotus.parquet"
    table.to_parquet(parquet, index=False)
    for path in (source, gz, parquet):
        got, report = load_relations(path, LotusParams(), chunk_rows=50)
        pd.testing.assert_frame_equal(got, expected)
        assert report.as_metrics() == expected_report.as_metrics()


def test_loading_stops_at_a_malformed_line(tmp_path):
    path = tmp_path / "lotus.tsv"
    rows = ["\t".join(LOTUS_COLUMNS)] + ["\t".join(["x"] * len(LOTUS_COLUMNS))] * 3
    rows.insert(3, "\t".join(["x"] * 4))
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(
        TableError,
        match=r"lotus.tsv: line 4: expected 10 fields, got 4 \(first bad column: organism_wikidata",
    ):
        load_relations(path, LotusParams())
