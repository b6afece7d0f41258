"""Benchmark: notices against a naive baseline, in the same run, on the same machine.

Generates N synthetic notices of one to three pages (paragraphs, lists and tables
varied from the samples), then times whole runs, start-up included, each in a fresh
process and a fresh output folder:

- baseline: ``naive_baseline.py`` (docxtpl + WeasyPrint defaults, one after another)
- notices:  ``notices build --jobs N`` for DOCX, PDF and both

It prints notices per second, the ratios, and the peak memory (max RSS of any process
of the run: for notices that is the larger of the CLI and its workers).

    python benchmarks/bench.py                  # 120 notices, jobs 1 and 2
    python benchmarks/bench.py -n 1000 --only-project --jobs 2
    python benchmarks/bench.py --memory 200,2000  # peak memory growth
    python benchmarks/bench.py --noop 10000        # a rebuild with nothing to do
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

WORDS = ("Quartiersmanagement Stadtteil Maßnahme Verwaltung Förderung Bezirksvertretung "
         "Umsetzung Beteiligung Bewohner*innen Verkehr Planung Straße Gebäude Sanierung "
         "Kosten Haushalt Zuschuss Ausschreibung Vergabe Schule Spielplatz Radweg Lärm "
         "Grünfläche Bebauungsplan Einwohner Antrag Prüfung Ergebnis Zeitraum Fortführung").split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    words[0] = words[0].capitalize()
    if rng.random() < 0.2:
        words[rng.randrange(len(words))] = f"**{rng.choice(WORDS)}**"
    return " ".join(words) + "."


# Characters of facts that fill about one, two or three pages (measured: see the page
# distribution that the benchmark prints).
TARGET_CHARS = {1: 900, 2: 3400, 3: 6300}


def facts(rng: random.Random, pages: int) -> str:
    blocks: list[str] = []
    while sum(len(b) for b in blocks) < TARGET_CHARS[pages]:
        roll = rng.random()
        if roll < 0.15:
            blocks.append("\n".join(f"- {sentence(rng)}" for _ in range(rng.randint(2, 5))))
        elif roll < 0.25:
            blocks.append("\n".join(f"{i}. {sentence(rng)}" for i in range(1, rng.randint(3, 6))))
        elif roll < 0.33:
            rows = "\n".join(f"| {rng.choice(WORDS)} | {rng.randint(1, 99999):,} € | "
                             f"{rng.randint(2020, 2027)} |".replace(",", ".")
                             for _ in range(rng.randint(2, 8)))
            blocks.append("| Maßnahme | Kosten | Jahr |\n|---|--:|--:|\n" + rows)
        else:
            blocks.append(" ".join(sentence(rng) for _ in range(rng.randint(2, 7))))
    return "\n\n".join(blocks)


def make_workspace(root: Path, count: int, seed: int = 1) -> Path:
    from notices.scaffold import init_workspace

    init_workspace(root)
    shutil.rmtree(root / "records" / "2023")  # only the generated notices
    rng = random.Random(seed)
    target = root / "records" / "bench"
    target.mkdir(parents=True)
    for i in range(count):
        pages = 1 + i % 3  # one, two and three pages in equal shares
        body = "\n".join("  " + line if line else "" for line in facts(rng, pages).splitlines())
        (target / f"n{i:05d}.yaml").write_text(
            f"office: Bauamt\nfile_number: 600.{i}\ndate: 18.04.2023\ncontact:\n"
            f"  name: Frau Bültmann\n  phone: 0521 513224\nsession:\n"
            f"  committee: Bezirksvertretung Heepen\n  date: 20.04.2023\n"
            f"  public: {'true' if i % 4 else 'false'}\n"
            f"subject: {rng.choice(WORDS)} – {sentence(rng)}\nfacts: |\n{body}\n"
            f"signatory: Dodenhoff\n", encoding="utf-8")
    return root


def run_child(command: list[str]) -> tuple[float, float]:
    # A fresh interpreter per measurement, so each peak RSS belongs to one run only.
    probe = ("import sys, json, resource, subprocess, time; t=time.perf_counter(); "
             "r=subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
             "stderr=subprocess.PIPE, text=True); e=time.perf_counter()-t; "
             "print(json.dumps([r.returncode, e, resource.getrusage("
             "resource.RUSAGE_CHILDREN).ru_maxrss / 1024, r.stderr[-2000:]]))")
    import json

    out = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True,
                         text=True, check=True).stdout
    code, elapsed, peak, stderr = json.loads(out)
    if code != 0:
        raise SystemExit(f"failed ({code}): {' '.join(command)}\n{stderr}")
    return elapsed, peak


def page_distribution(output: Path) -> str:
    from collections import Counter

    import pypdf

    counts = Counter(len(pypdf.PdfReader(p).pages) for p in output.rglob("*.pdf"))
    return ", ".join(f"{pages} page(s): {n}" for pages, n in sorted(counts.items())) or "-"


def notices_command(workspace: Path, fmt: str, jobs: int) -> list[str]:
    formats = {"docx": "docx", "pdf": "pdf", "both": "docx,pdf"}[fmt]
    return [sys.executable, "-m", "notices", "-C", str(workspace), "build", "--quiet",
            "--force", "--format", formats, "--jobs", str(jobs)]


def fresh_output(workspace: Path) -> None:
    shutil.rmtree(workspace / "output", ignore_errors=True)
    (workspace / "output").mkdir()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=120)
    parser.add_argument("--jobs", default="1,2", help="comma-separated job counts")
    parser.add_argument("--formats", default="docx,pdf,both")
    parser.add_argument("--only-project", action="store_true")
    parser.add_argument("--memory", default=None,
                        help="compare peak memory for these counts, e.g. 200,2000")
    parser.add_argument("--noop", type=int, default=None,
                        help="time a no-op rebuild of this many records (built as DOCX first)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="notices-bench-") as temporary:
        base = Path(temporary)
        if args.noop:
            workspace = make_workspace(base / "noop", args.noop)
            command = [sys.executable, "-m", "notices", "-C", str(workspace), "build",
                       "--quiet", "--format", "docx"]
            elapsed, _ = run_child(command)
            print(f"first build of {args.noop} records (DOCX): {elapsed:.1f} s")
            for attempt in range(3):
                elapsed, peak = run_child(command)
                print(f"no-op rebuild {attempt + 1}: {elapsed:.2f} s (peak {peak:.0f} MB)")
            return
        if args.memory:
            sizes = [int(x) for x in args.memory.split(",")]
            peaks = []
            for size in sizes:
                workspace = make_workspace(base / f"m{size}", size)
                elapsed, peak = run_child(notices_command(workspace, "both", 2))
                peaks.append(peak)
                print(f"{size:>6} notices, DOCX+PDF, --jobs 2: {elapsed:7.1f} s, "
                      f"{size / elapsed:6.1f}/s, peak RSS per process {peak:6.0f} MB")
            print(f"growth {sizes[0]} -> {sizes[-1]}: {100 * (peaks[-1] / peaks[0] - 1):+.1f} %")
            return
        workspace = make_workspace(base / "ws", args.count)
        template = workspace / "templates" / "mitteilung.docx"
        print(f"{args.count} notices; machine: {os.cpu_count()} CPUs; "
              f"python {sys.version.split()[0]}")
        print(f"{'format':<6} {'run':<22} {'seconds':>8} {'notices/s':>10} {'peak MB':>8} "
              f"{'vs baseline':>12}")
        for fmt in args.formats.split(","):
            baseline = None
            if not args.only_project:
                out = base / f"baseline-{fmt}"
                elapsed, peak = run_child([sys.executable, str(HERE / "naive_baseline.py"),
                                           str(workspace / "records"), str(out),
                                           str(template), fmt])
                baseline = elapsed
                print(f"{fmt:<6} {'naive baseline':<22} {elapsed:8.2f} "
                      f"{args.count / elapsed:10.1f} {peak:8.0f} {'1.00x':>12}")
            for jobs in (int(j) for j in args.jobs.split(",")):
                fresh_output(workspace)
                elapsed, peak = run_child(notices_command(workspace, fmt, jobs))
                ratio = f"{baseline / elapsed:.2f}x" if baseline else "-"
                print(f"{fmt:<6} {f'notices --jobs {jobs}':<22} {elapsed:8.2f} "
                      f"{args.count / elapsed:10.1f} {peak:8.0f} {ratio:>12}")
        print("pages per notice (notices' PDFs):", page_distribution(workspace / "output"))


if __name__ == "__main__":
    main()
