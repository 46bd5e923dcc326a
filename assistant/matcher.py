"""Scoring a normalised question against every curated phrasing.

Each entry has several phrasings (its question and alternates). A phrasing's
score blends two views of similarity:

* weighted word overlap, where each canonical term weighs its inverse entry
  frequency (rare words such as "strobel" or "990" decide, words every entry
  shares such as "shoe" or "made" barely count), measured both as how much of
  the question the phrasing explains and how much of the phrasing the question
  contains. Long questions lean on the second, so a question buried in a
  rambling message is still found; short ones need both, so a question about
  something the knowledge does not cover ("cost", "refund") falls short;
* character-level similarity of the canonical forms (rapidfuzz), which rescues
  near-misses that spelling correction left alone.

An entry scores the best of its phrasings. Scores are in 0..1.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz

from assistant.knowledge import Entry
from assistant.normalise import Normalised, Normaliser

OVERLAP_WEIGHT = 0.8  # the rest is character similarity
SHORT_QUERY = 8  # content words; longer questions are judged mostly by phrasing coverage
QUERY_EMPHASIS = 0.5  # how much a short question's own coverage counts
UNKNOWN_WEIGHT = 1.0  # words no phrasing uses, relative to the rarest known word


@dataclass(frozen=True)
class Match:
    """One entry's best phrasing for a question, with the parts of its score."""

    entry_id: str
    score: float
    phrasing: str
    overlap: float
    similarity: float
    query_coverage: float
    phrasing_coverage: float
    boost: float = 0.0


@dataclass(frozen=True)
class _Phrasing:
    entry_index: int
    text: str
    tokens: frozenset[str]
    canonical: str
    weight: float


class Matcher:
    """An immutable index over all phrasings of a knowledge base."""

    def __init__(self, entries: tuple[Entry, ...], normaliser: Normaliser):
        self.entries = entries
        token_sets = [
            [(p, normaliser.normalise(p, correct=False).tokens) for p in e.phrasings] for e in entries
        ]
        self.weights = _idf(token_sets)
        self.unknown_weight = UNKNOWN_WEIGHT * max(self.weights.values(), default=1.0)
        self.phrasings: list[_Phrasing] = []
        self.postings: dict[str, list[int]] = defaultdict(list)
        for index, phrasings in enumerate(token_sets):
            for text, tokens in phrasings:
                unique = frozenset(tokens)
                for token in unique:
                    self.postings[token].append(len(self.phrasings))
                weight = sum(self.weights[t] for t in unique)
                self.phrasings.append(_Phrasing(index, text, unique, " ".join(sorted(unique)), weight))

    def weight(self, token: str) -> float:
        return self.weights.get(token, self.unknown_weight)

    def rank(self, query: Normalised, *, limit: int = 5, boost: Mapping[str, float] | None = None) -> list[Match]:
        """The best `limit` entries for a question, best first (one match per entry)."""
        tokens = frozenset(query.tokens)
        if not tokens:
            return []
        query_weight = sum(self.weight(t) for t in tokens)
        emphasis = QUERY_EMPHASIS * min(1.0, SHORT_QUERY / len(tokens))
        canonical = " ".join(sorted(tokens))
        best: dict[int, Match] = {}
        for index in self._candidates(tokens):
            phrasing = self.phrasings[index]
            match = self._score(phrasing, tokens, query_weight, emphasis, canonical, boost)
            current = best.get(phrasing.entry_index)
            if current is None or match.score > current.score:
                best[phrasing.entry_index] = match
        return sorted(best.values(), key=lambda m: (-m.score, m.entry_id))[:limit]

    def best(self, query: Normalised, *, cutoff: float = 0.0) -> Match | None:
        """The single best match, or None when nothing clears `cutoff`."""
        ranked = self.rank(query, limit=1)
        return ranked[0] if ranked and ranked[0].score >= cutoff else None

    def _candidates(self, tokens: frozenset[str]) -> set[int]:
        found: set[int] = set()
        for token in tokens:
            found.update(self.postings.get(token, ()))
        return found

    def _score(
        self,
        phrasing: _Phrasing,
        tokens: frozenset[str],
        query_weight: float,
        emphasis: float,
        canonical: str,
        boost: Mapping[str, float] | None,
    ) -> Match:
        shared = sum(self.weights[t] for t in tokens & phrasing.tokens)
        q_cov = shared / query_weight
        p_cov = shared / phrasing.weight if phrasing.weight else 0.0
        overlap = (q_cov**emphasis) * (p_cov ** (1 - emphasis))
        similarity = fuzz.token_sort_ratio(canonical, phrasing.canonical) / 100
        entry_id = self.entries[phrasing.entry_index].id
        extra = boost.get(entry_id, 0.0) if boost else 0.0
        score = min(1.0, OVERLAP_WEIGHT * overlap + (1 - OVERLAP_WEIGHT) * similarity + extra)
        return Match(entry_id, round(score, 4), phrasing.text, overlap, similarity, q_cov, p_cov, extra)


def _idf(token_sets: list[list[tuple[str, tuple[str, ...]]]]) -> dict[str, float]:
    """Inverse entry frequency: a term in every entry weighs almost nothing."""
    documents = [{t for _, tokens in phrasings for t in tokens} for phrasings in token_sets]
    frequency: dict[str, int] = defaultdict(int)
    for document in documents:
        for token in document:
            frequency[token] += 1
    total = len(documents)
    return {t: math.log((total + 1) / (df + 0.5)) for t, df in frequency.items()}
