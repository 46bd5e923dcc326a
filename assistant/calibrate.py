"""`faq-assistant eval FILE --calibrate [--write]`: choose thresholds from evidence.

The answer and clarify thresholds trade right answers against wrong ones (a
wrong answer is worse than none). Rather than guess, sweep them on a labelled
set: every question is ranked once, then re-decided under each grid setting
with the assistant's own decision logic, and the setting that answers most
questions right while keeping wrong answers at or under MAX_WRONG wins.

Re-deciding is memoised: the decision compares candidate scores only with the
thresholds and score gaps with the margins, so two settings that put every
threshold between the same scores decide alike (a test checks this against
deciding every point in full).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from assistant.core import Assistant, Reply
from assistant.evaluate import VERDICTS, Case, verdict
from assistant.knowledge import Settings
from assistant.matcher import Match

MAX_WRONG = 0.05
RANK_DEPTH = 8  # the candidates the assistant itself decides from (core ranks max(limit, 8))
KEYS = ("answer_threshold", "clarify_threshold", "clarify_margin")
ANSWER_GRID = tuple(round(0.30 + 0.025 * i, 3) for i in range(17))  # 0.30 .. 0.70
CLARIFY_GRID = tuple(round(0.25 + 0.025 * i, 3) for i in range(19))  # 0.25 .. 0.70, never above answer
MARGIN_GRID = (0.0, 0.01, 0.02, 0.03, 0.05, 0.08)


@dataclass(frozen=True)
class Point:
    """One setting and how the labelled set fared under it (counts per verdict)."""

    answer_threshold: float
    clarify_threshold: float
    clarify_margin: float
    counts: tuple[int, int, int, int]  # right, wrong, declined, clarify

    @property
    def total(self) -> int:
        return sum(self.counts)

    def rate(self, name: str) -> float:
        return self.counts[VERDICTS.index(name)] / self.total if self.total else 0.0

    def values(self) -> dict[str, float]:
        return {key: getattr(self, key) for key in KEYS}


def grid() -> Iterator[tuple[float, float, float]]:
    for answer in ANSWER_GRID:
        for clarify in (c for c in CLARIFY_GRID if c <= answer):
            for margin in MARGIN_GRID:
                yield answer, clarify, margin


def decide(bot: Assistant, question: str, ranked: Sequence[Match]) -> Reply:
    """The reply `bot` gives a question already ranked, as `ask` would without context."""
    return bot.decide(question, ranked)


class Sweep:
    """Rank each labelled question once, then score any setting quickly."""

    def __init__(self, bot: Assistant, cases: Sequence[Case]):
        self.bot = bot
        self.cases = list(cases)
        self.ranked = [tuple(bot.explain(c.question, limit=RANK_DEPTH).candidates) for c in self.cases]
        # Replies that come from the conversation rules ("tell me more"), not from matching, ignore thresholds.
        self.fixed = [self._fixed(c, r) for c, r in zip(self.cases, self.ranked, strict=True)]
        self._thresholds = [{t: self._above(r, t) for t in (*ANSWER_GRID, *CLARIFY_GRID)} for r in self.ranked]
        self._margins = [{m: self._close(r, m) for m in MARGIN_GRID} for r in self.ranked]
        self._memo: dict[tuple[int, tuple[bool, ...], tuple[bool, ...], tuple[bool, ...]], str] = {}

    def _fixed(self, case: Case, ranked: Sequence[Match]) -> str | None:
        reply = self.bot.ask(case.question)
        return verdict(case.expected, reply) if reply != decide(self.bot, case.question, ranked) else None

    @staticmethod
    def _above(ranked: Sequence[Match], threshold: float) -> tuple[bool, ...]:
        return tuple(m.score >= threshold for m in ranked)

    @staticmethod
    def _close(ranked: Sequence[Match], margin: float) -> tuple[bool, ...]:
        return tuple(m.score >= top.score - margin for top in ranked for m in ranked)

    def point(self, answer: float, clarify: float, margin: float) -> Point:
        settings = replace(self.bot.settings, answer_threshold=answer, clarify_threshold=clarify, clarify_margin=margin)
        decider = self.bot.with_settings(settings)
        counts = Counter(self._verdict(decider, i, settings) for i in range(len(self.cases)))
        return Point(answer, clarify, margin, tuple(counts[v] for v in VERDICTS))  # type: ignore[arg-type]

    def _verdict(self, decider: Assistant, i: int, settings: Settings) -> str:
        fixed = self.fixed[i]
        if fixed is not None:
            return fixed
        ranked, above, close = self.ranked[i], self._thresholds[i], self._margins[i]
        answer, clarify, margin = settings.answer_threshold, settings.clarify_threshold, settings.clarify_margin
        key = (
            i,
            above[answer] if answer in above else self._above(ranked, answer),
            above[clarify] if clarify in above else self._above(ranked, clarify),
            close[margin] if margin in close else self._close(ranked, margin),
        )
        if key not in self._memo:
            case = self.cases[i]
            self._memo[key] = verdict(case.expected, decide(decider, case.question, ranked))
        return self._memo[key]

    def all_points(self) -> list[Point]:
        return [self.point(*values) for values in grid()]


def _preference(current: Point) -> Callable[[Point], tuple[float, ...]]:
    """Most right first; ties go to fewer wrong, fewer clarify, then the setting nearest today's."""

    def key(p: Point) -> tuple[float, ...]:
        distance = sum(abs(getattr(p, k) - getattr(current, k)) for k in KEYS)
        return (-p.counts[0], p.counts[1], p.counts[3], round(distance, 6))

    return key


def recommend(points: Sequence[Point], current: Point) -> Point:
    """The preferred setting with wrong <= MAX_WRONG, or the one with fewest wrong if none is that safe."""
    allowed = [p for p in points if p.rate("wrong") <= MAX_WRONG + 1e-9]
    if not allowed:
        fewest = min(p.counts[1] for p in points)
        allowed = [p for p in points if p.counts[1] == fewest]
    return min(allowed, key=_preference(current))


def frontier(points: Sequence[Point], current: Point) -> list[Point]:
    """The settings worth considering: no other gets more right with no more wrong."""
    best: dict[int, Point] = {}
    for p in sorted(points, key=_preference(current)):
        best.setdefault(p.counts[1], p)
    out: list[Point] = []
    for wrong in sorted(best):
        if not out or best[wrong].counts[0] > out[-1].counts[0]:
            out.append(best[wrong])
    return out


def table(points: Sequence[Point], current: Point, chosen: Point) -> str:
    header = f"{'':2}{'answer':>8}{'clarify':>9}{'margin':>8}{'right':>8}{'wrong':>8}{'declined':>10}{'clarify':>9}"
    rows = [("now", current), *(("*" if p == chosen else "", p) for p in frontier(points, current))]
    if chosen not in frontier(points, current):
        rows.append(("*", chosen))
    lines = [header]
    for mark, p in rows:
        lines.append(
            f"{mark:<3}{p.answer_threshold:>7.3f}{p.clarify_threshold:>9.3f}{p.clarify_margin:>8.2f}"
            + "".join(f"{p.rate(v):>{w}.1%}" for v, w in zip(VERDICTS, (8, 8, 10, 9), strict=True))
        )
    return "\n".join(lines)


def calibrate(bot: Assistant, cases: Sequence[Case]) -> tuple[list[Point], Point, Point]:
    """All grid points, today's setting, and the recommended one."""
    sweep = Sweep(bot, cases)
    s = bot.settings
    current = sweep.point(s.answer_threshold, s.clarify_threshold, s.clarify_margin)
    points = sweep.all_points()
    return points, current, recommend(points, current)


def summary(points: Sequence[Point], current: Point, chosen: Point) -> str:
    settings = ", ".join(f"{k} {v:g}" for k, v in chosen.values().items())
    verdict_text = f"right {chosen.rate('right'):.1%}, wrong {chosen.rate('wrong'):.1%}"
    limit = "" if chosen.rate("wrong") <= MAX_WRONG + 1e-9 else f" (no setting keeps wrong at {MAX_WRONG:.0%} or less)"
    return (
        f"{table(points, current, chosen)}\n\n{len(points)} settings tried on {chosen.total} questions; "
        f"now: right {current.rate('right'):.1%}, wrong {current.rate('wrong'):.1%}\n"
        f"recommended: {settings} ({verdict_text}){limit}"
    )
