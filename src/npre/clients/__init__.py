"""HTTP clients: PubMed E-utilities, Zenodo, and the retry with backoff they share."""
