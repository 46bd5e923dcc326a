"""The `Assistant`: load a knowledge base once, then answer questions.

This is the public API other programs embed. It does no I/O after `load` and
holds no mutable state, so one instance can serve many threads; everything a
conversation needs to remember travels in a `Context` value.
"""

from __future__ import annotations

import copy
import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from assistant import index_cache
from assistant import knowledge as kb
from assistant.context import Context
from assistant.errors import UsageError
from assistant.knowledge import Entry, Knowledge, Settings
from assistant.matcher import Match
from assistant.normalise import Normalised, sentences

Pair = tuple[str, str]  # (entry_id, question)
STATUSES = ("answered", "clarify", "smalltalk", "no_match")
SHORT_FOLLOW_UP = 3  # content words; shorter questions lean on the previous answer
SMALLTALK_COVERAGE = 0.9  # below this, "hi, are they made in the usa?" is a question, not a greeting
LONG_MESSAGE = 12  # content words; longer messages are matched sentence by sentence


@dataclass(frozen=True)
class Reply:
    """What the assistant says back, and why."""

    status: str
    text: str
    entry_id: str | None = None
    confidence: float = 0.0
    suggestions: tuple[Pair, ...] = ()
    options: tuple[Pair, ...] = ()
    question: str = ""
    matched_question: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "text": self.text,
            "entry_id": self.entry_id,
            "matched_question": self.matched_question,
            "confidence": self.confidence,
            "suggestions": [{"id": i, "question": q} for i, q in self.suggestions],
            "options": [{"id": i, "question": q} for i, q in self.options],
        }


@dataclass(frozen=True)
class Explanation:
    """Why a question got its reply: for curators tuning knowledge and settings."""

    reply: Reply
    normalised: Normalised
    candidates: tuple[Match, ...] = field(default=())


class Assistant:
    """A loaded, immutable FAQ assistant."""

    def __init__(self, knowledge: Knowledge):
        self.knowledge = knowledge
        self.settings = knowledge.settings
        self._by_id = knowledge.by_id()
        self.faq = tuple(e for e in knowledge.entries if e.kind == "faq")
        self.normaliser, self.matcher = index_cache.build(knowledge)
        self._tagged = _positions_by_tag(self.faq)
        self._more = frozenset(
            self.normaliser.normalise(p, correct=False).tokens for p in self.settings.more_phrases
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Assistant:
        """Load a YAML file or folder; None means $FAQ_ASSISTANT_KB or the bundled knowledge."""
        return cls(kb.load(path))

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilding from the validated knowledge is cheap and keeps pickles small and safe.
        return (Assistant, (self.knowledge,))

    def with_settings(self, settings: Settings) -> Assistant:
        """The same index deciding with other thresholds (calibration sweeps, no rebuild).

        Only decision settings may differ: the index and `more_phrases` stay as built.
        """
        clone = copy.copy(self)
        clone.knowledge = replace(self.knowledge, settings=settings)
        clone.settings = settings
        return clone

    def decide(self, text: str, candidates: Sequence[Match], context: Context | None = None) -> Reply:
        """The reply for a question already ranked (`explain(...).candidates`, best first)."""
        return self._decide(text, list(candidates), context or Context())

    def entry(self, entry_id: str) -> Entry:
        try:
            return self._by_id[entry_id]
        except KeyError:
            raise UsageError(f"no entry with id {entry_id!r}") from None

    def ask(self, text: str, *, context: Context | None = None) -> Reply:
        """Answer one question; `context` is what this conversation already saw.

        With a context, a bare number picks one of the choices offered last
        turn, and "tell me more" continues from the last answer.
        """
        return self.explain(text, context=context).reply

    def answer(self, entry_id: str, *, context: Context | None = None) -> Reply:
        """The reply for a known entry, as if its question had been asked verbatim."""
        entry = self.entry(entry_id)
        return self._answer(entry.question, entry, 1.0, context or Context())

    def explain(self, text: str, *, context: Context | None = None, limit: int = 5) -> Explanation:
        """The reply with its reasons: the normalised question and the top `limit` candidates."""
        text = text[: self.settings.max_question_chars]  # bounded time, whatever is pasted
        return self._explain(text, self.normaliser.normalise(text), context or Context(), limit)

    def ask_many(self, texts: Sequence[str], *, workers: int = 1) -> list[Reply]:
        """Answer many independent questions; the same replies as `ask`, computed faster.

        Questions that normalise to the same terms (typos, case, punctuation)
        are ranked once, and character similarities for all of them come from
        one vectorised rapidfuzz call (`workers` threads; -1 means all cores).
        A large knowledge base shortlists instead: every phrasing for every
        question would be slower, and gigabytes of memory.
        """
        cap = self.settings.max_question_chars
        unique = list(dict.fromkeys(t[:cap] for t in texts))
        queries = [self.normaliser.normalise(t) for t in unique]
        # A short question's ranking depends only on its terms; long ones are split by sentence.
        keys = [q.tokens if len(q.tokens) <= LONG_MESSAGE else (text,) for text, q in zip(unique, queries, strict=True)]
        first = {key: query for key, query in zip(keys, queries, strict=True)}
        if self.matcher.shortlists:
            rows: Sequence[np.ndarray | None] = [None] * len(first)
        else:
            rows = self.matcher.similarities(list(first.values()), workers=workers) if first else []
        ranked = {
            key: self._explain(query.original, query, Context(), 5, row).reply
            for (key, query), row in zip(first.items(), rows, strict=True)
        }
        replies = {text: replace(ranked[key], question=text) for text, key in zip(unique, keys, strict=True)}
        return [replies[t[:cap]] for t in texts]

    def _explain(
        self, text: str, query: Normalised, context: Context, limit: int, similarity: np.ndarray | None = None
    ) -> Explanation:
        picked = self._pick(text, query, context)
        if picked is not None:
            return Explanation(picked, query)
        ranked = self._rank(query, context, max(limit, 8), similarity)
        reply = self._decide(text, ranked, context)
        return Explanation(reply, query, tuple(ranked[:limit]))

    def _rank(
        self, query: Normalised, context: Context, limit: int, similarity: np.ndarray | None = None
    ) -> list[Match]:
        """Rank a question; a long message is ranked sentence by sentence (its questions first).

        People bury the question in a story ("My dad is picky... does New
        Balance make its sneakers here?"); the story's words would otherwise
        drown the question's.
        """
        boost = self._boost(query, context)
        parts = sentences(query.original) if len(query.tokens) > LONG_MESSAGE else []
        if not parts or parts == [query.original.strip()]:
            return self.matcher.rank(query, limit=limit, boost=boost, similarity=similarity)
        best: dict[str, Match] = {}
        for part in parts:
            for match in self.matcher.rank(self.normaliser.normalise(part), limit=limit, boost=boost):
                if match.entry_id not in best or match.score > best[match.entry_id].score:
                    best[match.entry_id] = match
        return sorted(best.values(), key=lambda m: (-m.score, m.entry_id))[:limit]

    def _pick(self, text: str, query: Normalised, context: Context) -> Reply | None:
        """Replies that come from the context rather than from matching, if any."""
        choice = text.strip().rstrip(".)")
        if choice.isdecimal() and len(choice) < 6 and context.offered:
            number = int(choice)
            if 1 <= number <= len(context.offered):
                return self.answer(context.offered[number - 1], context=context)
            options = tuple((i, self._by_id[i].question) for i in context.offered)
            message = f"There is no option {number}. Pick a number from 1 to {len(options)}, or type a question."
            return Reply("clarify", message, options=options, question=text)
        if query.tokens not in self._more:
            return None
        fresh = self.suggestions(self._by_id[context.last], context) if context.last else ()
        if fresh:
            return self.answer(fresh[0][0], context=context)
        return self._no_match(text, context, lead="More about what? Ask me a question first.")

    def _boost(self, query: Normalised, context: Context) -> dict[str, float]:
        """Short follow-ups ("what about the 993?") lean towards the last answer's neighbours."""
        last = self._by_id.get(context.last or "")
        if last is None or len(set(query.tokens)) > SHORT_FOLLOW_UP:
            return {}
        step = self.settings.context_boost
        near = {entry_id: step / 2 for entry_id in self._related(last.tags)}
        near.update({i: step for i in (last.id, *last.follow_ups)})
        return near

    def _decide(self, text: str, ranked: list[Match], context: Context) -> Reply:
        settings = self.settings
        if not ranked:
            return self._no_match(text, context)
        top = ranked[0]
        entry = self._by_id[top.entry_id]
        if entry.kind == "smalltalk":
            rest = [m for m in ranked if self._by_id[m.entry_id].kind != "smalltalk"]
            if top.score >= settings.smalltalk_threshold and (
                top.query_coverage >= SMALLTALK_COVERAGE or not rest or rest[0].score < settings.answer_threshold
            ):
                return Reply("smalltalk", entry.answer, entry.id, top.score, self._starters(context), question=text)
            return self._decide(text, rest, context)
        if entry.kind == "decline":
            if top.score >= settings.clarify_threshold:
                return self._no_match(text, context, lead=entry.answer)
            return self._no_match(text, context)
        faq = [m for m in ranked if self._by_id[m.entry_id].kind == "faq"]
        decline = next((m for m in ranked if self._by_id[m.entry_id].kind == "decline"), None)
        if decline and decline.score >= max(settings.clarify_threshold, top.score - settings.decline_margin):
            # A known out-of-scope topic nearly as close as the best answer: saying
            # "I don't know" beats a confident near-miss.
            return self._no_match(text, context, lead=self._by_id[decline.entry_id].answer)
        close = [m for m in faq[1:3] if m.score >= top.score - settings.clarify_margin]
        if top.score >= settings.answer_threshold and not close:
            return self._answer(text, entry, top.score, context)
        if top.score >= settings.clarify_threshold:
            return self._clarify(text, [top, *close], top.score)
        return self._no_match(text, context)

    def _answer(self, text: str, entry: Entry, score: float, context: Context) -> Reply:
        return Reply(
            "answered", entry.answer, entry.id, score,
            self.suggestions(entry, context), question=text, matched_question=entry.question,
        )

    def _clarify(self, text: str, matches: list[Match], score: float) -> Reply:
        options = tuple((m.entry_id, self._by_id[m.entry_id].question) for m in matches)
        return Reply("clarify", self.settings.clarify, None, score, options=options, question=text)

    def _no_match(self, text: str, context: Context, lead: str = "") -> Reply:
        """No answer; a known decline topic or context problem leads with its own sentence."""
        topics = "; ".join(self.settings.fallback_topics or tuple(e.question for e in self.faq[:3]))
        template = f"{lead} {self.settings.topics_hint}" if lead else self.settings.fallback
        message = template.format(topics=topics)
        return Reply("no_match", message, None, 0.0, self._starters(context), question=text)

    def suggestions(self, entry: Entry, context: Context | None = None) -> tuple[Pair, ...]:
        """Curated follow-ups first, then entries sharing a tag; never the answer itself or repeats."""
        seen = {entry.id, *(context.asked if context else ())}
        picked: list[Pair] = []
        for entry_id in (*entry.follow_ups, *self._related(entry.tags)):
            if len(picked) == self.settings.max_suggestions:
                break
            if entry_id not in seen:
                seen.add(entry_id)
                picked.append((entry_id, self._by_id[entry_id].question))
        return tuple(picked)

    def _related(self, tags: Sequence[str]) -> list[str]:
        """Ids of the FAQ entries sharing a tag, in knowledge order (an index: big knowledge has many)."""
        return [self.faq[i].id for i in sorted({i for tag in tags for i in self._tagged.get(tag, ())})]

    def _starters(self, context: Context) -> tuple[Pair, ...]:
        """Questions to offer when there is no answer to build on: the first curated entries."""
        fresh = ((e.id, e.question) for e in self.faq if e.id not in context.asked)
        return tuple(itertools.islice(fresh, self.settings.max_suggestions))


def _positions_by_tag(faq: Sequence[Entry]) -> dict[str, tuple[int, ...]]:
    """Tag -> positions of the FAQ entries carrying it."""
    tagged: dict[str, list[int]] = {}
    for position, entry in enumerate(faq):
        for tag in entry.tags:
            tagged.setdefault(tag, []).append(position)
    return {tag: tuple(positions) for tag, positions in tagged.items()}
