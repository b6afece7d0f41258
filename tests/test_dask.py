"""``build --dask``: the same outputs and reports as ``--jobs``, and the cluster's faults.

Real LocalClusters of two single-threaded worker processes, no mocks. Where a test needs
a record that misbehaves (kills its worker, sleeps, hogs memory), the coordinator's
``run_task`` is replaced by :func:`misbehave`, which the workers import from this file
by reference, as they import notices' own. Skipped where Dask is not installed (CI
installs it with the test extra); the usage tests run everywhere.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from importlib.util import find_spec
from pathlib import Path

import pytest

from conftest import record_text
from notices.build import BUILT, FAILED, UP_TO_DATE, BuildOptions, build
from notices.build.task import run_task
from notices.cli import main
from notices.workspace import open_workspace

needs_dask = pytest.mark.skipif(find_spec("distributed") is None,
                                reason="Dask is not installed (pip install 'notices[dask]')")
MARKERS = "NOTICES_TEST_DASK_MARKERS"  # a folder the misbehaving records leave marks in


def misbehave(renderers, task):
    """``run_task``, except for records whose name says how to misbehave.

    Runs in the renderer process, a child of the Dask worker (or of the build with
    --jobs): ``kill-worker`` kills the Dask worker every time, ``kill-once`` only on the
    first try, ``slow`` sleeps, ``greedy`` allocates, ``crash`` kills the renderer.
    """
    name = Path(task.path).stem
    if name.startswith("kill-once"):
        marker = Path(os.environ[MARKERS]) / name
        if not marker.exists():
            marker.write_text(str(os.getppid()))
            os.kill(os.getppid(), signal.SIGKILL)
            time.sleep(30)
    elif name.startswith("kill-worker"):
        with open(Path(os.environ[MARKERS]) / name, "a") as handle:
            handle.write(f"{os.getppid()}\n")
        os.kill(os.getppid(), signal.SIGKILL)
        time.sleep(30)
    elif name.startswith("slow"):
        time.sleep(30)
    elif name.startswith("greedy"):
        block = bytearray(2000 * 1024 * 1024)
        block[::4096] = b"x" * len(block[::4096])
    elif name.startswith("crash"):
        import faulthandler

        faulthandler.disable()  # pytest's, inherited: no dump of this deliberate crash
        os.kill(os.getpid(), signal.SIGSEGV)
    return run_task(renderers, task)


@pytest.fixture
def misbehaving(monkeypatch, tmp_path):
    """Records render through :func:`misbehave`, locally and on Dask workers."""
    markers = tmp_path / "markers"
    markers.mkdir()
    monkeypatch.setenv(MARKERS, str(markers))  # inherited by the workers started later
    monkeypatch.setattr("notices.build.run.run_task", misbehave)
    return markers


def cli(runner, root: Path, *args: str):
    return runner.invoke(main, ["-C", str(root), *args])


def statuses(report) -> dict[str, str]:
    return {r.path: r.status for r in report.records}


def outputs(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root / "output").as_posix(): p.read_bytes()
            for p in sorted((root / "output").rglob("*")) if p.suffix in (".pdf", ".docx")}


def without_time(text: str) -> str:
    return re.sub(r" in \d+\.\d s", " in _ s", text)


def add_records(root: Path, count: int, prefix: str = "n") -> None:
    long_facts = "\n".join("  " + "Ein Absatz mit Text. " * 30 + "\n" for _ in range(6))
    for i in range(count):
        path = root / f"records/many/{prefix}{i:03d}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(record_text(subject=f"Nummer {i}").replace(
            "  Das Quartiersmanagement für die Bewohner*innen und Nutzer*innen.\n",
            long_facts))


# -- usage: with or without Dask ----------------------------------------------------------


def test_without_dask_the_command_says_how_to_install_it(runner, workspace_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails, as if missing
    result = cli(runner, workspace_dir, "build", "--dask", "local")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "notices: --dask needs Dask, which is not installed; install it with: "
        "pip install 'notices[dask]'"]
    assert not (workspace_dir / "output/2023").exists()


@pytest.mark.parametrize("args, message", [
    (["--dask", "somewhere"], "'somewhere' is not a Dask scheduler's address"),
    (["--dask", "tcp://host:8786", "--jobs", "2"], "--jobs sets the number of processes"),
])
def test_dask_usage_errors(runner, workspace_dir, args, message):
    result = cli(runner, workspace_dir, "build", *args)
    assert result.exit_code == 2
    assert message in result.stderr


@needs_dask
def test_no_scheduler_or_no_workers_is_one_line(runner, workspace_dir, monkeypatch,
                                                tmp_path):
    import dask
    from distributed import LocalCluster

    monkeypatch.setattr("notices.build.dask_pool.CONNECT_TIMEOUT", 1.0)
    monkeypatch.setattr("notices.build.dask_pool.NO_WORKERS_TIMEOUT", 1.0)
    started = time.monotonic()
    result = cli(runner, workspace_dir, "build", "--dask", "tcp://127.0.0.1:9")
    assert time.monotonic() - started < 15
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "notices: cannot reach the Dask scheduler at tcp://127.0.0.1:9 within 1 s"), lines

    with dask.config.set({"temporary-directory": str(tmp_path)}):
        cluster = LocalCluster(n_workers=0, dashboard_address=None, silence_logs=50)
    try:
        result = cli(runner, workspace_dir, "build", "--dask", cluster.scheduler_address)
    finally:
        cluster.close()
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"notices: the Dask scheduler at {cluster.scheduler_address} has no workers (waited "
        f"1 s); start some with `dask worker {cluster.scheduler_address}`"]
    assert not (workspace_dir / "output/2023").exists()


# -- the same outputs and reports as --jobs ---------------------------------------------


@pytest.fixture
def varied(workspace_dir, write_record):
    """The seed, a record with a picture, Markdown, a broken record, a missing picture."""
    from test_content import png_bytes

    write_record("2023/plan.png", png_bytes(10, 10))
    write_record("2023/bild.yaml", record_text(subject="Mit Bild").replace(
        "Nutzer*innen.", "Nutzer*innen.\n\n  ![Plan](plan.png)"))
    write_record("2023/fehlt.yaml", record_text(subject="Bild fehlt").replace(
        "Nutzer*innen.", "Nutzer*innen.\n\n  ![Foto](foto.png)"))
    write_record("2023/kaputt.yaml", record_text(date="31.02.2023"))
    write_record("2023/text.md", "---\n" + record_text(subject="Als Markdown").split(
        "facts: |")[0] + "signatory: Dodenhoff\n---\nDer *Sachverhalt* in Markdown.\n")
    add_records(workspace_dir, 6)
    return workspace_dir


@needs_dask
def test_dask_gives_the_outputs_and_report_of_jobs_byte_for_byte(varied, tmp_path, runner):
    from test_content import png_bytes

    local = tmp_path / "local"
    shutil.copytree(varied, local)
    results = {}
    for root, how in ((local, ["--jobs", "2"]), (varied, ["--dask", "local", "--jobs", "2"])):
        results[root] = cli(runner, root, "build", "--json", *how)
    assert results[local].exit_code == results[varied].exit_code == 1  # kaputt.yaml
    assert outputs(varied) == outputs(local) and len(outputs(local)) == 2 * 10
    reports = [json.loads(results[root].stdout) for root in (local, varied)]
    for report in reports:
        report["summary"] = without_time(report["summary"])
        report["records"].sort(key=lambda record: record["path"])
    assert reports[0] == reports[1]
    assert sorted(without_time(results[local].stderr).splitlines()) == \
        sorted(without_time(results[varied].stderr).splitlines())

    # The keys are the same: neither backend rebuilds what the other wrote.
    result = cli(runner, varied, "build", "--dask", "local", "--json")
    counts = json.loads(result.stdout)["counts"]
    assert (counts[BUILT], counts[UP_TO_DATE]) == (0, 10), result.output

    # A changed picture (supplied from the state) and a new one (asked for, then
    # supplied): exactly those records are rebuilt, with the bytes --jobs gives.
    for root in (local, varied):
        (root / "records/2023/plan.png").write_bytes(png_bytes(20, 10))
        (root / "records/2023/foto.png").write_bytes(png_bytes(5, 5))
    results[local] = cli(runner, local, "build", "--json", "--jobs", "2")
    results[varied] = cli(runner, varied, "build", "--json", "--dask", "local")
    for root in (local, varied):
        report = json.loads(results[root].stdout)
        assert sorted(r["path"] for r in report["records"] if r["status"] == BUILT) == [
            "records/2023/bild.yaml", "records/2023/fehlt.yaml"], results[root].output
    assert outputs(varied) == outputs(local)


@needs_dask
@pytest.mark.slow
def test_the_sample_papers_and_a_session_packet_are_the_same_with_dask(workspace_dir,
                                                                       tmp_path, runner):
    """Every kind of paper, pictures, Anlagen copied beside the outputs, a packet."""
    from conftest import REPO

    shutil.copytree(REPO / "records", workspace_dir / "records", dirs_exist_ok=True)
    shutil.copy(REPO / "notices.toml", workspace_dir / "notices.toml")
    local = tmp_path / "local"
    shutil.copytree(workspace_dir, local)
    session = ["session", "--committee", "Bezirksvertretung Heepen", "--date", "20.04.2023"]
    for root, how in ((local, ["--jobs", "2"]), (workspace_dir, ["--dask", "local"])):
        # The session's papers are rendered by the session command, the others after.
        result = cli(runner, root, *session, *how)
        assert result.exit_code == 0, result.output
        result = cli(runner, root, "build", *how)
        assert result.exit_code == 0, result.output
        assert "built 0," not in result.stderr
    made = outputs(workspace_dir)
    assert made == outputs(local)
    assert any("_anlage-" in name for name in made)
    assert any(name.startswith("sessions/") for name in made)


@needs_dask
def test_record_limits_apply_on_dask_workers_as_with_jobs(workspace_dir, tmp_path,
                                                          misbehaving):
    (workspace_dir / "notices.toml").write_text(
        (workspace_dir / "notices.toml").read_text()
        + "\n[limits]\nrender_timeout_seconds = 2\nrender_memory_mb = 300\n")
    for name in ("slow", "greedy", "crash"):
        shutil.copy(workspace_dir / "records/2023/baumheide.yaml",
                    workspace_dir / f"records/2023/{name}.yaml")
    add_records(workspace_dir, 3)
    local = tmp_path / "local"
    shutil.copytree(workspace_dir, local)
    reports = {}
    for root, options in ((local, BuildOptions(jobs=2, formats=("pdf",))),
                          (workspace_dir, BuildOptions(dask="local", jobs=2,
                                                       formats=("pdf",)))):
        report = build(open_workspace(root), options=options)
        reports[root] = {r.path: (r.status, [p.format() for p in r.problems])
                         for r in report.records}
    assert reports[workspace_dir] == reports[local]
    failed = {path: problems[0] for path, (status, problems) in reports[local].items()
              if status == FAILED}
    assert failed == {
        "records/2023/slow.yaml": "records/2023/slow.yaml: rendering failed: took longer "
        "than 2 s to render (limits.render_timeout_seconds in notices.toml)",
        "records/2023/greedy.yaml": "records/2023/greedy.yaml: rendering failed: ran out of "
        "the 300 MB render memory limit (limits.render_memory_mb in notices.toml)",
        "records/2023/crash.yaml": "records/2023/crash.yaml: rendering failed: the "
        "renderer was killed by SIGSEGV",
    }
    assert outputs(workspace_dir) == outputs(local)


# -- faults of the cluster --------------------------------------------------------------


@needs_dask
def test_a_worker_killed_mid_task_is_replaced_and_the_build_completes(workspace_dir,
                                                                      misbehaving):
    shutil.copy(workspace_dir / "records/2023/baumheide.yaml",
                workspace_dir / "records/2023/kill-once.yaml")
    add_records(workspace_dir, 8)
    report = build(open_workspace(workspace_dir),
                   options=BuildOptions(dask="local", jobs=2, formats=("pdf",)))
    assert (misbehaving / "kill-once").exists(), "no worker was killed"
    assert set(statuses(report).values()) == {BUILT}, report.error_lines()
    assert len(report.records) == 10 and not report.problems


@needs_dask
@pytest.mark.slow
def test_a_record_that_kills_every_worker_fails_alone_with_one_line(workspace_dir,
                                                                     misbehaving, capfd):
    shutil.copy(workspace_dir / "records/2023/baumheide.yaml",
                workspace_dir / "records/2023/kill-worker.yaml")
    add_records(workspace_dir, 6)
    report = build(open_workspace(workspace_dir),
                   options=BuildOptions(dask="local", jobs=2, formats=("pdf",)))
    killed = (misbehaving / "kill-worker").read_text().split()
    assert len(set(killed)) == 3  # three workers tried it, and each died
    failed = {r.path: r.problems for r in report.records if r.status == FAILED}
    assert [p.format() for p in failed.pop("records/2023/kill-worker.yaml")] == [
        "records/2023/kill-worker.yaml: rendering failed: killed every worker that tried it "
        "(3 attempts): the Dask worker process died each time (a crash, or its memory "
        "limit); see the workers' logs"]
    assert not failed
    assert sum(1 for status in statuses(report).values() if status == BUILT) == 7
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "distributed" not in captured.err


def assert_state_holds_what_was_written(root: Path, runner) -> None:
    result = cli(runner, root, "verify")
    assert result.exit_code == 0, result.output  # every recorded output, and no other


@needs_dask
def test_a_cluster_that_disappears_stops_the_build_and_keeps_what_was_written(
        workspace_dir, tmp_path, runner):
    import dask
    from distributed import LocalCluster

    add_records(workspace_dir, 30)
    with dask.config.set({"temporary-directory": str(tmp_path),
                          "distributed.worker.daemon": False}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                               silence_logs=50)
    built = []

    def on_record(record):
        built.append(record)
        if len(built) == 4:
            threading.Thread(target=cluster.close, daemon=True).start()

    try:
        report = build(open_workspace(workspace_dir), on_record=on_record,
                       options=BuildOptions(dask=cluster.scheduler_address,
                                            formats=("pdf",)))
    finally:
        cluster.close()
    assert report.stopped is not None and not report.interrupted
    message = report.stopped.format()
    assert message.startswith(f"notices: the Dask cluster at {cluster.scheduler_address} "
                              "went away ("), message
    assert "\n" not in message and report.failed
    done = [r.path for r in report.records if r.status == BUILT]
    assert 4 <= len(done) < 31
    assert_state_holds_what_was_written(workspace_dir, runner)
    rest = build(open_workspace(workspace_dir), options=BuildOptions(formats=("pdf",)))
    assert sorted(r.path for r in rest.records if r.status == UP_TO_DATE) == sorted(done)
    assert sum(1 for r in rest.records if r.status == BUILT) == 31 - len(done)


# -- processes: Ctrl-C, and the several-hosts recipe ------------------------------------


def _wait_for_pdfs(root: Path, count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while len(list((root / "output/many").glob("*.pdf"))) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _gone(pgid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


@needs_dask
@pytest.mark.slow
def test_ctrl_c_stops_a_dask_build_cleanly_and_the_next_build_resumes(workspace_dir,
                                                                      runner):
    add_records(workspace_dir, 40)
    process = subprocess.Popen(
        [sys.executable, "-m", "notices", "-C", str(workspace_dir), "build", "--dask",
         "local", "--jobs", "2", "--format", "pdf"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _wait_for_pdfs(workspace_dir, 3, process)
        os.killpg(process.pid, signal.SIGINT)  # as a terminal sends it: to the group
        started = time.monotonic()
        _, stderr = process.communicate(timeout=30)
        assert time.monotonic() - started < 8
        assert process.returncode == 130, stderr
        assert "Traceback" not in stderr and "distributed" not in stderr, stderr
        assert stderr.splitlines()[-1] == \
            "interrupted; the next build continues where this one stopped"
        assert _gone(process.pid, within=10), "worker processes were left behind"
    finally:
        with __import__("contextlib").suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert_state_holds_what_was_written(workspace_dir, runner)
    report = build(open_workspace(workspace_dir), options=BuildOptions(formats=("pdf",)))
    done = sum(1 for r in report.records if r.status == UP_TO_DATE)
    assert done >= 3 and sum(1 for r in report.records if r.status == BUILT) == 41 - done


@pytest.fixture
def remote_cluster(tmp_path):
    """``dask scheduler`` and ``dask worker`` as separate processes: the several-hosts
    recipe of the README on one host. Yields (address, scheduler, workers)."""
    dask_command = shutil.which("dask", path=str(Path(sys.executable).parent))
    assert dask_command, "the dask command is not installed next to this Python"
    scheduler_file = tmp_path / "scheduler.json"
    environment = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False",
                   "DASK_TEMPORARY_DIRECTORY": str(tmp_path)}
    log = open(tmp_path / "cluster.log", "w")
    processes = [subprocess.Popen(
        [dask_command, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(scheduler_file)],
        stdout=log, stderr=log, env=environment, start_new_session=True)]
    try:
        deadline = time.monotonic() + 30
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert scheduler_file.exists(), (tmp_path / "cluster.log").read_text()
        processes.append(subprocess.Popen(
            [dask_command, "worker", "--scheduler-file", str(scheduler_file), "--nworkers",
             "2", "--nthreads", "1", "--no-dashboard", "--local-directory",
             str(tmp_path / "workers")],
            stdout=log, stderr=log, env=environment, start_new_session=True))
        yield json.loads(scheduler_file.read_text())["address"], *processes
    finally:
        for process in processes:
            with __import__("contextlib").suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


@needs_dask
@pytest.mark.slow
@pytest.mark.parametrize("fault", ["scheduler", "hang", "workers"])
def test_several_hosts_and_a_cluster_that_disappears(workspace_dir, tmp_path, runner,
                                                     remote_cluster, fault, monkeypatch):
    """The recipe builds what --jobs builds; then the scheduler is killed (kill -9), hangs
    (SIGSTOP: its connections stay open, as when its host drops off the network), or
    every worker process dies for good: the build stops with one line, exit 1, and the
    state holds exactly what was written."""
    address, scheduler, workers = remote_cluster
    local = tmp_path / "local"
    shutil.copytree(workspace_dir, local)
    result = cli(runner, workspace_dir, "build", "--dask", address)
    assert result.exit_code == 0, result.output
    assert cli(runner, local, "build", "--jobs", "2").exit_code == 0
    assert outputs(workspace_dir) == outputs(local)
    if fault == "scheduler":  # and workers that lack a package this machine has
        fake = tmp_path / "site"
        (fake / "fakepkg-1.0.dist-info").mkdir(parents=True)
        (fake / "fakepkg-1.0.dist-info" / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: fakepkg\nVersion: 1.0\n")
        monkeypatch.syspath_prepend(str(fake))
        monkeypatch.setattr("notices.build.dask_cluster.WORKER_PACKAGES",
                            ("notices", "weasyprint", "fakepkg"))
        result = cli(runner, workspace_dir, "build", "--force", "--dask", address)
        assert result.exit_code == 1
        assert re.fullmatch(f"notices: the Dask cluster at {re.escape(address)} runs other "
                            "versions than this machine \\(fakepkg 1.0 here, None on "
                            "tcp://[0-9.:]+\\); install the same notices\\[dask\\] everywhere",
                            result.stderr.strip()), result.stderr

    add_records(workspace_dir, 40)
    if fault == "scheduler":
        process = subprocess.Popen(
            [sys.executable, "-m", "notices", "-C", str(workspace_dir), "build", "--dask",
             address, "--format", "pdf"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        _wait_for_pdfs(workspace_dir, 3, process)
        os.kill(scheduler.pid, signal.SIGKILL)
        stopped = time.monotonic()
        _, stderr = process.communicate(timeout=60)
        assert time.monotonic() - stopped < 15
        assert process.returncode == 1, stderr
        lines = stderr.splitlines()
        assert lines[-1] == "stopped; the next build continues where this one stopped"
        assert re.fullmatch(
            f"notices: the Dask cluster at {re.escape(address)} went away \\(lost the "
            "connection to its scheduler\\); the \\d+ records? in flight (were|was) not "
            "rendered", lines[-2]), lines
        assert "Traceback" not in stderr and not any("distributed" in x for x in lines)
    else:
        monkeypatch.setattr("notices.build.dask_pool.HEALTH_INTERVAL", 1.0)
        monkeypatch.setattr("notices.build.dask_pool.NO_WORKERS_TIMEOUT", 2.0)
        seen = []

        def on_record(record):
            seen.append(record)
            if len(seen) == 3:
                if fault == "hang":
                    os.kill(scheduler.pid, signal.SIGSTOP)
                else:
                    os.killpg(workers.pid, signal.SIGKILL)  # nannies, workers, renderers

        started = time.monotonic()
        report = build(open_workspace(workspace_dir), on_record=on_record,
                       options=BuildOptions(dask=address, formats=("pdf",)))
        assert time.monotonic() - started < 60
        assert report.stopped is not None, report.summary()
        assert report.stopped.format().startswith(
            f"notices: the Dask cluster at {address} went away ("
            + ("its scheduler stopped answering: no reply within 1 s)" if fault == "hang"
               else "no workers for 2 s)")), report.stopped
    assert_state_holds_what_was_written(workspace_dir, runner)
    report = build(open_workspace(workspace_dir), options=BuildOptions(formats=("pdf",)))
    assert not report.failed
    assert sum(1 for r in report.records if r.status == UP_TO_DATE) >= 3
