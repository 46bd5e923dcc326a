"""Benchmark `faq-assistant batch` against a Python loop over `Assistant.ask`.

    python benchmarks/batch.py                  # 100k questions; peak memory at 100k and 1M lines
    python benchmarks/batch.py --big 0          # skip the 1M-line memory run
    python benchmarks/batch.py --workers 1      # one process

Questions are sampled from tests/data/dev_set.csv with seeded perturbations
(typos, case, punctuation, extra words), the way people really type them. The
batch runs as a subprocess (the installed command, timed end to end: start-up,
loading, reading, answering, writing); the loop runs in this process on a
sample of the same questions and is extrapolated, because a full loop takes
minutes. Peak memory is measured per run in a fresh wrapper process: the
largest single process (ru_maxrss of its children) and the whole process tree
(the sum of PSS, which counts pages shared between the pool's processes once;
sampled every 50 ms).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT / "tests" / "data" / "dev_set.csv"
BEFORE = ("hi ", "hey, ", "quick question: ", "so ", "um ", "hello! ", "pls tell me ", "ok so ")
AFTER = (" thanks", " please", " lol", " asap", " ty", " for my dad", " honestly", " thx!!")
ENDINGS = ("", "?", "??", "!", ".", " ?", "???")

# Runs a command, and reports its wall time, the largest process's peak RSS and the tree's peak PSS.
MEASURE = r"""
import json, os, resource, subprocess, sys, time

def tree_rss(root):
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    parents[int(name)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo += [child for child, parent in parents.items() if parent == pid]
    total = 0
    for pid in tree:  # proportional set size: pages shared after fork are counted once, not per process
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, StopIteration):
            pass
    return total

start = time.perf_counter()
process = subprocess.Popen(sys.argv[1:])
peak = 0
while process.poll() is None:
    peak = max(peak, tree_rss(process.pid))
    time.sleep(0.05)
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = usage.ru_utime + usage.ru_stime
result = {"code": process.returncode, "seconds": seconds, "cpu": cpu, "maxrss_kb": usage.ru_maxrss, "tree_kb": peak}
print(json.dumps(result))
"""


def dev_questions() -> list[str]:
    with DEV_SET.open(encoding="utf-8", newline="") as handle:
        return [row["question"] for row in csv.DictReader(handle)]


def typo(rng: random.Random, text: str) -> str:
    """Drop, swap or double one letter of one longer word."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) > 3 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    word, k = words[i], rng.randrange(1, len(words[i]) - 1)
    words[i] = rng.choice((word[:k] + word[k + 1 :], word[:k] + word[k + 1] + word[k] + word[k + 2 :],
                           word[:k] + word[k] + word[k:]))
    return " ".join(words)


def perturb(rng: random.Random, text: str) -> str:
    """Zero to two of: a case change, other punctuation, a typo, a word or two before or after."""
    for _ in range(rng.randrange(3)):
        kind = rng.randrange(4)
        if kind == 0:
            text = rng.choice((str.lower, str.upper, str.capitalize))(text)
        elif kind == 1:
            text = text.rstrip("?!. ") + rng.choice(ENDINGS)
        elif kind == 2:
            text = typo(rng, text)
        else:
            text = rng.choice(BEFORE) + text if rng.random() < 0.5 else text + rng.choice(AFTER)
    return text


def write_questions(path: Path, count: int, seed: int) -> tuple[list[str], int]:
    """A CSV of `count` perturbed questions with an id column; the first 100,000 and how many are distinct."""
    rng, source, kept, seen = random.Random(seed), dev_questions(), [], set()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "question"])
        for n in range(count):
            question = perturb(rng, rng.choice(source))
            writer.writerow([n, question])
            seen.add(hash(question))
            if n < 100_000:
                kept.append(question)
    return kept, len(seen)


def command() -> list[str]:
    script = Path(sys.executable).with_name("faq-assistant")
    return [str(script)] if script.exists() else [sys.executable, "-m", "assistant"]


def measure(args: list[str]) -> dict[str, float]:
    output = subprocess.run([sys.executable, "-c", MEASURE, *args], capture_output=True, text=True, check=True)
    result = json.loads(output.stdout.strip().splitlines()[-1])
    if result["code"] != 0:
        raise SystemExit(f"batch failed with exit {result['code']}: {output.stderr[-2000:]}")
    return result


def run_batch(source: Path, workers: int | None) -> dict[str, float]:
    extra = ["--workers", str(workers)] if workers else []
    return measure([*command(), "batch", str(source), "-o", str(source.with_suffix(".out.csv")), "--quiet", *extra])


def loop_rate(questions: list[str], sample: int) -> float:
    """Questions per second of `for q in questions: bot.ask(q)`, timed on a sample."""
    from assistant import Assistant

    bot = Assistant.load()
    bot.ask("warm up the spelling word list: mall")
    chosen = questions[:sample]
    start = time.perf_counter()
    for question in chosen:
        bot.ask(question)
    return len(chosen) / (time.perf_counter() - start)


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    return sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]


def memory_line(label: str, result: dict[str, float]) -> str:
    return (f"{label}: {result['seconds']:.1f} s, peak RSS {result['maxrss_kb'] / 1024:.0f} MB (largest process), "
            f"{result['tree_kb'] / 1024:.0f} MB (whole process tree, PSS sampled)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="questions for the speed run (default 100,000)")
    parser.add_argument("--big", type=int, default=1_000_000, help="lines for the memory run (0 skips it)")
    parser.add_argument("--sample", type=int, default=5_000, help="questions timed in the ask loop (default 5,000)")
    parser.add_argument("--workers", type=int, default=None, help="batch --workers (default: the command's default)")
    parser.add_argument("--repeat", type=int, default=3, help="speed runs of each kind; the median counts (default 3)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="faq-batch-bench-") as folder:
        source = Path(folder) / "questions.csv"
        questions, distinct = write_questions(source, args.n, args.seed)
        print(f"{args.n:,} questions, {distinct / args.n:.0%} distinct texts")
        runs = [run_batch(source, args.workers) for _ in range(args.repeat)]
        batch = median_run(runs)
        batch_rate = args.n / batch["seconds"]
        loop = statistics.median([loop_rate(questions, args.sample) for _ in range(args.repeat)])
        times = ", ".join(f"{run['seconds']:.1f}" for run in runs)
        print(f"batch: {batch_rate:,.0f} questions/s (median of {args.repeat} runs of {times} s end to end, "
              f"start-up included; {batch['cpu']:.1f} CPU-s)")
        print(f"loop over Assistant.ask: {loop:,.0f} questions/s (median of {args.repeat}, each timed on "
              f"{args.sample:,} and extrapolated: {args.n / loop:.0f} s for {args.n:,})")
        print(f"batch / loop: {batch_rate / loop:.1f}x")
        print(memory_line(f"memory at {args.n:,} lines", max(runs, key=lambda run: run["maxrss_kb"])))
        if args.big:
            distinct = write_questions(source, args.big, args.seed)[1]
            big = run_batch(source, args.workers)
            print(f"{args.big:,} questions, {distinct / args.big:.0%} distinct texts: {args.big / big['seconds']:,.0f} "
                  "questions/s")
            print(memory_line(f"memory at {args.big:,} lines", big))


if __name__ == "__main__":
    main()
