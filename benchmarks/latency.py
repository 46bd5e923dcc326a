"""Per-question latency of `Assistant.ask` against one raw rapidfuzz call, and `ask` wall time.

    python benchmarks/latency.py [--rounds 5]

Both measurements run in this process on the same questions (tests/data/dev_set.csv),
so machine noise affects them alike; the ratio is the figure to watch (goal: <= 3x).
The command-line figure times `faq-assistant ask` end to end (goal: <= 0.3 s) next to
a bare `python -c pass` start-up measured in the same run.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from assistant import Assistant

ROOT = Path(__file__).parent.parent


def per_call(fn, questions: list[str], rounds: int) -> float:
    """Median seconds per call over every question, repeated `rounds` times."""
    times = []
    for _ in range(rounds):
        for question in questions:
            start = time.perf_counter()
            fn(question)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def wall(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with (ROOT / "tests" / "data" / "dev_set.csv").open(encoding="utf-8") as handle:
        questions = [row["question"] for row in csv.DictReader(handle)]
    bot = Assistant.load()
    phrasings = [p for entry in bot.knowledge.entries for p in entry.phrasings]

    def raw(question: str) -> object:
        return process.extractOne(question, phrasings, scorer=fuzz.WRatio, processor=utils.default_process)

    per_call(bot.ask, questions, 1)  # warm up (loads the English word list once)
    ours, baseline = per_call(bot.ask, questions, args.rounds), per_call(raw, questions, args.rounds)
    print(f"questions: {len(questions)} x {args.rounds} rounds, phrasings: {len(phrasings)}")
    print(f"Assistant.ask median:       {ours * 1000:.3f} ms")
    print(f"raw extractOne(WRatio):     {baseline * 1000:.3f} ms")
    print(f"ratio ask / raw:            {ours / baseline:.2f}x (goal <= 3x)")
    script = str(Path(sys.executable).with_name("faq-assistant"))
    python = wall([sys.executable, "-c", "pass"], 10)
    plain = wall([script, "ask", "are new balance shoes made in the usa"], 10)
    typo = wall([script, "ask", "r nb kicks manufacured stateside"], 10)
    print(f"python -c pass:             {python:.3f} s")
    print(f"faq-assistant ask (clean):  {plain:.3f} s (goal <= 0.3 s)")
    print(f"faq-assistant ask (typos):  {typo:.3f} s (also reads the English word list)")


if __name__ == "__main__":
    main()
