"""Shared fixtures: one loaded assistant, and an in-process CLI runner."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.cli import Streams, main

DATA = Path(__file__).parent / "data"
# The benchmarks' generators are importable in tests; appended, so the *installed*
# `assistant` package still wins over the source tree.
sys.path.append(str(Path(__file__).parent.parent))


@pytest.fixture(scope="session")
def bot() -> Assistant:
    return Assistant.load()


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli():
    """Run `faq-assistant ARGS...` in-process with captured streams."""

    def run(*args: str, stdin: str = "") -> Result:
        out, err = io.StringIO(), io.StringIO()
        try:
            code = main(list(args), Streams(io.StringIO(stdin), out, err))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        return Result(code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture
def write_kb(tmp_path: Path):
    """Write a small knowledge file and return its path."""

    def write(text: str, name: str = "kb.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
