"""Copy a paper's Anlagen beside its outputs, through the one output policy.

``records/2023/x.yaml`` with two attachments gets ``output/2023/x_anlage-1.pdf`` and
``x_anlage-2.png``: byte copies of the files the record names. The coordinator copies
them itself (a worker only reports which files they are), so a worker never needs the
workspace; each copy has a key of its own (the file's digest), is kept when edited, and
is removed when the record no longer lists it.
"""

from __future__ import annotations

from pathlib import Path

from notices.build.keys import output_key
from notices.build.outputs import OutputFolder, Status
from notices.errors import Problem
from notices.source.reading import named_file_digest

ATTACHMENT = "attachment"  # the "format" of a copied Anlage in its key


def attachment_key(digest: str) -> str:
    return output_key(fmt=ATTACHMENT, options="", templates="", settings="",
                      sources={"file": digest})


def attachment_outputs(stem: str, attachments) -> dict[str, str]:
    """output path -> record file, from a task's ``(suffix, path)`` pairs."""
    return {f"{stem}{suffix}": path for suffix, path in attachments}


def stale_attachments(root: Path, folder: OutputFolder, copies: dict[str, str]
                      ) -> dict[str, str]:
    """The copies that are missing or made from other bytes than their file has now."""
    stale = {}
    for relative, path in copies.items():
        verdict = folder.verdict(relative, attachment_key(named_file_digest(root, path).digest))
        if verdict.status is Status.STALE:
            stale[relative] = path
    return stale


def copy_attachments(root: Path, folder: OutputFolder, record: str, copies: dict[str, str],
                     *, force: bool) -> tuple[list[str], list[str], list[Problem]]:
    """Copy each file to its output; (written, kept, problems)."""
    written, kept, problems = [], [], []
    for relative, path in sorted(copies.items()):
        named = named_file_digest(root, path)
        if named.data is None:
            problems.append(Problem(record, f"attachment {path} cannot be copied: "
                                    f"{named.problem}", field="attachments"))
            continue
        stored = folder.store(relative, named.data, record=record,
                              key=attachment_key(named.digest), options="", template_hash="",
                              force=force)
        if stored.problem:
            problems.append(stored.problem)
        if stored.written:
            written.append(relative)
        elif not stored.failed:
            kept.append(relative)
    return written, kept, problems


def remove_dropped(folder: OutputFolder, record: str, stem: str, copies: dict[str, str]
                   ) -> list[Problem]:
    """Remove copies of Anlagen the record no longer lists (unless edited by hand)."""
    problems = []
    for relative in folder.recorded_for(record):
        if relative.startswith(f"{stem}_anlage-") and relative not in copies:
            problems.append(folder.remove(relative, why=f"{record} no longer lists it as an "
                                          "attachment"))
    return problems
