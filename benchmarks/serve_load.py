"""Load on ``notices serve``: many clients on 127.0.0.1 over the overview and the previews.

    python benchmarks/serve_load.py                      # 50 clients, 30 s
    python benchmarks/serve_load.py --clients 10 --seconds 5

The real server (``notices serve --no-browser --port 0``, one process, as a clerk runs
it) over a fresh copy of the sample workspace whose papers were built first, so the
pages measured do not re-render (a preview then only checks that its record is still
current). Each client is an asyncio task with its own keep-alive connection that
requests the next page as soon as the last one answered; the pages alternate between
the overview and the preview of each paper in turn. Reported per page: requests,
requests/s, p50, p95 and max latency, and errors (any status but 200, or a failed
connection). The loop is bounded by time and by --max-requests, and only ever talks to
127.0.0.1.

Why a few lines of asyncio rather than a load tool (Locust) or httpx: the clients share
the machine's two cores with the server, so they must cost far less than the server's
own work per request. Measured here, httpx's client spent about 2 ms of CPU per request
against the server's 0.4 ms, so it measured itself (p95 373 ms while the server idled
at 15 % CPU); Locust's gevent workers are heavier still. A keep-alive HTTP/1.1 GET
that reads Content-Length bytes is all these pages need, and it is what is timed.
The warm-up uses httpx (test extra), the load does not.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
URL = re.compile(r"at (http://127\.0\.0\.1:\d+/)")


def sample_workspace(root: Path) -> Path:
    subprocess.run([sys.executable, "-m", "notices", "init", str(root)], check=True,
                   capture_output=True)
    shutil.rmtree(root / "records")
    shutil.copytree(REPO / "records", root / "records")
    shutil.copytree(REPO / "sessions", root / "sessions")
    shutil.copy(REPO / "notices.toml", root / "notices.toml")
    return root


def start_server(root: Path, log: Path) -> tuple[subprocess.Popen, str]:
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "notices", "serve", "--no-browser",
                                    "--port", "0"], cwd=root, stdout=out,
                                   stderr=subprocess.STDOUT,
                                   env=dict(os.environ, PYTHONUNBUFFERED="1"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = URL.search(log.read_text(errors="replace"))
        if match:
            return process, match.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise SystemExit(f"notices serve did not start:\n{log.read_text(errors='replace')}")


def cpu_seconds(pid: int) -> float:
    """The CPU time a process used so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


class Connection:
    """One keep-alive HTTP/1.1 connection: GET a path, read the whole answer."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {quote(path)} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                          "Accept: text/html\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        if length is None:
            raise ConnectionError("an answer without Content-Length")
        await self.reader.readexactly(int(length.group(1)))
        if re.search(rb"(?im)^connection:\s*close", head):
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def load(url: str, pages: list[tuple[str, str]], *, clients: int, seconds: float,
               max_requests: int) -> dict[str, dict]:
    host, port = url.split("//")[1].rstrip("/").split(":")
    results = {name: {"latencies": [], "errors": 0, "statuses": {}} for name, _ in
               dict.fromkeys(pages)}
    budget = {"left": max_requests}
    deadline = time.monotonic() + seconds

    async def client(number: int) -> None:
        connection = Connection(host, int(port))
        index = number
        while time.monotonic() < deadline and budget["left"] > 0:
            budget["left"] -= 1
            name, path = pages[index % len(pages)]
            index += 1
            started = time.perf_counter()
            try:
                status = await connection.get(path)
            except (OSError, asyncio.IncompleteReadError, ConnectionError) as error:
                status = type(error).__name__
                connection.close()
            elapsed = time.perf_counter() - started
            entry = results[name]
            entry["latencies"].append(elapsed)
            entry["statuses"][status] = entry["statuses"].get(status, 0) + 1
            if status != 200:
                entry["errors"] += 1
        connection.close()

    started = time.monotonic()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.monotonic() - started
    for entry in results.values():
        entry["seconds"] = elapsed
    return results


def report(results: dict[str, dict], clients: int) -> str:
    lines = ["| page | requests | requests/s | p50 ms | p95 ms | max ms | errors |",
             "|---|--:|--:|--:|--:|--:|--:|"]
    for name, entry in results.items():
        lat = entry["latencies"]
        lines.append(f"| {name} | {len(lat)} | {len(lat) / entry['seconds']:.0f} | "
                     f"{percentile(lat, .5) * 1000:.0f} | {percentile(lat, .95) * 1000:.0f} | "
                     f"{max(lat, default=0) * 1000:.0f} | {entry['errors']} |")
    every = [x for entry in results.values() for x in entry["latencies"]]
    seconds = next(iter(results.values()))["seconds"]
    lines.append(f"| all ({clients} clients) | {len(every)} | {len(every) / seconds:.0f} | "
                 f"{percentile(every, .5) * 1000:.0f} | {percentile(every, .95) * 1000:.0f} | "
                 f"{max(every, default=0) * 1000:.0f} | "
                 f"{sum(e['errors'] for e in results.values())} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--max-requests", type=int, default=500_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        root = sample_workspace(Path(scratch) / "ws")
        # Build first: the pages measured are those that do not re-render.
        subprocess.run([sys.executable, "-m", "notices", "-C", str(root), "build", "-q"],
                       capture_output=True)
        records = sorted(p.relative_to(root).as_posix() for p in (root / "records").rglob("*")
                         if p.suffix in (".yaml", ".md"))
        process, url = start_server(root, Path(scratch) / "serve.log")
        try:
            import httpx

            with httpx.Client(timeout=120) as http:  # warm: each preview checked once
                for path in ["/"] + [f"/vorschau/{r}" for r in records]:
                    http.get(url.rstrip("/") + path).raise_for_status()
            pages = []
            for record in records:
                pages += [("Übersicht", "/"), ("Vorschau", f"/vorschau/{record}")]
            cpu_before = cpu_seconds(process.pid)
            results = asyncio.run(load(url, pages, clients=args.clients, seconds=args.seconds,
                                       max_requests=args.max_requests))
            server_cpu = cpu_seconds(process.pid) - cpu_before
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
    print(f"notices serve, {args.clients} clients, {args.seconds:g} s, {len(records)} papers "
          f"(previews: {', '.join(Path(r).name for r in records[:3])}, …)")
    print(report(results, args.clients))
    statuses = {k: v for e in results.values() for k, v in e["statuses"].items() if k != 200}
    if statuses:
        print(f"non-200 answers: {statuses}")
    requests = sum(len(e["latencies"]) for e in results.values())
    print(f"server CPU: {server_cpu:.1f} s for {requests} requests "
          f"({server_cpu / max(requests, 1) * 1000:.2f} ms each)")
    print("median per page: " + ", ".join(
        f"{name} {statistics.median(e['latencies']) * 1000:.0f} ms"
        for name, e in results.items() if e["latencies"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
