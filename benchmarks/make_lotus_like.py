#!/usr/bin/env python3
"""Generate a synthetic, LOTUS-like table of referenced organism-chemical relations.

Output columns (LOTUS frozen-metadata names, the subset and order the GME sampler reads):
    structure_wikidata, structure_cid, structure_nameTraditional,
    organism_wikidata, organism_name, organism_taxonomy_02kingdom,
    reference_wikidata, reference_doi, reference_pubmed_id

Model (all draws come from one numpy Generator seeded with --seed, so the
output is byte-for-byte deterministic for a given set of arguments):

* each reference (document) belongs to one kingdom, drawn with unequal
  weights (5 kingdoms, Archaeplastida dominant);
* it reports m relations, m in 1..--max-rel, P(m) proportional to m**-a
  (heavy-tailed; a=0.95 gives a mean of about 5.8 relations per reference,
  which is the LOTUS v10 ratio of ~750k rows / ~130k references);
* it studies 1..5 organisms (mostly 1) drawn from its kingdom's organisms
  with Zipf-like popularity (weight proportional to rank**-s_org);
* every relation gets one of the reference's organisms and a chemical; the
  chemical is drawn from a global Zipf-like popularity list with probability
  --p-ubiquitous (sterols, fatty acids... common to all kingdoms) and
  otherwise from the reference kingdom's own chemical pool (again Zipf-like);
* duplicate (structure, organism, reference) triples are dropped, as in LOTUS
  where each row is a distinct referenced pair; so a reference has 1..max-rel
  rows and the realised row count is slightly below the drawn one.

The vocabulary sizes scale with --n-refs by default (--chem-per-ref,
--org-per-ref give the size of the candidate universes; the realised numbers
of distinct chemicals/organisms are smaller and are printed to stderr).

Example:
    python benchmarks/make_lotus_like.py --n-refs 130000 --seed 0 --out lotus_like_130k.tsv
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

KINGDOMS = [
    "Archaeplastida",
    "Fungi",
    "Metazoa",
    "Not Attributed (Bacteria or Algae)",
    "Protista",
]
KINGDOM_WEIGHTS = np.array([0.60, 0.17, 0.12, 0.08, 0.03])

COLUMNS = [
    "structure_wikidata",
    "structure_cid",
    "structure_nameTraditional",
    "organism_wikidata",
    "organism_name",
    "organism_taxonomy_02kingdom",
    "reference_wikidata",
    "reference_doi",
    "reference_pubmed_id",
]

DOI_PREFIXES = np.array(
    ["10.1002", "10.1007", "10.1016", "10.1021", "10.1055", "10.1080", "10.3390", "10.3831"]
)


def zipf_weights(n: int, s: float) -> np.ndarray:
    """Normalised weights proportional to rank**-s for ranks 1..n."""
    if n <= 0:
        return np.zeros(0)
    w = np.arange(1, n + 1, dtype=np.float64) ** (-s)
    return w / w.sum()


def draw_from_pool(rng: np.random.Generator, pool: np.ndarray, s: float, size: int) -> np.ndarray:
    """Draw `size` members of `pool` with Zipf-like popularity.

    The popularity rank of each pool member is a random permutation (so popular
    items are not simply the smallest ids)."""
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    ranked = rng.permutation(pool)
    cdf = np.cumsum(zipf_weights(len(ranked), s))
    cdf[-1] = 1.0
    pos = np.searchsorted(cdf, rng.random(size), side="right")
    return ranked[np.minimum(pos, len(ranked) - 1)]


def generate(
    n_refs: int,
    seed: int = 0,
    max_rel: int = 20,
    rel_exponent: float = 0.95,
    chem_per_ref: float = 2.5,
    org_per_ref: float = 0.45,
    s_chem: float = 0.9,
    s_org: float = 1.0,
    p_ubiquitous: float = 0.2,
    p_missing_pmid: float = 0.3,
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_k = len(KINGDOMS)

    n_chem = max(10, int(round(chem_per_ref * n_refs)))
    n_org = max(n_k * 2, int(round(org_per_ref * n_refs)))

    # Kingdom of every organism and every chemical (home pool); each kingdom
    # gets at least one organism and one chemical.
    org_kingdom = rng.choice(n_k, size=n_org, p=KINGDOM_WEIGHTS)
    org_kingdom[:n_k] = np.arange(n_k)
    chem_kingdom = rng.choice(n_k, size=n_chem, p=KINGDOM_WEIGHTS)
    chem_kingdom[:n_k] = np.arange(n_k)

    # References: kingdom, number of relations, number of organisms studied.
    ref_kingdom = rng.choice(n_k, size=n_refs, p=KINGDOM_WEIGHTS)
    m_values = np.arange(1, max_rel + 1)
    p_m = m_values.astype(np.float64) ** (-rel_exponent)
    p_m /= p_m.sum()
    n_rel = rng.choice(m_values, size=n_refs, p=p_m)
    org_count_choices = np.array([1, 2, 3, 4, 5])
    n_org_ref = rng.choice(org_count_choices, size=n_refs, p=[0.72, 0.15, 0.07, 0.04, 0.02])
    n_org_ref = np.minimum(n_org_ref, n_rel)

    # Up to 5 organisms per reference, drawn from the reference's kingdom.
    ref_orgs = np.empty((n_refs, 5), dtype=np.int64)
    for k in range(n_k):
        refs_k = np.flatnonzero(ref_kingdom == k)
        pool = np.flatnonzero(org_kingdom == k)
        ref_orgs[refs_k] = draw_from_pool(rng, pool, s_org, refs_k.size * 5).reshape(-1, 5)

    # Relations.
    rel_ref = np.repeat(np.arange(n_refs), n_rel)
    n_rows = rel_ref.size
    slot = np.floor(rng.random(n_rows) * n_org_ref[rel_ref]).astype(np.int64)
    rel_org = ref_orgs[rel_ref, slot]

    rel_chem = np.empty(n_rows, dtype=np.int64)
    ubiquitous = rng.random(n_rows) < p_ubiquitous
    idx_u = np.flatnonzero(ubiquitous)
    rel_chem[idx_u] = draw_from_pool(rng, np.arange(n_chem), s_chem, idx_u.size)
    rel_kingdom = ref_kingdom[rel_ref]
    for k in range(n_k):
        idx = np.flatnonzero(~ubiquitous & (rel_kingdom == k))
        pool = np.flatnonzero(chem_kingdom == k)
        rel_chem[idx] = draw_from_pool(rng, pool, s_chem, idx.size)

    # Distinct (structure, organism, reference) triples, in generation order.
    triples = pd.DataFrame({"ref": rel_ref, "org": rel_org, "chem": rel_chem})
    triples = triples.drop_duplicates(ignore_index=True)

    # Identifiers. Ids are affine maps of the indexes, so they are distinct.
    chem_q = 10_000_000 + 7 * np.arange(n_chem)
    chem_cid = 100_000 + 13 * np.arange(n_chem)
    org_q = 1_000_000 + 11 * np.arange(n_org)
    genus = rng.integers(0, max(1, n_org // 8), size=n_org)
    ref_q = 30_000_000 + 3 * np.arange(n_refs)
    ref_prefix = DOI_PREFIXES[rng.integers(0, DOI_PREFIXES.size, size=n_refs)]
    ref_year = rng.integers(1950, 2023, size=n_refs)
    pmid = 1_000_000 + 17 * np.arange(n_refs)
    pmid_missing = rng.random(n_refs) < p_missing_pmid

    c = triples["chem"].to_numpy()
    o = triples["org"].to_numpy()
    r = triples["ref"].to_numpy()

    def prefixed(prefix: str, values: np.ndarray) -> np.ndarray:
        return np.char.add(prefix, values.astype(str))

    out = pd.DataFrame(
        {
            "structure_wikidata": prefixed("http://www.wikidata.org/entity/Q", chem_q[c]),
            "structure_cid": chem_cid[c].astype(str),
            "structure_nameTraditional": prefixed("Syncompound-", c),
            "organism_wikidata": prefixed("http://www.wikidata.org/entity/Q", org_q[o]),
            "organism_name": np.char.add(
                np.char.add(prefixed("Genus", genus[o]), " species"), o.astype(str)
            ),
            "organism_taxonomy_02kingdom": np.array(KINGDOMS)[org_kingdom[o]],
            "reference_wikidata": prefixed("http://www.wikidata.org/entity/Q", ref_q[r]),
            "reference_doi": np.char.add(
                np.char.add(np.char.add(ref_prefix[r], "/SYN."), ref_year[r].astype(str)),
                np.char.add(".", np.char.zfill(r.astype(str), 7)),
            ),
            "reference_pubmed_id": np.where(pmid_missing[r], "", pmid[r].astype(str)),
        },
        columns=COLUMNS,
    )
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n-refs", type=int, required=True, help="number of references (documents)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True, help="output path ('-' for stdout)")
    ap.add_argument("--sep", default="\t", help="field separator (default: tab)")
    ap.add_argument("--max-rel", type=int, default=20, help="max relations per reference")
    ap.add_argument("--rel-exponent", type=float, default=0.95, help="P(m) ~ m**-a")
    ap.add_argument(
        "--chem-per-ref", type=float, default=2.5, help="chemical universe size / n_refs"
    )
    ap.add_argument(
        "--org-per-ref", type=float, default=0.45, help="organism universe size / n_refs"
    )
    ap.add_argument(
        "--s-chem", type=float, default=0.9, help="Zipf exponent of chemical popularity"
    )
    ap.add_argument("--s-org", type=float, default=1.0, help="Zipf exponent of organism popularity")
    ap.add_argument(
        "--p-ubiquitous",
        type=float,
        default=0.2,
        help="probability that a relation's chemical comes from the global (cross-kingdom) list",
    )
    ap.add_argument(
        "--kingdom",
        default=None,
        help="if given, keep only rows whose organism_taxonomy_02kingdom equals this value",
    )
    args = ap.parse_args(argv)

    df = generate(
        n_refs=args.n_refs,
        seed=args.seed,
        max_rel=args.max_rel,
        rel_exponent=args.rel_exponent,
        chem_per_ref=args.chem_per_ref,
        org_per_ref=args.org_per_ref,
        s_chem=args.s_chem,
        s_org=args.s_org,
        p_ubiquitous=args.p_ubiquitous,
    )
    if args.kingdom is not None:
        df = df[df["organism_taxonomy_02kingdom"] == args.kingdom]
    df.to_csv(sys.stdout if args.out == "-" else args.out, sep=args.sep, index=False)

    per_ref = df.groupby("reference_doi").size()
    kingdoms = df.drop_duplicates("reference_doi")["organism_taxonomy_02kingdom"]
    print(
        f"rows={len(df)} refs={df['reference_doi'].nunique()} "
        f"structures={df['structure_wikidata'].nunique()} "
        f"organisms={df['organism_wikidata'].nunique()} "
        f"rows/ref mean={per_ref.mean():.2f} max={per_ref.max()} "
        f"kingdom refs={kingdoms.value_counts().to_dict()}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
