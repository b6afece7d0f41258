"""Which of the build's outputs an export may take: only those that are current.

An export publishes or archives files; a file made from an older record, an older
template or a record that now fails must never go out in its place. So an export
asks the build the same question a build asks itself (:mod:`notices.build.outputs`:
is the recorded key the key the output would have now, and are the bytes still the
ones written?), with the build's own keys: a paper's PDF through
:meth:`BuildRun.key`, an Anlage's copy through its file's digest, a session's
documents through a :class:`SessionWriter` that only assesses. Nothing is rendered.

What is not current is a problem naming the file and the command that brings it up
to date: an error for a paper (unless the export skips stale papers), a warning for
a session document that was never built (it is left out until ``notices session``
writes it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from notices.build.attachments import attachment_key
from notices.build.outputs import OutputFolder, Status
from notices.build.run import BuildRun
from notices.errors import Problem, Severity
from notices.source.reading import named_file_digest
from notices.source.records import RecordResult


@dataclass(frozen=True)
class Output:
    """A current output: where it is, and when the build wrote it."""

    relative: str  # under output/
    path: Path
    written: dt.datetime  # UTC, from the build state: the same for every export
    options: str  # e.g. the PDF variant it was built as


@dataclass
class CurrentOutputs:
    """The outputs an export may take, and why the others may not."""

    outputs: dict[str, Output] = field(default_factory=dict)  # relative -> Output
    problems: list[Problem] = field(default_factory=list)
    stale_records: set[str] = field(default_factory=set)  # papers left out

    def get(self, relative: str) -> Output | None:
        return self.outputs.get(relative)


class OutputCheck:
    """Asks the build's state which outputs are current, one record or session at a time."""

    def __init__(self, run: BuildRun, folder: OutputFolder):
        self.run = run
        self.folder = folder
        self.current = CurrentOutputs()

    def _take(self, relative: str, key: str) -> Status | str:
        """Take ``relative`` if it is current for ``key``; else what is wrong with it."""
        verdict = self.folder.verdict(relative, key)
        if verdict.status is not Status.CURRENT:
            if verdict.status is Status.STALE and relative not in self.folder.state.outputs:
                return "has not been built"
            if verdict.reason:
                return verdict.reason
            entry = self.folder.state.outputs[relative]
            if verdict.previous_options and entry.options != self.run.variant and \
                    relative.endswith(".pdf"):
                return (f"was built as {entry.options}, not {self.run.variant} (the PDF "
                        "variant of notices.toml)")
            return "is older than its sources"
        entry = self.folder.state.outputs[relative]
        self.current.outputs[relative] = Output(
            relative, self.folder.root / relative,
            dt.datetime.fromtimestamp(entry.mtime_ns / 1e9, dt.timezone.utc).replace(
                microsecond=0), entry.options)
        return Status.CURRENT

    def paper(self, result: RecordResult) -> bool:
        """A paper's PDF and its Anlagen; False (with problems) if any is not current."""
        notice = result.notice
        relatives = {f"{result.stem}.pdf": self.run.key(
            "pdf", notice.kind, result.source_sha256, result.named_files)}
        for attachment in notice.attachments:
            digest = named_file_digest(self.run.workspace.root, attachment.path).digest
            relatives[f"{result.stem}{attachment.output_suffix}"] = attachment_key(digest)
        ok = True
        for relative, key in relatives.items():
            found = self._take(relative, key)
            if found is not Status.CURRENT:
                ok = False
                self.current.problems.append(Problem(
                    f"output/{relative}", f"{found}: run 'notices build' first (the export "
                    f"takes only current outputs of {result.path})"))
        if not ok:
            self.current.stale_records.add(result.path)
        return ok

    def session(self, writer, command: str) -> None:
        """The PDFs of a session's documents; a document never built is left out."""
        writer.write()
        never = []
        for relative, key in sorted(writer.assessed.items()):
            if not relative.endswith(".pdf"):
                continue
            found = self._take(relative, key)
            if found is Status.CURRENT:
                continue
            if found == "has not been built":
                never.append(relative)
                continue
            self.current.problems.append(Problem(
                f"output/{relative}", f"{found}: run {command} to bring it up to date"))
        if never:
            names = ", ".join(r.rsplit("/", 1)[-1] for r in never)
            self.current.problems.append(Problem(
                "output/sessions", f"not built yet, so left out: {names} (run {command} to write "
                f"{'it' if len(never) == 1 else 'them'})", severity=Severity.WARNING))
