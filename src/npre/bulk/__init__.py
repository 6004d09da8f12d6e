"""Bulk extraction over many abstracts, for completing LOTUS: inputs, engines, outputs."""
