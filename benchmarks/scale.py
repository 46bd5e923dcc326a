"""How load time, memory, latency and accuracy grow with the knowledge base, against brute force.

    python benchmarks/scale.py [--sizes 1000,10000,100000] [--questions 500] [--baseline-questions 100]

For each size a synthetic knowledge base (benchmarks/synthetic.py: 5 phrasings
per entry, a generated vocabulary) is written as YAML to a temporary folder,
with questions derived from its phrasings (typos, dropped words). Each
measurement runs in a fresh process, so load time and memory are its own:

* assistant, cold: `Assistant.load` with no index cache (it writes one), then
  `ask` on every question (p50/p99 latency), and top-1 accuracy: the share
  answered with the right entry, and the share whose best candidate is right;
* assistant, warm: `Assistant.load` again, reading the index cache;
* brute force: the same YAML loaded, then one `rapidfuzz.process.extractOne`
  (WRatio, default_process) over every phrasing per question; right when the
  phrasing found belongs to the right entry. It takes about a second a question
  at 100k entries, so above 10k entries it answers only the first
  `--baseline-questions` (a random sample); the assistant's accuracy on that same
  sample is printed beside it.

RSS is the process's resident memory after asking (peak in brackets), from
/proc/self/status. Goals at 100k entries: p50 <= 10 ms, p99 <= 30 ms, accuracy
no lower than brute force, load < 20 s, RSS < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import synthetic

GOALS = {"p50": 10.0, "p99": 30.0, "load": 20.0, "rss": 1024.0}  # at 100k entries; ms, ms, s, MB


def memory() -> tuple[float, float]:
    """Resident and peak resident memory of this process, in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def timed(fn: Callable[[str], object], questions: list[str]) -> tuple[list[object], list[float]]:
    """Each question's result and its latency in ms."""
    results, times = [], []
    for question in questions:
        start = time.perf_counter()
        results.append(fn(question))
        times.append((time.perf_counter() - start) * 1000)
    return results, times


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_assistant(kb: Path, cases: list[tuple[str, str]], ask: bool, sample: int) -> dict[str, float]:
    from assistant import Assistant

    start = time.perf_counter()
    bot = Assistant.load(kb)
    figures = {"load": time.perf_counter() - start}
    if ask:
        bot.ask("wher is the ordr")  # warm up: the first correction reads the English word list
        replies, times = timed(bot.ask, [q for q, _ in cases])
        figures |= {"p50": statistics.median(times), "p99": percentile(times, 0.99)}
        figures["answered"] = sum(r.entry_id == e for r, (_, e) in zip(replies, cases, strict=True)) / len(cases)
        tops = [bot.explain(q).candidates[:1] for q, _ in cases]
        right = [bool(t) and t[0].entry_id == e for t, (_, e) in zip(tops, cases, strict=True)]
        figures["top1"] = sum(right) / len(cases)
        figures["top1_sample"] = sum(right[:sample]) / len(right[:sample])
    figures["rss"], figures["peak"] = memory()
    return figures


def run_brute(kb: Path, cases: list[tuple[str, str]]) -> dict[str, float]:
    from rapidfuzz import fuzz, process, utils

    from assistant.knowledge import load

    start = time.perf_counter()
    entries = load(kb).entries
    phrasings = [p for e in entries for p in e.phrasings]
    owners = [e.id for e in entries for _ in e.phrasings]
    figures = {"load": time.perf_counter() - start}

    def brute(question: str) -> object:
        return process.extractOne(question, phrasings, scorer=fuzz.WRatio, processor=utils.default_process)

    found, times = timed(brute, [q for q, _ in cases])
    right = sum(f is not None and owners[f[2]] == e for f, (_, e) in zip(found, cases, strict=True))  # type: ignore[index]
    figures |= {"p50": statistics.median(times), "p99": percentile(times, 0.99), "top1": right / len(cases)}
    figures["rss"], figures["peak"] = memory()
    return figures


def worker(args: argparse.Namespace) -> None:
    """One measurement in this (fresh) process; prints its figures as JSON."""
    cases = [tuple(c) for c in json.loads(Path(args.cases).read_text(encoding="utf-8"))]
    if args.worker == "brute":
        figures = run_brute(Path(args.kb), cases[: args.sample])  # type: ignore[arg-type]
    else:
        figures = run_assistant(Path(args.kb), cases, args.worker == "cold", args.sample)  # type: ignore[arg-type]
    print(json.dumps(figures))


def measure(kind: str, kb: Path, cases: Path, sample: int, env: dict[str, str]) -> dict[str, float]:
    command = [sys.executable, __file__, "--worker", kind, "--kb", str(kb), "--cases", str(cases)]
    command += ["--sample", str(sample)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        raise SystemExit(f"{kind} worker failed:\n{done.stderr}")
    return json.loads(done.stdout)


def row(name: str, f: dict[str, float]) -> str:
    latency = f"{f['p50']:8.2f} {f['p99']:8.2f}" if "p50" in f else f"{'-':>8} {'-':>8}"
    accuracy = f"{f['top1']:7.1%}" if "top1" in f else f"{'-':>7}"
    answered = f" (answered right {f['answered']:.1%})" if "answered" in f else ""
    return f"  {name:18s} {f['load']:8.2f} {f['rss']:7.0f} ({f['peak']:.0f}) {latency} {accuracy}{answered}"


def run_size(size: int, args: argparse.Namespace, folder: Path, env: dict[str, str]) -> dict[str, dict[str, float]]:
    count, seed = args.questions, args.seed
    sample = count if size <= 10_000 else min(count, args.baseline_questions)
    entries = synthetic.generate(size, seed)
    kb = folder / f"kb-{size}"
    kb.mkdir()
    (kb / "kb.yaml").write_text(synthetic.to_yaml(entries), encoding="utf-8")
    cases = folder / f"cases-{size}.json"
    cases.write_text(json.dumps(synthetic.questions(entries, count, seed)), encoding="utf-8")
    results = {"assistant (cold)": measure("cold", kb, cases, sample, env)}
    results["assistant (warm)"] = measure("warm", kb, cases, sample, env)
    results["brute force"] = measure("brute", kb, cases, sample, env)
    print(f"\n{size:,} entries ({5 * size:,} phrasings), {count} questions (brute force: {sample})")
    print(f"  {'':18s} {'load s':>8} {'RSS MB (peak)':>13} {'p50 ms':>8} {'p99 ms':>8} {'top-1':>7}")
    for name, figures in results.items():
        print(row(name, figures))
    if sample < count:
        ours, brute = results["assistant (cold)"]["top1_sample"], results["brute force"]["top1"]
        print(f"  top-1 on the {sample} questions both answered: assistant {ours:.1%}, brute force {brute:.1%}")
    return results


def verdict(results: dict[str, dict[str, float]]) -> str:
    ours, brute = results["assistant (cold)"], results["brute force"]
    checks = {
        "p50": ours["p50"] <= GOALS["p50"], "p99": ours["p99"] <= GOALS["p99"],
        "load": ours["load"] < GOALS["load"], "rss": ours["peak"] < GOALS["rss"],
        "accuracy": ours["top1_sample"] >= brute["top1"],
    }
    return ", ".join(f"{k} {'met' if ok else 'NOT met'}" for k, ok in checks.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="entry counts, comma-separated")
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--baseline-questions", type=int, default=100, help="brute-force sample above 10k entries")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sample", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=("cold", "warm", "brute"), help=argparse.SUPPRESS)
    parser.add_argument("--kb", help=argparse.SUPPRESS)
    parser.add_argument("--cases", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    load = os.getloadavg()[0]
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, load average {load:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="faq-scale-") as temporary:
        folder = Path(temporary)
        env = {**os.environ, "XDG_CACHE_HOME": str(folder / "xdg")}  # never touch the real cache folder
        for size in (int(s) for s in args.sizes.split(",")):
            results = run_size(size, args, folder, env)
            if size >= 100_000:
                print(f"  goals at {size:,}: {verdict(results)}")
    return None


if __name__ == "__main__":
    main()
