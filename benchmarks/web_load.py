"""Load test for the web API: concurrent clients on loopback against real servers.

    python benchmarks/web_load.py [--clients 16] [--duration 10] [--servers serve,gunicorn,gunicorn-nocache]

Starts each server on a free port, waits for /healthz, warms it up, then runs
N client threads (http.client, keep-alive where the server allows it) that
POST a mix of dev-set questions to /api/ask for a fixed time. Prints
requests/s, p50/p99 latency and the error count per server. The clients run
on the same machine, so they compete with the server for the CPU: the
figures are a floor, not a ceiling. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT / "tests" / "data" / "dev_set.csv"
BIN = Path(sys.executable).parent
MAX_CLIENTS, MAX_DURATION = 64, 60.0  # keep a run bounded whatever the arguments
HEADERS = {"Content-Type": "application/json"}


def server_command(name: str, port: int, threads: int) -> list[str]:
    """How to start each server under test (waitress via `serve`, or gunicorn with 2 workers)."""
    gunicorn = [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    commands = {
        "serve": [str(BIN / "faq-assistant"), "serve", "--port", str(port), "--threads", str(threads)],
        "gunicorn": [*gunicorn, "assistant.web:create_app()"],
        "gunicorn-nocache": [*gunicorn, "assistant.web:create_app(cache_size=0)"],
        "gunicorn-gthread": [*gunicorn, "-k", "gthread", "--threads", str(threads), "assistant.web:create_app()"],
    }
    return commands[name]


@dataclass
class Tally:
    """One client's results; merged after the run, so no locking is needed."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0


def bodies() -> list[bytes]:
    with DEV_SET.open(encoding="utf-8", newline="") as handle:
        return [json.dumps({"question": row["question"]}).encode() for row in csv.DictReader(handle)]


def client(port: int, work: list[bytes], offset: int, until: float, tally: Tally) -> None:
    """Ask questions back to back until `until`, reconnecting when the server closes."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    n = offset
    while time.perf_counter() < until:
        body = work[n % len(work)]
        n += 7  # stride through the set so clients do not ask in lockstep
        start = time.perf_counter()
        try:
            connection.request("POST", "/api/ask", body, HEADERS)
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            connection.close()
        tally.latencies.append(time.perf_counter() - start)
        tally.errors += not ok
    connection.close()


def run_load(port: int, clients: int, seconds: float, work: list[bytes]) -> tuple[list[Tally], float]:
    tallies = [Tally() for _ in range(clients)]
    start = time.perf_counter()
    until = start + seconds
    threads = [
        threading.Thread(target=client, args=(port, work, i * 13, until, tallies[i]), daemon=True)
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tallies, time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_up(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not come up")


def report(name: str, tallies: list[Tally], elapsed: float) -> str:
    latencies = sorted(x for t in tallies for x in t.latencies)
    errors = sum(t.errors for t in tallies)
    if not latencies:
        return f"{name:<18} no requests completed"
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return (
        f"{name:<18}{len(latencies):>9}{len(latencies) / elapsed:>10.0f}{cuts[49] * 1000:>9.1f}"
        f"{cuts[98] * 1000:>9.1f}{latencies[-1] * 1000:>9.1f}{errors:>8}"
    )


def bench(name: str, args: argparse.Namespace, work: list[bytes]) -> str:
    port = free_port()
    command = server_command(name, port, args.threads)
    # waitress warns "Task queue depth" whenever all its threads are busy: expected here, so silenced.
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_up(port, process)
        run_load(port, args.clients, args.warmup, work)  # fill caches, start threads and workers
        tallies, elapsed = run_load(port, args.clients, args.duration, work)
        return report(name, tallies, elapsed)
    finally:
        process.terminate()
        process.wait(timeout=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help=f"concurrent clients (max {MAX_CLIENTS})")
    parser.add_argument("--duration", type=float, default=10.0, help=f"seconds per server (max {MAX_DURATION:.0f})")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load first")
    parser.add_argument("--threads", type=int, default=4, help="waitress threads for `serve`")
    parser.add_argument("--servers", default="serve,gunicorn,gunicorn-nocache", help="comma-separated")
    args = parser.parse_args()
    args.clients = max(1, min(args.clients, MAX_CLIENTS))
    args.duration = max(1.0, min(args.duration, MAX_DURATION))
    args.warmup = max(0.0, min(args.warmup, MAX_DURATION))
    work = bodies()
    print(f"{args.clients} clients x {args.duration:.0f} s, {len(work)} dev-set questions, POST /api/ask")
    print(f"{'server':<18}{'requests':>9}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}")
    for name in args.servers.split(","):
        print(bench(name.strip(), args, work), flush=True)


if __name__ == "__main__":
    main()
