"""Batch answering: `answer_rows` for any iterable of rows, and `faq-assistant batch INPUT [-o OUTPUT]`.

Support teams run whole lists through the assistant: last month's tickets, a
search log, a test set. `answer_rows` is a plain generator with no I/O, so the
same code answers one partition of a Dask bag or a Spark RDD. The command adds
files (`assistant.rows`), a process pool, progress, warnings and exit codes on
top of the same engine (`assistant.answering`); every reply is exactly what
`Assistant.ask` gives for the question.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import TYPE_CHECKING, Any, TextIO

from assistant.answering import CHUNK, Answerer, answer_records, start_pool
from assistant.core import STATUSES, Assistant
from assistant.rows import INPUT_FORMATS, Record, count_lines, guess_format, open_input, read_records
from assistant.unanswered import UnansweredLog, add_log_options, open_log
from assistant.writers import OUTPUT_FORMATS, make_writer, open_output

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

    from assistant.cli import Streams

MAX_WARNINGS = 100  # bad rows named on stderr; the rest are only in the output's error column
Progress = Callable[[int], None]


def answer_rows(
    bot: Assistant,
    rows: Iterable[Mapping[str, Any]],
    *,
    field: str = "question",
    top: int = 0,
    chunk: int = CHUNK,
    workers: int = 1,
) -> Iterator[dict[str, Any]]:
    """Each row with the answer to its `field` appended: status, entry_id, matched_question, ...

    A plain generator over any iterable of mappings (a file's rows, a Dask or
    Spark partition), answering `chunk` rows at a time. A row that cannot be
    answered gets status "error" and the reason in `error`. `top` adds the K
    best candidates with scores; `workers` threads compute character similarity.
    """
    answerer = Answerer(bot, top=top, threads=workers)
    records = (Record(number, dict(row)) for number, row in enumerate(rows, 1))
    for group in answer_records(records, answerer, field=field, chunk=chunk):
        for _, row in group:
            yield row


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the same clean-up runs."""


@dataclass
class Tally:
    """What one run did, for the summary line, the warnings and the exit code."""

    source: str
    stderr: TextIO
    statuses: Counter[str] = field(default_factory=Counter)
    rows: int = 0
    blank: int = 0

    def add(self, group: list[tuple[Record, dict[str, Any]]]) -> None:
        for record, row in group:
            self.statuses[row["status"]] += 1
            if row["status"] == "error" and self.statuses["error"] <= MAX_WARNINGS:
                print(f"faq-assistant: warning: {self.source}:{record.line}: {row['error']}", file=self.stderr)
        self.rows += len(group)

    def skip_blank(self, records: Iterable[Record]) -> Iterator[Record]:
        for record in records:
            if record.blank:
                self.blank += 1
            else:
                yield record

    def summary(self) -> str:
        counts = ", ".join(f"{status} {self.statuses[status]}" for status in STATUSES)
        blank = f", blank lines {self.blank}" if self.blank else ""
        return f"{counts}, errors {self.statuses['error']}{blank}"


def default_workers() -> int:
    """The cores this process may use (all of them unless restricted)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def configure(commands: Any) -> None:
    from assistant.cli import add_kb_option

    parser = commands.add_parser(
        "batch", help="answer a file of questions (text, CSV or JSONL)",
        description="Answer every question in INPUT; each row keeps its own fields and gains the answer's.",
    )
    parser.add_argument("input", metavar="INPUT", help=".txt (one question a line), .csv or .jsonl; '-' is stdin")
    parser.add_argument("-o", "--output", metavar="OUTPUT", help=".csv, .jsonl or .json (default: stdout)")
    parser.add_argument(
        "--format", choices=OUTPUT_FORMATS,
        help="output format (default: OUTPUT's extension; on stdout, the input's format, JSONL for text)",
    )
    parser.add_argument("--input-format", choices=INPUT_FORMATS, help="input format (default: INPUT's extension)")
    parser.add_argument(
        "--column", "--field", dest="field", metavar="NAME", default="question",
        help="the CSV column or JSONL field holding the question (default: question)",
    )
    parser.add_argument("--top", type=_count(0), default=0, metavar="K", help="add the K best candidates and scores")
    parser.add_argument(
        "--workers", type=_count(1), default=default_workers(), metavar="N",
        help=f"processes answering at once (default: all cores, {default_workers()})",
    )
    parser.add_argument("--chunk", type=_count(1), default=CHUNK, metavar="N", help=argparse.SUPPRESS)
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    parser.add_argument(
        "--fail-on-no-match", action="store_true", help="exit 1 if any question got no match or an error (for CI)"
    )
    add_kb_option(parser)
    add_log_options(parser)
    parser.set_defaults(run=run)


def _count(least: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if value < least:
            raise ValueError(text)
        return value

    parse.__name__ = f"integer >= {least}"  # how argparse names the type in its error
    return parse


def run(args: argparse.Namespace, streams: Streams) -> int:
    """The command: 0 done, 1 for --fail-on-no-match, 130 on Ctrl-C; input and knowledge errors raise (exit 2)."""
    source = "<stdin>" if args.input == "-" else args.input
    tally = Tally(source, streams.stderr)
    with open_input(args.input, streams.stdin) as handle:
        bot = Assistant.load(args.kb)
        records = read_records(handle, _input_format(args), args.field, source)
        try:
            with _sigterm_as_interrupt():
                _answer_all(args, streams, bot, tally.skip_blank(records), tally)
        except KeyboardInterrupt as exc:
            where = f"{args.output} left unchanged" if args.output not in (None, "-") else "output incomplete"
            print(f"faq-assistant: interrupted after {tally.rows} rows; {where}", file=streams.stderr)
            return 128 + signal.SIGTERM if isinstance(exc, Terminated) else 130
        except BrokenPipeError:  # `faq-assistant batch big.csv | head`: the reader has seen enough
            _discard(streams.stdout)
            return 128 + signal.SIGPIPE
    return _finish(args, tally)


def _discard(stream: TextIO) -> None:
    """Point a closed pipe's descriptor at /dev/null, so the interpreter's last flush has somewhere to go."""
    with suppress(AttributeError, OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def _finish(args: argparse.Namespace, tally: Tally) -> int:
    errors = tally.statuses["error"]
    if errors > MAX_WARNINGS:
        more = errors - MAX_WARNINGS
        print(f"faq-assistant: warning: {more} more bad rows (see the error column)", file=tally.stderr)
    if not args.quiet:
        print(tally.summary(), file=tally.stderr)
    failed = tally.statuses["no_match"] + errors
    return 1 if args.fail_on_no_match and failed else 0


def _input_format(args: argparse.Namespace) -> str:
    return args.input_format or guess_format(args.input, INPUT_FORMATS, "txt")


def _output_format(args: argparse.Namespace) -> str:
    fmt = _input_format(args)
    return args.format or guess_format(args.output, OUTPUT_FORMATS, fmt if fmt in OUTPUT_FORMATS else "jsonl")


def _answer_all(
    args: argparse.Namespace, streams: Streams, bot: Assistant, records: Iterator[Record], tally: Tally
) -> None:
    """Answer and write every record; a pool only when there is more than one chunk to share."""
    first = list(islice(records, args.chunk + 1))  # reads the header too: a bad CSV fails before OUTPUT is touched
    processes = args.workers if len(first) > args.chunk and args.workers > 1 else 0
    with _pool(bot, args.top, processes) as pool, open_output(args.output, streams.stdout) as out:
        writer = make_writer(_output_format(args), out)
        answerer = Answerer(bot, top=args.top, pool=pool)
        groups = answer_records(chain(first, records), answerer, field=args.field, chunk=args.chunk, ahead=processes)
        with _progress(args, streams) as advance, _log(args) as log:
            for group in groups:
                writer.write([row for _, row in group])
                tally.add(group)
                advance(len(group))
                if log is not None:
                    log_weak(log, bot, [row for _, row in group], args.field)
        writer.close()
    if getattr(writer, "dropped", None):
        names = ", ".join(sorted(writer.dropped))
        print(f"faq-assistant: warning: fields missing from the first rows were left out of the CSV: {names}",
              file=tally.stderr)


@contextmanager
def _log(args: argparse.Namespace) -> Iterator[UnansweredLog | None]:
    log = open_log(args)
    try:
        yield log
    finally:
        if log is not None:
            log.close()


def log_weak(log: UnansweredLog, bot: Assistant, rows: list[dict[str, Any]], field: str) -> None:
    """Log the rows answered weakly; only those are ranked again, for their candidates."""
    for row in rows:
        if log.weak(row["status"], row["confidence"] or 0.0):
            question = row[field]
            log.note(bot, question, bot.ask(question))


@contextmanager
def _pool(bot: Assistant, top: int, processes: int) -> Iterator[Pool | None]:
    if processes < 2:
        yield None
        return
    pool = start_pool(bot, top, processes)
    try:
        yield pool
    finally:
        pool.terminate()
        pool.join()


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Let `kill` clean up like Ctrl-C (remove the temporary output); only the main thread can."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _progress(args: argparse.Namespace, streams: Streams) -> Iterator[Progress]:
    """A progress bar (count, rate, ETA) on a terminal stderr that is not also showing the output."""
    to_terminal = args.output in (None, "-") and streams.stdout.isatty()
    if not streams.stderr.isatty() or to_terminal:
        yield lambda done: None
        return
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import create_output
    from prompt_toolkit.shortcuts import ProgressBar
    from prompt_toolkit.shortcuts.progress_bar import formatters as f

    lines = count_lines(args.input)
    total = None if lines is None else max(0, lines - (_input_format(args) == "csv"))
    shown = [f.Label(), f.Percentage(), f.Bar(), f.Progress(), f.IterationsPerSecond(), f.Text("/s  eta"), f.TimeLeft()]
    layout = [part for item in shown for part in (item, f.Text(" "))]
    output = create_output(streams.stderr)
    output.enable_cpr = False  # type: ignore[attr-defined]  # the answer comes back on the terminal, not our input
    with create_pipe_input() as keys, ProgressBar(formatters=layout, output=output, input=keys) as bar:
        counter = bar(label="questions", total=total)

        def advance(done: int) -> None:
            counter.items_completed += done
            bar.invalidate()

        yield advance
        counter.done = True
