"""Streaming readers of question files (text, CSV, JSONL), for `faq-assistant batch`.

Readers turn a text stream into `Record`s one at a time, so memory stays flat
however long the file is. A reader never raises for one bad line: the line
becomes a `Record` with an `error`, and the batch decides what to do with it
(answer nothing, report it, carry on). Only problems with the whole file (it
cannot be opened, a CSV without the question column) are errors.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple, TextIO

from assistant.errors import InputError

INPUT_FORMATS = ("txt", "csv", "jsonl")
SNIFF_CHARS = 64 * 1024  # enough lines to tell the dialect, little enough to sniff quickly
FIELD_LIMIT = 16 * 1024 * 1024  # characters; above the csv default (128 KB) so long cells become error rows
DELIMITERS = ",;\t|"  # what csv.Sniffer may choose; letters or spaces are never a real delimiter
UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, as surrogateescape keeps them
NOT_UTF8 = "not valid UTF-8 (is the file in another encoding?)"


class Record(NamedTuple):
    """One input row: its first line number, its fields, and why it is unusable (if it is).

    A named tuple rather than a dataclass: one is made per input line, and
    tuples are the cheapest to make.
    """

    line: int
    fields: Mapping[str, Any] = MappingProxyType({})
    error: str | None = None
    blank: bool = False


def guess_format(path: str | None, formats: tuple[str, ...], default: str) -> str:
    """The format named by a file's extension (`.tsv` reads as CSV), else `default`."""
    suffix = Path(path).suffix.lower().lstrip(".") if path and path != "-" else ""
    suffix = {"tsv": "csv", "ndjson": "jsonl"}.get(suffix, suffix)
    return suffix if suffix in formats else default


@contextmanager
def open_input(path: str, stdin: TextIO) -> Iterator[TextIO]:
    """A text stream over INPUT (`-` is stdin), UTF-8 with or without a BOM, newlines untranslated.

    Undecodable bytes are kept as surrogate escapes so one bad line becomes one
    error row instead of ending the run. Stdin is borrowed, never closed.
    """
    if path != "-":
        try:
            handle = open(path, encoding="utf-8-sig", errors="surrogateescape", newline="")  # noqa: SIM115
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
        with handle:
            yield handle
        return
    buffer = getattr(stdin, "buffer", None)
    if buffer is None:  # an in-memory stream (tests, embedding)
        yield stdin
        return
    wrapper = io.TextIOWrapper(buffer, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        yield wrapper
    finally:
        wrapper.detach()


def count_lines(path: str) -> int | None:
    """Lines in a regular file (for the progress bar's ETA); None for stdin and pipes."""
    if path == "-" or not os.path.isfile(path):
        return None
    with open(path, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


def read_records(handle: TextIO, fmt: str, field_name: str, source: str) -> Iterator[Record]:
    readers = {"txt": read_txt, "csv": read_csv, "jsonl": read_jsonl}
    return readers[fmt](handle, field_name, source)


def read_txt(handle: Iterable[str], field_name: str, source: str = "") -> Iterator[Record]:
    """One question per line; blank lines are reported as blank records (skipped and counted)."""
    for line, raw in enumerate(handle, 1):
        text, valid = _valid_utf8(raw.rstrip("\r\n").lstrip("\ufeff") if line == 1 else raw.rstrip("\r\n"))
        if not text.strip():
            yield Record(line, blank=True)
        else:
            yield Record(line, {field_name: text}, None if valid else NOT_UTF8)


def read_jsonl(handle: Iterable[str], field_name: str, source: str = "") -> Iterator[Record]:
    """One JSON object per line; an unparseable line or a non-object is an error record."""
    for line, raw in enumerate(handle, 1):
        text, valid = _valid_utf8(raw)
        if not text.strip():
            yield Record(line, blank=True)
            continue
        if not valid:
            yield Record(line, error=NOT_UTF8)
            continue
        try:
            value = json.loads(text.lstrip("\ufeff") if line == 1 else text)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield Record(line, error=f"invalid JSON: {getattr(exc, 'msg', 'nested too deeply')}")
            continue
        yield Record(line, value) if isinstance(value, dict) else Record(line, error="not a JSON object")


def read_csv(handle: TextIO, field_name: str, source: str = "") -> Iterator[Record]:
    """CSV in any dialect csv.Sniffer recognises; the header must name the question column."""
    sample = _sample_lines(handle)
    lines = chain(sample, handle)
    old_limit = csv.field_size_limit(FIELD_LIMIT)
    try:
        reader = csv.reader(lines, _dialect("".join(sample), field_name))
        header = _header(reader, field_name, source)
        yield from _csv_records(reader, header) if header else ()
    finally:
        csv.field_size_limit(old_limit)


def _sample_lines(handle: TextIO) -> list[str]:
    lines: list[str] = []
    size = 0
    for text in handle:
        lines.append(text.lstrip("\ufeff") if not lines else text)
        size += len(text)
        if size >= SNIFF_CHARS:
            break
    return lines


def _dialect(sample: str, field_name: str) -> type[csv.Dialect]:
    """The sniffed dialect, unless plain CSV (excel) finds the question column and it does not.

    The sniffer guesses from character counts, so a one-column file of
    questions full of semicolons can look semicolon-delimited; the header
    settles it.
    """
    sample = sample[:SNIFF_CHARS]
    try:
        sniffed = csv.Sniffer().sniff(sample[: sample.rfind("\n") + 1] or sample, delimiters=DELIMITERS)
    except csv.Error:
        return csv.excel
    if field_name not in _first_row(sample, sniffed) and field_name in _first_row(sample, csv.excel):
        return csv.excel
    return sniffed


def _first_row(sample: str, dialect: type[csv.Dialect]) -> list[str]:
    return next((row for row in csv.reader(io.StringIO(sample), dialect) if row), [])


def _header(reader: Iterator[list[str]], field_name: str, source: str) -> list[str] | None:
    for row in reader:
        if row:
            row = [_valid_utf8(name)[0] for name in row]
            if field_name not in row:
                columns = ", ".join(row[:10])
                raise InputError(f"{source}: no column {field_name!r} (columns: {columns}); choose one with --column")
            return row
    return None


def _csv_records(reader: Iterator[list[str]], header: list[str]) -> Iterator[Record]:
    end = reader.line_num  # type: ignore[attr-defined]
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader.line_num  # type: ignore[attr-defined]
            yield Record(start, error=f"unreadable CSV: {exc}")
            continue
        end = reader.line_num  # type: ignore[attr-defined]
        yield _csv_record(start, row, header)


def _csv_record(line: int, row: list[str], header: list[str]) -> Record:
    if not row:
        return Record(line, blank=True)
    if not _valid_utf8("\x00".join(row))[1]:
        return Record(line, dict(zip(header, (_valid_utf8(value)[0] for value in row), strict=False)), NOT_UTF8)
    fields = dict(zip(header, row, strict=False))  # extra values are checked below; missing ones stay missing
    if any(value.strip() for value in row[len(header) :]):
        return Record(line, fields, f"{len(row)} values but the header has {len(header)} columns")
    return Record(line, fields)


def _valid_utf8(text: str) -> tuple[str, bool]:
    """The text with undecodable bytes (kept as surrogate escapes) replaced by U+FFFD, and whether there were any."""
    if not UNDECODED.search(text):
        return text, True
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), False
