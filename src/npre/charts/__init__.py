"""Charts: the pipeline's DVC plots rendered for viewing offline (PNG files, one HTML page)."""
