"""What a build was asked to do: formats, force, prune, jobs, PDF variant, where to render.

One frozen value per run, shared by ``build``, ``session`` and every later command that
builds, so that their options mean the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

FORMATS = ("docx", "pdf")


@dataclass(frozen=True)
class BuildOptions:
    formats: tuple[str, ...] = FORMATS
    force: bool = False  # rebuild everything, overwrite outputs edited by hand
    prune: bool = False  # remove the outputs of removed records
    jobs: int | None = None  # worker processes; default: the number of CPUs
    pdf_variant: str | None = None  # default: notices.toml's [pdf] variant
    dask: str | None = None  # a Dask scheduler's address, or "local"


def variant_label(fmt: str, variant: str) -> str:
    """What an output's options were, as stored in the state and said in messages."""
    return variant if fmt == "pdf" else ""
