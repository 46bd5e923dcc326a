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

On large knowledge a question shares a common word with much of it, and
character similarity is the expensive part. It adds at most `1 - OVERLAP_WEIGHT`,
so a phrasing whose overlap leaves it below a score some `limit` entries are
known to reach cannot be among the best `limit`: such phrasings are dropped
first (`_found`, `_shortlist`), and the ranking is exactly that of scoring all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from assistant import postings
from assistant.knowledge import Entry
from assistant.normalise import Normalised

OVERLAP_WEIGHT = 0.8  # the rest is character similarity
SHORT_QUERY = 8  # content words; longer questions are judged mostly by phrasing coverage
QUERY_EMPHASIS = 0.5  # how much a short question's own coverage counts
UNKNOWN_WEIGHT = 1.0  # words no phrasing uses, relative to the rarest known word
SHORTLIST_FROM = 10_000  # phrasings (about 2,000 entries); below, scoring every candidate is faster (measured)
SEED = 16  # phrasings per wanted entry scored to find a first bar
FEW = 500  # candidates left that are scored without bounding them further
# Scores are rounded to 4 places: a phrasing is only dropped when it is below the bar by
# more than rounding (and float error) could hide, so no tie is ever lost.
MARGIN = 1.0001e-4


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
class _Candidates:
    """Phrasings still in the running for one question, and their overlap parts."""

    ids: np.ndarray
    q_cov: np.ndarray
    p_cov: np.ndarray
    overlap: np.ndarray
    extra: np.ndarray | float


class Matcher:
    """An immutable index over all phrasings of a knowledge base.

    Built from the canonical form of every phrasing (`canonical` of its
    normalised terms; entry by entry, in order), so they can come from
    normalising or from an index cache. Scores are computed with numpy over
    the phrasings that share a term with the question, so one question and a
    batch of them run the same code and get exactly the same results; a batch
    only precomputes the character similarities for many questions at once
    (`similarities`).
    """

    def __init__(self, entries: tuple[Entry, ...], canonicals: Sequence[str]):
        self.entries = entries
        self.texts = [p for e in entries for p in e.phrasings]
        if len(canonicals) != len(self.texts):
            raise ValueError(f"{len(canonicals)} canonical forms for {len(self.texts)} phrasings")
        self.owner = np.repeat(np.arange(len(entries), dtype=np.intp), [len(e.alternates) + 1 for e in entries])
        self.canonicals = list(canonicals)
        terms, term_of, phrasing_of = postings.pairs(self.canonicals)
        self.weights = postings.idf(terms, term_of, self.owner[phrasing_of], len(entries))
        self.unknown_weight = UNKNOWN_WEIGHT * max(self.weights.values(), default=1.0)
        self.postings = postings.postings(terms, term_of, phrasing_of)
        self.letters = postings.letters(self.canonicals)
        self.lengths = np.array([len(c) for c in self.canonicals], dtype=np.int64)
        self.phrasing_weight = np.zeros(len(self.texts))
        for token in sorted(self.postings):  # the order `rank` adds a question's terms in
            self.phrasing_weight[self.postings[token]] += self.weights[token]
        self._index = {e.id: i for i, e in enumerate(entries)}

    @property
    def shortlists(self) -> bool:
        """Whether `rank` prunes candidates: the knowledge is large enough for it to pay."""
        return len(self.texts) >= SHORTLIST_FROM

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
        shortlist: bool = True,
    ) -> list[Match]:
        """The best `limit` entries for a question, best first (one match per entry).

        `similarity` is this question's row of `similarities`, if already
        computed; `shortlist=False` scores every candidate in full (the same
        result, slower on large knowledge; for tests and comparisons).
        """
        tokens = sorted(set(query.tokens))
        shared = np.zeros(len(self.texts))
        for token in tokens:
            if token in self.postings:
                shared[self.postings[token]] += self.weights[token]
        bar: float | None = None  # None: score every candidate
        if shortlist and self.shortlists:
            found, bar = self._found(tokens, shared, boost, limit, similarity)
        else:
            found = np.flatnonzero(shared != 0)  # on a boolean mask: many times faster
        if not len(found):
            return []
        candidates = self._candidates(tokens, shared, found, boost)
        if bar is not None:
            candidates = self._shortlist(candidates, tokens, limit, bar, similarity)
        return self._matches(candidates, self._similarity(tokens, candidates.ids, similarity), bool(boost), limit)

    def best(self, query: Normalised, *, cutoff: float = 0.0) -> Match | None:
        """The single best match, or None when nothing clears `cutoff`."""
        ranked = self.rank(query, limit=1)
        return ranked[0] if ranked and ranked[0].score >= cutoff else None

    def _found(
        self,
        tokens: list[str],
        shared: np.ndarray,
        boost: Mapping[str, float] | None,
        limit: int,
        similarity: np.ndarray | None,
    ) -> tuple[np.ndarray, float]:
        """The phrasings sharing a term with the question that can still matter, and a first bar.

        A phrasing's overlap is at most its question coverage to the power
        `emphasis` (its own coverage is at most 1), so its score is at most a
        function of its shared weight. The phrasings sharing the most weight
        are scored in full; the `limit`-th best entry among them sets a bar
        that becomes a least shared weight: one comparison per phrasing instead
        of scoring every phrasing that has a common word.
        """
        found = np.flatnonzero(shared != 0)
        weight = shared[found]
        if len(found) <= SEED * limit:
            return found, -math.inf
        seed = np.sort(found[np.argpartition(-weight, SEED * limit)[: SEED * limit]])
        c = self._candidates(tokens, shared, seed, boost)
        scores = _scores(c, self._similarity(tokens, seed, similarity))
        bar = max(self._bar(seed, _floor(c), limit), self._bar(seed, scores, limit))
        most_boost = max(0.0, max(boost.values(), default=0.0)) if boost else 0.0
        ratio = (bar - (1 - OVERLAP_WEIGHT) - most_boost) / OVERLAP_WEIGHT
        if ratio <= 0:
            return found, bar
        least = sum(self.weight(t) for t in tokens) * ratio ** (1 / _emphasis(tokens))
        return found[weight >= least * (1 - 1e-9)], bar  # the factor: float error never drops one

    def _similarity(self, tokens: list[str], ids: np.ndarray, similarity: np.ndarray | None) -> np.ndarray:
        """Character similarity (0-1) of the question to these phrasings; from `similarity` if given."""
        if similarity is not None:
            return similarity[ids] / 100
        row = process.cdist(
            [canonical(tokens)], [self.canonicals[i] for i in ids], scorer=fuzz.token_sort_ratio, dtype=np.float64
        )[0]
        return row / 100

    def _candidates(
        self, tokens: list[str], shared: np.ndarray, found: np.ndarray, boost: Mapping[str, float] | None
    ) -> _Candidates:
        """Overlap parts for every phrasing that shares a term with the question (cheap: no strings)."""
        emphasis = _emphasis(tokens)
        q_cov = shared[found] / sum(self.weight(t) for t in tokens)
        p_cov = shared[found] / self.phrasing_weight[found]
        overlap = q_cov**emphasis * p_cov ** (1 - emphasis)
        extra: np.ndarray | float = 0.0
        if boost:
            by_entry = np.zeros(len(self.entries))
            for entry_id, value in boost.items():
                if entry_id in self._index:
                    by_entry[self._index[entry_id]] = value
            extra = by_entry[self.owner[found]]
        return _Candidates(found, q_cov, p_cov, overlap, extra)

    def _shortlist(
        self, c: _Candidates, tokens: list[str], limit: int, bar: float, similarity: np.ndarray | None
    ) -> _Candidates:
        """Drop phrasings that cannot reach the best `limit` entries.

        A phrasing scores at least its overlap part plus boost (its floor) and
        at most that plus the similarity weight times a bound on its character
        similarity (its ceiling): 1, then one from lengths, then one from
        character counts, each tighter and dearer. Any entry score known to be
        reached sets a bar: `bar` from phrasings scored earlier, the `limit`-th
        best entry floor, or the best few ceilings scored in full. A phrasing
        whose ceiling is below the bar cannot displace any of the best entries.
        """
        floor = _floor(c)
        bar = max(bar, self._bar(c.ids, floor, limit))
        c, floor = _kept(c, floor, floor + (1 - OVERLAP_WEIGHT) >= bar)
        query = canonical(tokens)
        if len(c.ids) > FEW:
            bound = postings.by_length(query, self.lengths[c.ids])
            c, floor, bar = self._tighten(c, floor, bound, tokens, limit, bar, similarity)
        if len(c.ids) > FEW:
            bound = postings.most_similar(query, self.letters[c.ids], self.lengths[c.ids])
            c, floor, bar = self._tighten(c, floor, bound, tokens, limit, bar, similarity)
        return c

    def _tighten(
        self,
        c: _Candidates,
        floor: np.ndarray,
        bound: np.ndarray | None,
        tokens: list[str],
        limit: int,
        bar: float,
        similarity: np.ndarray | None,
    ) -> tuple[_Candidates, np.ndarray, float]:
        """Score the highest ceilings in full to raise the bar, then keep what can still reach it."""
        if bound is None:
            return c, floor, bar
        ceiling = floor + (1 - OVERLAP_WEIGHT) * bound
        seed = np.sort(np.argpartition(-ceiling, SEED * limit)[: SEED * limit])
        scored = _scores(_subset(c, seed), self._similarity(tokens, c.ids[seed], similarity))
        bar = max(bar, self._bar(c.ids[seed], scored, limit))
        c, floor = _kept(c, floor, ceiling >= bar)
        return c, floor, bar

    def _bar(self, ids: np.ndarray, reached: np.ndarray, limit: int) -> float:
        """The lowest ceiling that can still matter: the `limit`-th best entry's reached score, less rounding."""
        owners = self.owner[ids]  # ids ascend, so each entry's phrasings are adjacent
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        if len(starts) < limit:
            return -math.inf
        best = np.maximum.reduceat(reached, starts)
        return min(float(np.partition(best, -limit)[-limit]), 1.0) - MARGIN

    def _matches(self, c: _Candidates, similarity: np.ndarray, boosted: bool, limit: int) -> list[Match]:
        score = _scores(c, similarity)
        best: dict[int, Match] = {}
        for k in np.argsort(-score, kind="stable"):
            entry = int(self.owner[c.ids[k]])
            if entry not in best:
                boost_k = float(c.extra[k]) if boosted else 0.0  # type: ignore[index]
                best[entry] = Match(
                    self.entries[entry].id, float(score[k]), self.texts[c.ids[k]], float(c.overlap[k]),
                    float(similarity[k]), float(c.q_cov[k]), float(c.p_cov[k]), boost_k,
                )
                if len(best) == limit:
                    break
        return sorted(best.values(), key=lambda m: (-m.score, m.entry_id))


def canonical(tokens: Sequence[str]) -> str:
    """The form compared character by character: unique terms in a fixed order."""
    return " ".join(sorted(set(tokens)))


def _emphasis(tokens: Sequence[str]) -> float:
    """How much the question's own coverage counts: less for long questions."""
    return QUERY_EMPHASIS * min(1.0, SHORT_QUERY / len(tokens))


def _scores(c: _Candidates, similarity: np.ndarray) -> np.ndarray:
    """Each candidate's score: the overlap and similarity blend, plus boost, rounded."""
    return np.round(np.minimum(1.0, OVERLAP_WEIGHT * c.overlap + (1 - OVERLAP_WEIGHT) * similarity + c.extra), 4)


def _floor(c: _Candidates) -> np.ndarray:
    """The least each candidate can score: its overlap part and boost, with no character similarity."""
    return OVERLAP_WEIGHT * c.overlap + c.extra


def _kept(c: _Candidates, floor: np.ndarray, keep: np.ndarray) -> tuple[_Candidates, np.ndarray]:
    """The candidates (and their floors) where `keep` is true."""
    where = np.flatnonzero(keep)
    return _subset(c, where), floor[where]


def _subset(c: _Candidates, keep: np.ndarray) -> _Candidates:
    extra = c.extra[keep] if isinstance(c.extra, np.ndarray) else c.extra
    return _Candidates(c.ids[keep], c.q_cov[keep], c.p_cov[keep], c.overlap[keep], extra)
