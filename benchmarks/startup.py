"""Time from launching `faq-assistant chat` in a pseudo-terminal to its first prompt.

    python benchmarks/startup.py [--runs 10]

A person waits for the prompt, so that is what is timed: spawn the console
script in a real pty (pexpect), answer the terminal's cursor-position requests
like a terminal would, and stop the clock when the "> " prompt is drawn. The
median of several runs is printed next to baselines measured in the same run
(a bare Python start-up, importing the package, a one-shot `ask`), so a slow
or busy machine shows up in the baselines too. Goal: at most 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pexpect

GOAL = 0.5  # seconds from launch to the first prompt
SCRIPT = str(Path(sys.executable).with_name("faq-assistant"))
CPR_REQUEST = re.escape(b"\x1b[6n")


def spawn(command: str, args: list[str], env: dict[str, str]) -> pexpect.spawn:
    return pexpect.spawn(command, args, env=env, dimensions=(40, 160), timeout=30)


def until_prompt(env: dict[str, str]) -> float:
    """Seconds from spawning the chat until its prompt is on screen; then Ctrl-D."""
    started = time.perf_counter()
    child = spawn(SCRIPT, ["chat"], env)
    child.expect_exact(b"Ask away")
    while child.expect([CPR_REQUEST, re.escape(b"> ")]) == 0:
        child.send("\x1b[20;1R")
    elapsed = time.perf_counter() - started
    child.sendcontrol("d")
    while child.expect([CPR_REQUEST, pexpect.EOF]) == 0:
        child.send("\x1b[20;1R")
    child.close()
    return elapsed


def until_exit(command: str, args: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning a command in a pty until it has exited."""
    started = time.perf_counter()
    child = spawn(command, args, env)
    child.expect(pexpect.EOF)
    elapsed = time.perf_counter() - started
    child.close()  # pexpect waits a little here; not the command's time
    return elapsed


def measure(runs: int, probe: Callable[[], float]) -> list[float]:
    probe()  # warm the file cache; not counted
    return [probe() for _ in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as home:
        env = {key: value for key, value in os.environ.items() if key != "FAQ_ASSISTANT_KB"}
        env.update(HOME=home, XDG_STATE_HOME=str(Path(home) / "state"), TERM="xterm-256color")
        probes: dict[str, Callable[[], float]] = {
            "python -c pass (baseline)": lambda: until_exit(sys.executable, ["-c", "pass"], env),
            "python -c 'import assistant.cli'": lambda: until_exit(sys.executable, ["-c", "import assistant.cli"], env),
            "faq-assistant ask (load + one answer)": lambda: until_exit(SCRIPT, ["ask", "are nb made in usa"], env),
            "faq-assistant chat: launch to first prompt": lambda: until_prompt(env),
        }
        print(f"{runs} runs each, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
        print(f"{'':44}{'median':>8}{'min':>8}{'max':>8}")
        results = {name: measure(runs, probe) for name, probe in probes.items()}
    for name, times in results.items():
        print(f"{name:44}{statistics.median(times):8.3f}{min(times):8.3f}{max(times):8.3f}")
    chat = statistics.median(results["faq-assistant chat: launch to first prompt"])
    baseline = statistics.median(results["python -c pass (baseline)"])
    verdict = "within" if chat <= GOAL else "OVER"
    print(f"\nfirst prompt after {chat:.3f} s ({chat - baseline:.3f} s above bare Python): {verdict} the {GOAL} s goal")


if __name__ == "__main__":
    main()
