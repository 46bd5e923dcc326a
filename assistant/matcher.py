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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

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


class Matcher:
    """An immutable index over all phrasings of a knowledge base.

    Scores are computed with numpy over the phrasings that share a term with
    the question, so one question and a batch of them run the same code and
    get exactly the same results; a batch only precomputes the character
    similarities for many questions at once (`similarities`).
    """

    def __init__(self, entries: tuple[Entry, ...], normaliser: Normaliser):
        self.entries = entries
        token_sets = [
            [(p, normaliser.normalise(p, correct=False).tokens) for p in e.phrasings] for e in entries
        ]
        self.weights = _idf(token_sets)
        self.unknown_weight = UNKNOWN_WEIGHT * max(self.weights.values(), default=1.0)
        self.texts: list[str] = []
        self.canonicals: list[str] = []
        owners: list[int] = []
        postings: dict[str, list[int]] = defaultdict(list)
        for index, phrasings in enumerate(token_sets):
            for text, tokens in phrasings:
                for token in set(tokens):
                    postings[token].append(len(self.texts))
                self.texts.append(text)
                self.canonicals.append(canonical(tokens))
                owners.append(index)
        self.owner = np.array(owners, dtype=np.intp)
        self.postings = {t: np.array(ids, dtype=np.intp) for t, ids in postings.items()}
        self.phrasing_weight = np.zeros(len(self.texts))
        for token, ids in self.postings.items():
            self.phrasing_weight[ids] += self.weights[token]

    def weight(self, token: str) -> float:
        return self.weights.get(token, self.unknown_weight)

    def similarities(self, queries: Sequence[Normalised], *, workers: int = 1) -> np.ndarray:
        """Character similarity (0-100) of each question to every phrasing, in one vectorised call."""
        return process.cdist(
            [canonical(q.tokens) for q in queries], self.canonicals,
            scorer=fuzz.token_sort_ratio, dtype=np.float64, workers=workers,
        )

    def rank(
        self,
        query: Normalised,
        *,
        limit: int = 5,
        boost: Mapping[str, float] | None = None,
        similarity: np.ndarray | None = None,
    ) -> list[Match]:
        """The best `limit` entries for a question, best first (one match per entry)."""
        tokens = sorted(set(query.tokens))
        shared = np.zeros(len(self.texts))
        for token in tokens:
            if token in self.postings:
                shared[self.postings[token]] += self.weights[token]
        found = np.flatnonzero(shared)
        if not len(found):
            return []
        if similarity is None:
            similarity = np.zeros(len(self.texts))
            similarity[found] = process.cdist(
                [canonical(tokens)], [self.canonicals[i] for i in found],
                scorer=fuzz.token_sort_ratio, dtype=np.float64,
            )[0]
        return self._matches(tokens, shared, found, similarity[found] / 100, boost, limit)

    def best(self, query: Normalised, *, cutoff: float = 0.0) -> Match | None:
        """The single best match, or None when nothing clears `cutoff`."""
        ranked = self.rank(query, limit=1)
        return ranked[0] if ranked and ranked[0].score >= cutoff else None

    def _matches(
        self,
        tokens: list[str],
        shared: np.ndarray,
        found: np.ndarray,
        similarity: np.ndarray,
        boost: Mapping[str, float] | None,
        limit: int,
    ) -> list[Match]:
        emphasis = QUERY_EMPHASIS * min(1.0, SHORT_QUERY / len(tokens))
        q_cov = shared[found] / sum(self.weight(t) for t in tokens)
        p_cov = shared[found] / self.phrasing_weight[found]
        overlap = q_cov**emphasis * p_cov ** (1 - emphasis)
        extra = np.array([boost.get(self.entries[self.owner[i]].id, 0.0) for i in found]) if boost else 0.0
        score = np.round(np.minimum(1.0, OVERLAP_WEIGHT * overlap + (1 - OVERLAP_WEIGHT) * similarity + extra), 4)
        best: dict[int, Match] = {}
        for k in np.argsort(-score, kind="stable"):
            entry = int(self.owner[found[k]])
            if entry not in best:
                boost_k = float(extra[k]) if boost else 0.0
                best[entry] = Match(
                    self.entries[entry].id, float(score[k]), self.texts[found[k]], float(overlap[k]),
                    float(similarity[k]), float(q_cov[k]), float(p_cov[k]), boost_k,
                )
                if len(best) == limit:
                    break
        return sorted(best.values(), key=lambda m: (-m.score, m.entry_id))


def canonical(tokens: Sequence[str]) -> str:
    """The form compared character by character: unique terms in a fixed order."""
    return " ".join(sorted(set(tokens)))


def _idf(token_sets: list[list[tuple[str, tuple[str, ...]]]]) -> dict[str, float]:
    """Inverse entry frequency: a term in every entry weighs almost nothing."""
    documents = [{t for _, tokens in phrasings for t in tokens} for phrasings in token_sets]
    frequency: dict[str, int] = defaultdict(int)
    for document in documents:
        for token in document:
            frequency[token] += 1
    total = len(documents)
    return {t: math.log((total + 1) / (df + 0.5)) for t, df in frequency.items()}
