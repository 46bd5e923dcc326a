"""The `faq-assistant` command: thin wrappers that load, call and print.

Each front end (chat, batch, serve, ...) lives in its own module with a
`configure(subparsers)` that registers its sub-command; this module only
dispatches, turns known errors into one line on stderr, and maps outcomes to
exit codes. Streams are passed in so tests can drive every command in-process.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, TextIO

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.core import Explanation

FRONT_ENDS = (
    "assistant.evaluate", "assistant.chat", "assistant.web", "assistant.batch",
    "assistant.lint", "assistant.importer", "assistant.review",
)


class Exit(IntEnum):
    OK = 0
    NO_MATCH = 1  # like grep: ran fine, found nothing
    ERROR = 2  # usage, input or knowledge errors
    INTERRUPTED = 130
    BROKEN_PIPE = 141


@dataclass(frozen=True)
class Streams:
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO

    @classmethod
    def system(cls) -> Streams:
        return cls(sys.stdin, sys.stdout, sys.stderr)


def add_kb_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kb", metavar="PATH", default=None,
        help="knowledge base: a YAML file or folder (default: $FAQ_ASSISTANT_KB, else the bundled one)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="faq-assistant", description="An offline FAQ chatbot.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    ask = commands.add_parser("ask", help="answer one question and exit")
    ask.add_argument("question", help="the question ('-' reads it from stdin)")
    ask.add_argument("--json", action="store_true", help="print the reply as JSON")
    ask.add_argument("--explain", action="store_true", help="show how the question was matched")
    add_kb_option(ask)
    ask.set_defaults(run=run_ask)
    for name in FRONT_ENDS:
        importlib.import_module(name).configure(commands)
    return parser


def main(argv: Sequence[str] | None = None, streams: Streams | None = None) -> int:
    streams = streams or Streams.system()
    args = build_parser().parse_args(argv)
    if args.command is None:
        args = build_parser().parse_args(["chat", *(argv or [])]) if _can_chat() else None
        if args is None:
            build_parser().print_usage(streams.stderr)
            return Exit.ERROR
    try:
        return int(args.run(args, streams))
    except AssistantError as exc:
        print(f"faq-assistant: error: {exc}", file=streams.stderr)
        return Exit.ERROR
    except KeyboardInterrupt:
        print("faq-assistant: interrupted", file=streams.stderr)
        return Exit.INTERRUPTED
    except BrokenPipeError:  # `faq-assistant ask ... | head -1`: the reader has seen enough
        with contextlib.suppress(AttributeError, OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), streams.stdout.fileno())
        return Exit.BROKEN_PIPE


def _can_chat() -> bool:
    return "assistant.chat" in FRONT_ENDS and sys.stdin.isatty()


def run_ask(args: argparse.Namespace, streams: Streams) -> int:
    from assistant.core import Assistant
    from assistant.errors import UsageError
    from assistant.render import reply_text

    question = streams.stdin.read() if args.question == "-" else args.question
    if not question.strip():
        raise UsageError("the question is empty")
    bot = Assistant.load(args.kb)
    explanation = bot.explain(question)
    reply = explanation.reply
    if args.json:
        data = reply.to_dict()
        if args.explain:
            data["explain"] = explain_dict(explanation)
        print(json.dumps(data, ensure_ascii=False, indent=2), file=streams.stdout)
    else:
        print(reply_text(reply), file=streams.stdout)
        if args.explain:
            print("\n" + explain_text(explanation), file=streams.stdout)
    return Exit.NO_MATCH if reply.status == "no_match" else Exit.OK


def explain_dict(explanation: Explanation) -> dict[str, Any]:
    query = explanation.normalised
    return {
        "normalised": query.text,
        "corrections": [list(pair) for pair in query.corrections],
        "synonyms": [list(pair) for pair in query.synonyms],
        "candidates": [
            {
                "entry_id": m.entry_id, "score": m.score, "phrasing": m.phrasing,
                "overlap": round(m.overlap, 3), "similarity": round(m.similarity, 3),
                "query_coverage": round(m.query_coverage, 3),
                "phrasing_coverage": round(m.phrasing_coverage, 3), "context_boost": m.boost,
            }
            for m in explanation.candidates
        ],
    }


def explain_text(explanation: Explanation) -> str:
    data = explain_dict(explanation)
    lines = [
        f"normalised:  {data['normalised'] or '(nothing left)'}",
        "corrections: " + (", ".join(f"{a} -> {b}" for a, b in data["corrections"]) or "none"),
        "synonyms:    " + (", ".join(f"{a} -> {b}" for a, b in data["synonyms"]) or "none"),
        "candidates:",
    ]
    for n, c in enumerate(data["candidates"], 1):
        lines.append(
            f"  {n}. {c['entry_id']}  score {c['score']:.3f}  (overlap {c['overlap']:.2f}, "
            f"similarity {c['similarity']:.2f}, covers {c['query_coverage']:.0%} of question / "
            f"{c['phrasing_coverage']:.0%} of phrasing, context +{c['context_boost']:.2f})\n"
            f"     matched: {c['phrasing']}"
        )
    return "\n".join(lines)
