"""An append-only log of the questions the assistant could not answer well.

Curators improve knowledge from what people actually asked and did not get:
each `no_match` and `clarify` reply, and each answer below a confidence you
choose, becomes one JSON line (time, question, status, entry id, confidence,
top candidates) that `faq-assistant review LOG` groups into suggestions.

Usage, from any front end::

    log = UnansweredLog("unanswered.jsonl", below=0.6)
    reply = bot.ask(question, context=context)
    log.note(bot, question, reply, context)   # writes only weak replies
    ...
    log.close()   # or use it as a context manager

Safe to share between threads and processes: the file is opened with
O_APPEND and each record is written by one `os.write` of the whole line, so
lines from concurrent writers never interleave. Only the question and the
reply are stored (never IPs, headers, cookies or user ids), and questions are
capped at MAX_QUESTION_CHARS.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from assistant.context import Context
from assistant.core import Assistant, Reply
from assistant.errors import InputError
from assistant.matcher import Match

MAX_QUESTION_CHARS = 2000
DEFAULT_BELOW = 0.6
TOP_CANDIDATES = 3
LOGGED_STATUSES = ("no_match", "clarify")


class UnansweredLog:
    """Appends one JSON line per weak reply to `path`; `below` is the answer confidence worth a look."""

    def __init__(self, path: str | os.PathLike[str], *, below: float = DEFAULT_BELOW):
        self.path = Path(path)
        self.below = below
        self._lock = threading.Lock()  # guards close() against a concurrent write, not the writes themselves
        try:
            # 0o600: the log holds what people typed, which is theirs, not the world's.
            self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise InputError(f"{self.path}: cannot open the unanswered-questions log: {exc.strerror}") from None

    def wants(self, reply: Reply) -> bool:
        """No match and clarify always; answers only below the confidence floor; small talk never."""
        return self.weak(reply.status, reply.confidence)

    def weak(self, status: str, confidence: float) -> bool:
        return status in LOGGED_STATUSES or (status == "answered" and confidence < self.below)

    def record(self, question: str, reply: Reply, candidates: Iterable[Match | tuple[str, float]] = ()) -> bool:
        """Append the question if the reply was weak; True when a line was written."""
        if not self.wants(reply):
            return False
        line = json.dumps(entry(question, reply, candidates), ensure_ascii=False) + "\n"
        data = line.encode("utf-8", "replace")
        with self._lock:
            if self._fd is None:
                raise InputError(f"{self.path}: the unanswered-questions log is closed")
            os.write(self._fd, data)  # one write of the whole line: O_APPEND keeps it in one piece
        return True

    def note(self, bot: Assistant, question: str, reply: Reply, context: Context | None = None) -> bool:
        """Record a reply given by `bot`, ranking the question again only if the reply was weak."""
        if not self.wants(reply):
            return False
        return self.record(question, reply, bot.explain(question, context=context).candidates)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> UnansweredLog:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def entry(question: str, reply: Reply, candidates: Iterable[Match | tuple[str, float]]) -> dict[str, Any]:
    """The record for one reply: the question and what the assistant made of it, nothing else."""
    clean = question[:MAX_QUESTION_CHARS].encode("utf-8", "replace").decode("utf-8")
    top = [_candidate(c) for c in list(candidates)[:TOP_CANDIDATES]]
    return {
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "question": clean,
        "status": reply.status,
        "entry_id": reply.entry_id,
        "confidence": round(reply.confidence, 4),
        "candidates": top,
    }


def _candidate(candidate: Match | tuple[str, float]) -> dict[str, Any]:
    entry_id, score = (candidate.entry_id, candidate.score) if isinstance(candidate, Match) else candidate
    return {"id": entry_id, "score": round(float(score), 4)}


def add_log_options(parser: argparse.ArgumentParser) -> None:
    """`--log-unanswered PATH` and `--log-below N`, shared by chat, serve and batch."""
    parser.add_argument(
        "--log-unanswered", metavar="PATH", default=None,
        help="append questions that got no answer, a clarify question or a weak answer to this JSONL log",
    )
    parser.add_argument(
        "--log-below", metavar="N", type=float, default=DEFAULT_BELOW,
        help=f"also log answers with confidence below N (default: {DEFAULT_BELOW})",
    )


def open_log(args: argparse.Namespace) -> UnansweredLog | None:
    return UnansweredLog(args.log_unanswered, below=args.log_below) if args.log_unanswered else None
