"""Streaming writers of answered rows (CSV, JSONL, JSON), and atomic output files.

Writers emit rows a chunk at a time, so memory stays flat however many rows
there are. An output file is written beside its final name and renamed into
place at the end, so an interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol, TextIO

from assistant.errors import UsageError

OUTPUT_FORMATS = ("csv", "jsonl", "json")
JSON_MEMO = 4096  # list and object cells whose JSON text is remembered


class Writer(Protocol):
    def write(self, rows: list[dict[str, Any]]) -> None: ...

    def close(self) -> None: ...


class CsvWriter:
    """CSV (excel dialect); lists and objects are written as JSON text in their cell.

    The header is the union of the first batch's keys; keys first seen later
    cannot be added to a CSV header, so they are dropped (`dropped` names them).
    Rows for the same answer share their suggestion lists, so each list's JSON
    is remembered by identity (holding the list, so the identity stays its own).
    """

    def __init__(self, handle: TextIO):
        self._writer = csv.writer(handle)
        self._columns: list[str] = []
        self._json: dict[int, tuple[Any, str]] = {}
        self.dropped: set[str] = set()

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not self._columns and rows:
            self._columns = list(dict.fromkeys(key for row in rows for key in row))
            self._writer.writerow(self._columns)
        known = set(self._columns)
        for row in rows:
            if not known.issuperset(row):
                self.dropped.update(row.keys() - known)
        cell, columns = self._cell, self._columns
        self._writer.writerows([v if v.__class__ is str else cell(v) for v in map(row.get, columns)] for row in rows)

    def _cell(self, value: Any) -> Any:
        if value is None:
            return ""
        if not isinstance(value, (list, dict)):
            return value
        seen = self._json.get(id(value))
        if seen is not None and seen[0] is value:
            return seen[1]
        if len(self._json) >= JSON_MEMO:
            self._json.clear()
        text = json.dumps(value, ensure_ascii=False)
        self._json[id(value)] = (value, text)
        return text

    def close(self) -> None:
        """Nothing to finish: CSV has no closing bracket."""


class JsonlWriter:
    """One JSON object per line."""

    def __init__(self, handle: TextIO):
        self._handle = handle

    def write(self, rows: list[dict[str, Any]]) -> None:
        self._handle.write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))

    def close(self) -> None:
        """Nothing to finish: every line is complete on its own."""


class JsonWriter:
    """A JSON array written element by element, so it never sits in memory whole."""

    def __init__(self, handle: TextIO):
        self._handle = handle
        self._separator = "[\n"

    def write(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self._handle.write(self._separator + json.dumps(row, ensure_ascii=False))
            self._separator = ",\n"

    def close(self) -> None:
        self._handle.write("[]\n" if self._separator == "[\n" else "\n]\n")


def make_writer(fmt: str, handle: TextIO) -> CsvWriter | JsonlWriter | JsonWriter:
    return {"csv": CsvWriter, "jsonl": JsonlWriter, "json": JsonWriter}[fmt](handle)


@contextmanager
def atomic_output(path: str) -> Iterator[TextIO]:
    """A file that appears at `path` only when the block completes; on any exit otherwise it vanishes.

    The data goes to a hidden temporary file in the same directory (so the
    final rename is atomic) and replaces `path` at the end; an interrupted
    run leaves `path` as it was.
    """
    target = Path(path)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    handle = open(fd, "w", encoding="utf-8", errors="replace", newline="")  # noqa: SIM115
    try:
        yield handle
        handle.close()
        os.replace(temp, target)
    finally:
        handle.close()
        temp.unlink(missing_ok=True)


@contextmanager
def open_output(path: str | None, stdout: TextIO) -> Iterator[TextIO]:
    """Where rows go: OUTPUT atomically (see `atomic_output`), or stdout as UTF-8 when there is none."""
    if path not in (None, "-"):
        with atomic_output(str(path)) as handle:
            yield handle
        return
    buffer = getattr(stdout, "buffer", None)
    if buffer is None:
        yield stdout
        return
    stdout.flush()
    wrapper = io.TextIOWrapper(buffer, encoding="utf-8", errors="replace", newline="")
    try:
        yield wrapper
    finally:
        try:
            wrapper.flush()
        finally:
            with suppress(OSError, ValueError):  # already failed above (a closed pipe); the buffer is not ours
                wrapper.detach()
