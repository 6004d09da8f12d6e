"""The record format (one pydantic Document through the pipeline) and table reading."""
