"""`faq-assistant eval FILE`: measure the assistant on a labelled question set.

A labelled set is a CSV (or JSONL) with `question`, `expected` (an entry id,
`no_match` or `smalltalk`) and optionally `kind` (paraphrase, typo, ...). The
verdicts mirror what a shopper experiences: the right answer, a wrong answer
(worse than none), a decline, or a "which did you mean?" question.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.core import Assistant, Reply
from assistant.errors import InputError

VERDICTS = ("right", "wrong", "declined", "clarify")


@dataclass(frozen=True)
class Case:
    question: str
    expected: str
    kind: str
    line: int


@dataclass(frozen=True)
class Outcome:
    case: Case
    reply: Reply
    verdict: str


def verdict(expected: str, reply: Reply) -> str:
    """Right, wrong, declined or clarify, from the shopper's point of view."""
    if reply.status == "clarify":
        return "clarify"
    if expected == "smalltalk":
        return "right" if reply.status == "smalltalk" else ("declined" if reply.status == "no_match" else "wrong")
    if expected == "no_match":
        return "right" if reply.status == "no_match" else "wrong"
    if reply.status == "answered":
        return "right" if reply.entry_id == expected else "wrong"
    return "declined" if reply.status == "no_match" else "wrong"


def read_cases(path: str) -> list[Case]:
    """Read a labelled set; a malformed row is an error naming its line."""
    file = Path(path)
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(_jsonl_rows(handle, path) if file.suffix == ".jsonl" else _csv_rows(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    cases = []
    for line, row in rows:
        question, expected = (row.get("question") or "").strip(), (row.get("expected") or "").strip()
        if not question or not expected:
            raise InputError(f"{path}:{line}: each row needs 'question' and 'expected'")
        cases.append(Case(question, expected, (row.get("kind") or "all").strip(), line))
    if not cases:
        raise InputError(f"{path}: no labelled questions found")
    return cases


def _csv_rows(handle: Iterable[str]) -> Iterable[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(handle)
    for row in reader:
        yield reader.line_num, row


def _jsonl_rows(handle: Iterable[str], path: str) -> Iterable[tuple[int, dict[str, Any]]]:
    for line, text in enumerate(handle, 1):
        if text.strip():
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{line}: invalid JSON: {exc.msg}") from None
            if not isinstance(row, dict):
                raise InputError(f"{path}:{line}: expected a JSON object")
            yield line, row


def check_labels(bot: Assistant, cases: list[Case], path: str) -> None:
    known = {e.id for e in bot.faq} | {"no_match", "smalltalk"}
    for case in cases:
        if case.expected not in known:
            raise InputError(f"{path}:{case.line}: unknown expected id {case.expected!r}")


def evaluate(bot: Assistant, cases: Iterable[Case]) -> list[Outcome]:
    outcomes = []
    for case in cases:
        reply = bot.ask(case.question)
        outcomes.append(Outcome(case, reply, verdict(case.expected, reply)))
    return outcomes


def rates(outcomes: list[Outcome]) -> dict[str, float]:
    counts = Counter(o.verdict for o in outcomes)
    return {v: counts[v] / len(outcomes) if outcomes else 0.0 for v in VERDICTS}


def report(outcomes: list[Outcome], *, show_failures: bool = False) -> str:
    """Accuracy per kind, wrong-answer and clarify rates, and the most confused pairs."""
    kinds = sorted({o.case.kind for o in outcomes})
    lines = [f"{'kind':<14}{'n':>5}{'right':>8}{'wrong':>8}{'declined':>10}{'clarify':>9}"]
    for kind in [*kinds, "overall"]:
        group = [o for o in outcomes if kind in ("overall", o.case.kind)]
        r = rates(group)
        lines.append(
            f"{kind:<14}{len(group):>5}{r['right']:>8.1%}{r['wrong']:>8.1%}{r['declined']:>10.1%}{r['clarify']:>9.1%}"
        )
    confused = Counter(
        (o.case.expected, o.reply.entry_id or o.reply.status) for o in outcomes if o.verdict == "wrong"
    )
    if confused:
        lines += ["", "most confused (expected -> got):"]
        lines += [f"  {n} x {a} -> {b}" for (a, b), n in confused.most_common(8)]
    if show_failures:
        lines += ["", "failures:"]
        lines += [
            f"  line {o.case.line} [{o.verdict}] {o.case.question!r}: expected {o.case.expected}, "
            f"got {o.reply.status} {o.reply.entry_id or ''} ({o.reply.confidence:.2f})"
            for o in outcomes if o.verdict != "right"
        ]
    return "\n".join(lines)


def configure(commands: Any) -> None:
    from assistant.cli import add_kb_option

    parser = commands.add_parser("eval", help="measure accuracy on a labelled question set")
    parser.add_argument("file", help="CSV or JSONL with question, expected and optional kind columns")
    parser.add_argument("--failures", action="store_true", help="list every question not answered right")
    parser.add_argument("--min-accuracy", type=float, default=None, help="exit 1 below this overall accuracy (0-1)")
    parser.add_argument(
        "--calibrate", action="store_true",
        help="sweep answer_threshold, clarify_threshold and clarify_margin; print the trade-off and a recommendation",
    )
    parser.add_argument(
        "--write", action="store_true", help="with --calibrate: save the recommendation to the knowledge's settings"
    )
    add_kb_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, streams: Any) -> int:
    bot = Assistant.load(args.kb)
    cases = read_cases(args.file)
    check_labels(bot, cases, args.file)
    if args.calibrate or args.write:
        return run_calibrate(bot, cases, args, streams)
    outcomes = evaluate(bot, cases)
    print(report(outcomes, show_failures=args.failures), file=streams.stdout)
    right = rates(outcomes)["right"]
    return 1 if args.min_accuracy is not None and right < args.min_accuracy else 0


def run_calibrate(bot: Assistant, cases: list[Case], args: argparse.Namespace, streams: Any) -> int:
    """`eval --calibrate [--write]`: print the threshold trade-off, optionally save the recommendation."""
    from assistant.calibrate import calibrate, summary
    from assistant.errors import UsageError
    from assistant.settings_file import write_settings

    if not args.calibrate:
        raise UsageError("--write needs --calibrate")
    points, current, chosen = calibrate(bot, cases)
    print(summary(points, current, chosen), file=streams.stdout)
    if args.write:
        saved = write_settings(bot.knowledge.path, chosen.values())
        print(f"saved to {saved}", file=streams.stdout)
    return 0
