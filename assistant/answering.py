"""The engine behind batch answering: chunks, a bounded cache and an optional process pool.

Rows are answered in chunks with `Assistant.ask_many`, so every reply is
exactly what `Assistant.ask` gives and memory is bounded by a few chunks
however many rows there are. Question logs repeat themselves, so a bounded
LRU cache answers a question already seen without matching it again. With a
pool, several chunks are in flight at once and are collected in input order.
`assistant.batch` builds the public row function and the command on this.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from assistant.core import Assistant, Pair, Reply
from assistant.rows import Record

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

CHUNK = 2000  # questions per ask_many call: large enough to vectorise, small enough to stay flat
CACHE_SIZE = 50_000  # distinct questions remembered (about 20 MB when full)
MAX_QUESTION_CHARS = 100_000  # a longer cell is a pasted document, not a question
Candidates = tuple[tuple[str, float], ...]  # (entry_id, score), best first


class Answer(NamedTuple):
    """A reply reduced to what a batch writes out; small and cheap to send between processes."""

    status: str
    entry_id: str | None
    matched_question: str | None
    confidence: float
    text: str
    suggestions: tuple[Pair, ...]
    options: tuple[Pair, ...]
    candidates: Candidates = ()

    @classmethod
    def of(cls, reply: Reply, candidates: Candidates = ()) -> Answer:
        return cls(
            reply.status, reply.entry_id, reply.matched_question, reply.confidence, reply.text,
            reply.suggestions, reply.options, candidates,
        )


def answer_questions(bot: Assistant, questions: list[str], *, top: int = 0, workers: int = 1) -> list[Answer]:
    """Answers in order, identical to `bot.ask`; with `top`, also the `top` best candidates and scores."""
    replies = bot.ask_many(questions, workers=workers)
    if not top:
        return [Answer.of(reply) for reply in replies]
    return [
        Answer.of(reply, tuple((m.entry_id, m.score) for m in bot.explain(question, limit=top).candidates))
        for question, reply in zip(questions, replies, strict=True)
    ]


def check(record: Record, field: str) -> tuple[str | None, str | None]:
    """(question, None) for an answerable row, else (None, why not)."""
    if record.error:
        return None, record.error
    value = record.fields.get(field)
    if value is None:
        return None, f"missing {field!r}"
    if not isinstance(value, str):
        return None, f"{field!r} is not text"
    if len(value) > MAX_QUESTION_CHARS:
        return None, f"question too long ({len(value):,} characters; the limit is {MAX_QUESTION_CHARS:,})"
    if not value.strip():
        return None, "empty question"
    return value, None


class _Result(Protocol):
    def get(self) -> list[Answer]: ...


@dataclass(frozen=True)
class _Ready:
    answers: list[Answer]

    def get(self) -> list[Answer]:
        return self.answers


@dataclass(frozen=True)
class Ticket:
    """A chunk on its way: its questions, the answers known, those an earlier chunk is computing, the rest."""

    questions: list[str | None]
    known: dict[str, Answer]
    earlier: list[str]
    misses: list[str]
    result: _Result


class Answerer:
    """Answers chunks of questions, in process or on a pool, through a bounded LRU cache.

    `submit` starts a chunk and `collect` waits for it, so several chunks can
    be in flight on a pool while the caller keeps their order.
    """

    def __init__(self, bot: Assistant, *, top: int = 0, threads: int = 1, pool: Pool | None = None):
        self.bot, self.top, self.threads, self.pool = bot, top, threads, pool
        self._cache: OrderedDict[str, Answer] = OrderedDict()
        self._in_flight: set[str] = set()  # being answered for a chunk submitted earlier
        self._lists: dict[tuple[Pair, ...], list[dict[str, str]]] = {}  # few distinct suggestion lists; build once

    def columns(self, answer: Answer | None, error: str | None = None) -> dict[str, Any]:
        """The columns appended to a row: the answer's, or status "error" and the reason."""
        if answer is None:
            answer = Answer("error", None, None, 0.0, "", (), ())
        row: dict[str, Any] = {
            "status": answer.status,
            "entry_id": answer.entry_id,
            "matched_question": answer.matched_question,
            "confidence": None if error else answer.confidence,
            "answer": None if error else answer.text,
            "suggestions": self._pairs(answer.suggestions),
            "options": self._pairs(answer.options),
        }
        if self.top:
            row["candidates"] = [{"entry_id": i, "score": s} for i, s in answer.candidates]
        row["error"] = error
        return row

    def _pairs(self, pairs: tuple[Pair, ...]) -> list[dict[str, str]]:
        """As `Reply.to_dict` writes them; shared by the rows that have the same ones (do not modify)."""
        shared = self._lists.get(pairs)
        if shared is None:
            shared = self._lists[pairs] = [{"id": i, "question": q} for i, q in pairs]
        return shared

    def submit(self, questions: list[str | None]) -> Ticket:
        known: dict[str, Answer] = {}
        earlier: set[str] = set()
        misses: dict[str, None] = {}
        for question in questions:
            if question is None or question in known or question in misses or question in earlier:
                continue
            if question in self._cache:
                self._cache.move_to_end(question)
                known[question] = self._cache[question]
            elif question in self._in_flight:
                earlier.add(question)
            else:
                misses[question] = None
        self._in_flight.update(misses)
        return Ticket(questions, known, list(earlier), list(misses), self._start(list(misses)))

    def collect(self, ticket: Ticket) -> list[Answer | None]:
        """The chunk's answers in order; chunks must be collected in the order they were submitted."""
        found = ticket.known | dict(zip(ticket.misses, ticket.result.get(), strict=True))
        self._in_flight.difference_update(ticket.misses)
        for question in ticket.misses:
            self._cache[question] = found[question]
        # Answered for an earlier chunk, collected just before this one (recomputed if already evicted).
        late = [question for question in ticket.earlier if question not in self._cache]
        found.update({q: self._cache[q] for q in ticket.earlier if q in self._cache})
        found.update(zip(late, self._start(late).get(), strict=True))
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return [None if question is None else found[question] for question in ticket.questions]

    def _start(self, misses: list[str]) -> _Result:
        if self.pool is None or not misses:
            return _Ready(answer_questions(self.bot, misses, top=self.top, workers=self.threads) if misses else [])
        return self.pool.apply_async(_answer_in_worker, (misses,))


def answer_records(
    records: Iterable[Record], answerer: Answerer, *, field: str = "question", chunk: int = CHUNK, ahead: int = 0
) -> Iterator[list[tuple[Record, dict[str, Any]]]]:
    """Each chunk's records with their output rows (input fields, then the answer's), in input order.

    `ahead` chunks are submitted before the oldest is collected, which keeps a
    pool busy while bounding memory to `ahead + 1` chunks.
    """
    pending: deque[tuple[list[Record], list[str | None], Ticket]] = deque()
    for group in _chunks(records, chunk):
        checked = [check(record, field) for record in group]
        pending.append((group, [e for _, e in checked], answerer.submit([q for q, _ in checked])))
        if len(pending) > ahead:
            yield _finish(answerer, *pending.popleft())
    while pending:
        yield _finish(answerer, *pending.popleft())


def _finish(
    answerer: Answerer, group: list[Record], errors: list[str | None], ticket: Ticket
) -> list[tuple[Record, dict[str, Any]]]:
    answers = answerer.collect(ticket)
    return [
        (record, {**record.fields, **answerer.columns(answer, error)})
        for record, answer, error in zip(group, answers, errors, strict=True)
    ]


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while group := list(islice(iterator, size)):
        yield group


# One slot per pool process, filled once by `_start_worker`: a pool can only
# hand its processes long-lived state through a module-level name.
_worker: tuple[Assistant, int] | None = None


def _start_worker(bot: Assistant, top: int) -> None:
    """Pool process set-up: keep the assistant; Ctrl-C and termination are the parent's business."""
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _worker = (bot, top)


def _answer_in_worker(questions: list[str]) -> list[Answer]:
    if _worker is None:
        raise RuntimeError("pool process was not started with _start_worker")
    bot, top = _worker
    return answer_questions(bot, questions, top=top)


def start_pool(bot: Assistant, top: int, processes: int) -> Pool:
    """A pool whose processes each hold the assistant.

    Fork shares the loaded assistant for free, but forking a process that runs
    other threads can copy a held lock, so then a fresh interpreter is started
    (the assistant pickles as its knowledge and is rebuilt there).
    """
    methods = multiprocessing.get_all_start_methods()
    method = "fork" if "fork" in methods and threading.active_count() == 1 else None
    if method is None:
        method = "forkserver" if "forkserver" in methods else "spawn"
    context = multiprocessing.get_context(method)
    return context.Pool(processes, initializer=_start_worker, initargs=(bot, top))
