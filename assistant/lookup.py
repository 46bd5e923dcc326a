"""Browsing the FAQ without asking: type-ahead completion and questions grouped by tag.

A search box wants suggestions on every keystroke, from a few letters that
the matcher cannot score yet ("how are th"), so completion tries literal
prefixes first, then the matcher (which knows synonyms and typos), then plain
fuzzy similarity for whatever is left.
"""

from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz, process

from assistant.core import Assistant

COMPLETE_LIMIT = 8
MAX_PREFIX = 200  # characters of the typed text considered
MIN_MATCH_SCORE = 0.3  # matcher scores below this are noise for type-ahead
MIN_FUZZY_SCORE = 75  # rapidfuzz partial_ratio, 0..100


class Completer:
    """Known FAQ questions for a half-typed one; immutable, so threads may share it."""

    def __init__(self, bot: Assistant, limit: int = COMPLETE_LIMIT):
        self.bot = bot
        self.limit = limit
        self.questions = {e.id: e.question for e in bot.faq}
        self.ids = list(self.questions)
        self.folded = [fold(q) for q in self.questions.values()]
        # A leading space lets " " + prefix match at the start of any word.
        self.phrasings = [(e.id, " " + fold(p)) for e in bot.faq for p in e.phrasings]

    def complete(self, text: str) -> list[dict[str, str]]:
        query = fold(text[:MAX_PREFIX])
        if not query:
            return []
        found = [*self._prefixed(query), *self._ranked(query), *self._fuzzy(query)]
        unique = list(dict.fromkeys(found))[: self.limit]
        return [{"id": i, "question": self.questions[i]} for i in unique]

    def _prefixed(self, query: str) -> list[str]:
        starts = [i for i, q in zip(self.ids, self.folded, strict=True) if q.startswith(query)]
        words = [i for i, p in self.phrasings if " " + query in p]
        return starts + words

    def _ranked(self, query: str) -> list[str]:
        candidates = self.bot.explain(query, limit=self.limit).candidates
        return [m.entry_id for m in candidates if m.entry_id in self.questions and m.score >= MIN_MATCH_SCORE]

    def _fuzzy(self, query: str) -> list[str]:
        hits = process.extract(
            query, self.folded, scorer=fuzz.partial_ratio, limit=self.limit, score_cutoff=MIN_FUZZY_SCORE
        )
        return [self.ids[index] for _, _, index in hits]


def fold(text: str) -> str:
    """Case- and space-insensitive form for literal comparisons."""
    return " ".join(text.casefold().split())


def topics(bot: Assistant) -> list[dict[str, Any]]:
    """FAQ questions grouped by tag, tags in order of first use; untagged ones under "other"."""
    groups: dict[str, list[dict[str, str]]] = {}
    for entry in bot.faq:
        for tag in entry.tags or ("other",):
            groups.setdefault(tag, []).append({"id": entry.id, "question": entry.question})
    return [{"tag": tag, "questions": questions} for tag, questions in groups.items()]
