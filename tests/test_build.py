"""Incremental, safe and reproducible builds (the archive's requirements)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SEED, pdf_text, record_text
from notices.build import BUILT, FAILED, KEPT, UP_TO_DATE, BuildOptions, build
from notices.build.lock import OutputLock
from notices.workspace import open_workspace
from notices.errors import BuildLockedError


def statuses(report) -> dict[str, str]:
    return {r.path: r.status for r in report.records}


def do_build(root: Path, **options):
    return build(open_workspace(root), options=BuildOptions(**options))


@pytest.fixture
def three(workspace_dir, write_record):
    write_record("2023/b.yaml", record_text(subject="Zweite"))
    write_record("2023/c.yaml", record_text(subject="Dritte"))
    return workspace_dir


def test_nothing_is_built_twice(three):
    first = do_build(three, jobs=2)
    assert set(statuses(first).values()) == {BUILT}
    outputs = {p: p.stat().st_mtime_ns for p in (three / "output").rglob("*.pdf")}
    second = do_build(three, jobs=2)
    assert set(statuses(second).values()) == {UP_TO_DATE}
    assert {p: p.stat().st_mtime_ns for p in (three / "output").rglob("*.pdf")} == outputs
    assert second.summary().startswith("built 0, up to date 3, failed 0")


def test_exactly_the_changed_record_is_rebuilt(three):
    do_build(three)
    (three / "records/2023/b.yaml").write_text(record_text(subject="Zweite, geändert"))
    assert statuses(do_build(three)) == {
        "records/2023/b.yaml": BUILT, "records/2023/baumheide.yaml": UP_TO_DATE,
        "records/2023/c.yaml": UP_TO_DATE}


def test_touching_without_change_rebuilds_nothing(three):
    do_build(three)
    os.utime(three / "records/2023/b.yaml", ns=(1, 1))
    assert set(statuses(do_build(three)).values()) == {UP_TO_DATE}


@pytest.mark.parametrize("change", ["template", "registry", "variant"])
def test_shared_inputs_rebuild_everything(three, change):
    do_build(three)
    options = {}
    if change == "template":
        css = three / "templates/mitteilung.css"
        css.write_text(css.read_text() + "\n/* changed */\n")
    elif change == "registry":
        toml = three / "notices.toml"
        toml.write_text(toml.read_text() + "\n# changed\n")
    else:
        options = {"pdf_variant": "pdf/a-3b"}
    assert set(statuses(do_build(three, **options)).values()) == {BUILT}


def test_image_change_rebuilds_its_record(three, write_record):
    from test_content import png_bytes

    write_record("2023/plan.png", png_bytes(10, 10))
    write_record("2023/b.yaml", record_text(subject="Mit Bild").replace(
        "Nutzer*innen.", "Nutzer*innen.\n\n  ![Plan](plan.png)"))
    do_build(three)
    write_record("2023/plan.png", png_bytes(20, 10))
    assert statuses(do_build(three))["records/2023/b.yaml"] == BUILT
    assert statuses(do_build(three))["records/2023/b.yaml"] == UP_TO_DATE


def test_edited_output_is_kept_until_force(three):
    do_build(three)
    docx = three / "output/2023/b.docx"
    docx.write_bytes(docx.read_bytes() + b"clerk's edit")
    edited = docx.read_bytes()
    (three / "records/2023/b.yaml").write_text(record_text(subject="Neu"))
    report = do_build(three)
    record = next(r for r in report.records if r.path == "records/2023/b.yaml")
    # The PDF is rebuilt, the edited Word file is left: the record counts as built.
    assert (record.status, record.outputs, record.kept_outputs) == (
        BUILT, ["2023/b.pdf"], ["2023/b.docx"])
    assert "built 1," in report.summary() and "kept 1 edited" in report.summary()
    assert any(p.format() == "output/2023/b.docx: warning: was changed after notices wrote "
               "it; kept it (use --force to overwrite it)" for p in record.problems)
    assert docx.read_bytes() == edited
    assert "Neu" in pdf_text(three / "output/2023/b.pdf")
    # Asked for the Word file only, nothing new is written: the record is "kept".
    (three / "records/2023/b.yaml").write_text(record_text(subject="Neuer"))
    report = do_build(three, formats=("docx",))
    record = next(r for r in report.records if r.path == "records/2023/b.yaml")
    assert (record.status, record.outputs) == (KEPT, [])
    do_build(three, force=True)
    assert docx.read_bytes() != edited


def test_failing_record_keeps_old_outputs_as_stale(three):
    do_build(three)
    pdf = three / "output/2023/b.pdf"
    before = pdf.read_bytes()
    (three / "records/2023/b.yaml").write_text(SEED.replace("date: 18.04.2023", "date: x"))
    report = do_build(three)
    record = next(r for r in report.records if r.path == "records/2023/b.yaml")
    assert record.status == FAILED
    assert record.stale_outputs == ["2023/b.docx", "2023/b.pdf"]
    assert pdf.read_bytes() == before
    assert "stale 1" in report.summary()


def test_removed_record_and_prune(three):
    do_build(three)
    (three / "records/2023/c.yaml").unlink()
    report = do_build(three)
    assert report.orphaned == ["2023/c.docx", "2023/c.pdf"]
    assert (three / "output/2023/c.pdf").exists()
    report = do_build(three, prune=True)
    assert report.removed == ["2023/c.docx", "2023/c.pdf"]
    assert not (three / "output/2023/c.pdf").exists()
    assert (three / "output/2023/b.pdf").exists()


def test_jobs_give_identical_bytes(three, tmp_path):
    import shutil

    other = tmp_path / "other"
    shutil.copytree(three, other)
    do_build(three, jobs=1)
    do_build(other, jobs=2)
    for path in sorted((three / "output").rglob("*.*")):
        if path.suffix in (".pdf", ".docx"):
            assert path.read_bytes() == (other / "output" / path.relative_to(
                three / "output")).read_bytes(), path.name


def test_second_build_is_refused_while_one_runs(three):
    with OutputLock(three / "output"):
        with pytest.raises(BuildLockedError) as error:
            do_build(three)
    assert "another build is running on this output folder" in str(error.value)


def test_unreadable_state_means_full_rebuild_with_warning(three):
    do_build(three)
    (three / "output/.notices-state.sqlite").write_bytes(b"garbage" * 100)
    report = do_build(three)
    assert any("build state .notices-state.sqlite was unreadable" in p.message
               for p in report.problems)
    # the outputs on disk equal what would be written, so they are adopted, not kept
    assert set(statuses(report).values()) == {BUILT}


FAKE_CLOCK = """
import datetime, sys, time
FAKE = {stamp}
class FakeDateTime(datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime.datetime.fromtimestamp(FAKE, tz)
    @classmethod
    def utcnow(cls):
        return datetime.datetime.utcfromtimestamp(FAKE)
datetime.datetime = FakeDateTime
time.time = lambda: FAKE
time.time_ns = lambda: int(FAKE * 1e9)
_localtime, _gmtime = time.localtime, time.gmtime
time.localtime = lambda secs=None: _localtime(FAKE if secs is None else secs)
time.gmtime = lambda secs=None: _gmtime(FAKE if secs is None else secs)
from notices.cli import main
sys.argv = ["notices"] + sys.argv[1:]
main()
"""


@pytest.mark.slow
def test_reproducible_across_days_and_folders(three, tmp_path):
    import shutil

    copies = []
    for name, stamp in (("a", 1_600_000_000), ("elsewhere/b", 1_900_000_000)):
        target = tmp_path / name
        shutil.copytree(three, target)
        subprocess.run([sys.executable, "-c", FAKE_CLOCK.format(stamp=stamp), "-C",
                        str(target), "build", "--quiet", "--jobs", "2"], check=True)
        copies.append(target / "output")
    files = sorted(p.relative_to(copies[0]) for p in copies[0].rglob("*")
                   if p.suffix in (".pdf", ".docx"))
    assert len(files) == 6
    for relative in files:
        assert (copies[0] / relative).read_bytes() == (copies[1] / relative).read_bytes(), \
            relative


def _many(root: Path, count: int) -> None:
    long_facts = "\n".join("  " + "Ein Absatz mit Text. " * 40 + "\n" for _ in range(12))
    for i in range(count):
        (root / f"records/many/n{i:03d}.yaml").parent.mkdir(parents=True, exist_ok=True)
        (root / f"records/many/n{i:03d}.yaml").write_text(
            record_text(subject=f"Nummer {i}").replace(
                "  Das Quartiersmanagement für die Bewohner*innen und Nutzer*innen.\n",
                long_facts))


def _start_build(root: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "notices", "-C", str(root), "build", "--jobs", "2",
         "--format", "pdf"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_outputs(root: Path, count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while len(list((root / "output/many").glob("*.pdf"))) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_the_next_build_resumes(workspace_dir):
    _many(workspace_dir, 40)
    process = _start_build(workspace_dir)
    _wait_for_outputs(workspace_dir, 3, process)
    process.send_signal(signal.SIGINT)
    started = time.monotonic()
    _, stderr = process.communicate(timeout=30)
    assert time.monotonic() - started < 5
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert not list((workspace_dir / "output").rglob(".tmp-*"))
    report = build(open_workspace(workspace_dir), options=BuildOptions(formats=("pdf",)))
    counts = statuses(report)
    done_before = sum(1 for s in counts.values() if s == UP_TO_DATE)
    assert done_before >= 3
    assert sum(1 for s in counts.values() if s == BUILT) == 41 - done_before


@pytest.mark.slow
def test_kill_9_leaves_no_half_written_or_wrongly_trusted_output(workspace_dir, runner):
    from notices.cli import main

    _many(workspace_dir, 40)
    process = _start_build(workspace_dir)
    _wait_for_outputs(workspace_dir, 5, process)
    process.kill()
    process.wait(timeout=10)
    result = runner.invoke(main, ["-C", str(workspace_dir), "verify"])
    # Everything the state records is on disk with the recorded bytes. A file being
    # written shows up at most as a temporary file or an output renamed but not yet
    # recorded, which the next build adopts after checking its bytes.
    assert "changed\t" not in result.stdout and "missing\t" not in result.stdout
    for line in result.stdout.splitlines():
        name = Path(line.split("\t")[1]).name
        assert name.startswith(".tmp-") or name.endswith(".pdf"), line
    deadline = time.monotonic() + 30
    while True:  # orphaned workers finish their record and exit
        try:
            report = build(open_workspace(workspace_dir),
                           options=BuildOptions(formats=("pdf",)))
            break
        except BuildLockedError:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    assert not report.failed
    result = runner.invoke(main, ["-C", str(workspace_dir), "verify"])
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_disk_full_fails_per_record_and_keeps_earlier_outputs(three):
    """A file-size limit (ulimit -f) makes writes fail like a full disk does."""
    import hashlib

    first = do_build(three)
    assert not first.failed
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest()
              for p in (three / "output").rglob("*.*") if p.suffix in (".pdf", ".docx")}
    for name in ("b", "c"):
        (three / f"records/2023/{name}.yaml").write_text(
            record_text(subject=f"Geändert {name} " + "lang " * 200))
    limit_kb = 8  # every output is larger than this
    script = f"ulimit -f {limit_kb * 2}; exec {sys.executable} -m notices -C {three} build"
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    # One clear line per affected record: the output that could not be written, or the
    # temporary file WeasyPrint needed for its fonts, whichever the limit hit first.
    errors = [line for line in result.stderr.splitlines() if "File too large" in line]
    assert len(errors) == 2, result.stderr
    errors.sort()
    assert errors[0].startswith(("output/2023/b.", "records/2023/b.yaml: rendering"))
    assert errors[1].startswith(("output/2023/c.", "records/2023/c.yaml: rendering"))
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest()
             for p in (three / "output").rglob("*.*") if p.suffix in (".pdf", ".docx")}
    assert after == before  # nothing half-written, nothing lost
    assert not list((three / "output").rglob(".tmp-*"))
    from notices.verify import verify_outputs

    assert verify_outputs(three / "output").clean
    assert statuses(do_build(three))["records/2023/b.yaml"] == BUILT  # recovers


def test_outputs_deleted_with_their_record_are_forgotten(three):
    do_build(three)
    (three / "records/2023/c.yaml").unlink()
    (three / "output/2023/c.pdf").unlink()
    report = do_build(three)
    assert report.orphaned == ["2023/c.docx"]  # the PDF is gone: nothing to prune
    (three / "output/2023/c.docx").unlink()
    report = do_build(three)
    assert report.orphaned == [] and "orphaned" not in report.summary()
