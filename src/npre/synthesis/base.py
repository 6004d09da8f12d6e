"""What every generation backend shares: the interface and the two ways it fails."""

from __future__ import annotations

from typing import Protocol

from npre.data.records import Document


class GenerationError(RuntimeError):
    """A generation failed after every retry; the stage records it and goes on."""


class BackendError(RuntimeError):
    """A backend cannot start (missing extra, missing model): the stage stops with this."""


def missing_extra(what: str, extra: str, exc: ImportError) -> BackendError:
    return BackendError(
        f"{what} needs the optional extra '{extra}': pip install 'npre[{extra}]' ({exc})"
    )


class Backend(Protocol):
    name: str
    model: str
    sampling: dict

    def generate(self, prompt: Document, index: int, seed: int) -> str: ...
