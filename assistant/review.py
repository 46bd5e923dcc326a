"""`faq-assistant review LOG`: turn the unanswered-questions log into curation work.

A log of a busy week holds the same few gaps asked many ways. Questions are
normalised with the assistant's own pipeline (so "r nb made here" and "are
new balance made here" look alike), clustered greedily by rapidfuzz
similarity, and the biggest groups come first, each with the entry it came
closest to and what to do: add it as an alternate of that entry, or write a
new one. `--yaml` prints the alternates as a patch to paste.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO

import yaml
from rapidfuzz import fuzz, process

from assistant.core import Assistant
from assistant.errors import InputError

SIMILAR = 80  # token_sort_ratio (0-100) of normalised questions that counts as "asked the same"
ALTERNATE_FLOOR = 0.4  # the nearest entry must score this much to suggest an alternate of it
MAX_PATCH_PHRASINGS = 5  # per group, in the --yaml patch


@dataclass
class Group:
    """Questions that ask the same thing, and what the knowledge makes of them."""

    key: str
    questions: Counter[str] = field(default_factory=Counter)
    nearest: str | None = None
    kind: str = ""
    score: float = 0.0

    @property
    def count(self) -> int:
        return sum(self.questions.values())

    @property
    def question(self) -> str:
        return self.questions.most_common(1)[0][0]

    @property
    def action(self) -> str:
        if self.nearest and self.score >= ALTERNATE_FLOOR and self.kind == "faq":
            return f"add as alternate of {self.nearest}"
        if self.nearest and self.score >= ALTERNATE_FLOOR and self.kind == "decline":
            return f"out of scope: add as alternate of decline {self.nearest}"
        return "new entry"


def read_log(path: str, warn: TextIO) -> list[str]:
    """The logged questions; a broken line is skipped with a warning naming it."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = list(handle)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    questions = []
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError:
            record = None
        question = record.get("question") if isinstance(record, dict) else None
        if not isinstance(question, str) or not question.strip():
            print(f"{path}:{number}: skipped: not a logged question (broken or partial line)", file=warn)
            continue
        questions.append(question.strip())
    return questions


def group(bot: Assistant, questions: list[str], *, similar: int = SIMILAR) -> list[Group]:
    """Cluster greedily: the most asked forms found groups, the rest join the closest one if close enough."""
    forms: dict[str, Counter[str]] = {}
    for question in questions:
        key = bot.normaliser.normalise(question).text or " ".join(question.casefold().split())
        forms.setdefault(key, Counter())[question] += 1
    groups: list[Group] = []
    for key in sorted(forms, key=lambda k: (-sum(forms[k].values()), k)):
        found = process.extractOne(key, [g.key for g in groups], scorer=fuzz.token_sort_ratio, score_cutoff=similar)
        target = groups[found[2]] if found else None
        if target is None:
            target = Group(key)
            groups.append(target)
        target.questions.update(forms[key])
    for g in groups:
        _place(bot, g)
    return sorted(groups, key=lambda g: (-g.count, g.key))


def _place(bot: Assistant, g: Group) -> None:
    """The entry the group's most asked question came closest to."""
    candidates = bot.explain(g.question).candidates
    if candidates:
        g.nearest, g.score = candidates[0].entry_id, candidates[0].score
        g.kind = bot.entry(g.nearest).kind


def table(groups: list[Group]) -> str:
    lines = [f"{'count':>5}  {'question':<48} {'nearest (score)':<32} action"]
    for g in groups:
        nearest = f"{g.nearest} ({g.score:.2f})" if g.nearest else "-"
        lines.append(f"{g.count:>5}  {_cut(g.question, 48):<48} {nearest:<32} {g.action}")
        others = [q for q, _ in g.questions.most_common() if q != g.question][:3]
        lines += [f"{'':>7}also: {_cut(q, 70)}" for q in others]
    return "\n".join(lines)


def patch(bot: Assistant, groups: list[Group]) -> str:
    """Alternates per FAQ entry id, as YAML to paste under each entry's `alternates:`."""
    known = {_words(bot, p) for e in bot.knowledge.entries for p in e.phrasings}
    additions: dict[str, list[str]] = {}
    for g in groups:
        if "add as alternate" not in g.action or g.nearest is None:
            continue
        fresh = _distinct(bot, [q for q, _ in g.questions.most_common()], known)
        additions.setdefault(g.nearest, []).extend(fresh[:MAX_PATCH_PHRASINGS])
    if not additions:
        return "# nothing to add: no group is close to an existing entry\n"
    body = {entry_id: {"alternates": phrasings} for entry_id, phrasings in additions.items() if phrasings}
    header = "# Alternates suggested by `faq-assistant review`: paste each list under the entry's `alternates:`.\n"
    return header + yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=10**6)


def _distinct(bot: Assistant, questions: list[str], known: set[str]) -> list[str]:
    """Questions that say something the knowledge's phrasings do not already say (and not twice)."""
    out = []
    for question in questions:
        text = _words(bot, question)
        if text and text not in known:
            known.add(text)
            out.append(" ".join(question.split()))
    return out


def _words(bot: Assistant, text: str) -> tuple[str, ...]:
    """What the matcher sees of a phrasing: two with the same words add nothing to each other."""
    return tuple(sorted(set(bot.normaliser.normalise(text, correct=False).tokens)))


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def configure(commands: Any) -> None:
    from assistant.cli import add_kb_option

    parser = commands.add_parser("review", help="group an unanswered-questions log into suggested fixes")
    parser.add_argument("log", help="the JSONL log written with --log-unanswered")
    parser.add_argument("--yaml", action="store_true", help="print a YAML patch of alternates per entry id")
    parser.add_argument("--min-count", type=int, default=1, metavar="N", help="show groups asked at least N times")
    add_kb_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, streams: Any) -> int:
    bot = Assistant.load(args.kb)
    groups = [g for g in group(bot, read_log(args.log, streams.stderr)) if g.count >= args.min_count]
    if args.yaml:
        streams.stdout.write(patch(bot, groups))
    elif groups:
        print(table(groups), file=streams.stdout)
    else:
        print("no questions to review", file=streams.stdout)
    return 0
