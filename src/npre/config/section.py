"""The base of every params.yaml section: unknown keys are errors, values are coerced."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)
