"""Reference samplers (GME, random) and the diversity measures that compare them."""
