"""`faq-assistant check`: lint a knowledge base before shoppers meet it.

Loading already rejects what is malformed; this goes further and asks the
assistant itself how it treats the knowledge: does every phrasing come back as
its own entry, do two entries claim the same words, does a question still work
with a typo or a dropped word? Each finding is one `FILE:LINE: entry-id:
severity: message` line, so editors and CI can jump to the entry at fault.
Errors (exit 1) are phrasings the assistant gets wrong today; warnings (exit 0)
are gaps a curator should look at.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.core import Assistant, Reply
from assistant.errors import KnowledgeError
from assistant.knowledge import Entry
from assistant.matcher import Match
from assistant.normalise import words
from assistant.variants import variants

MIN_ALTERNATES = 3
EXPECTED_STATUS = {"faq": "answered", "smalltalk": "smalltalk", "decline": "no_match"}


@dataclass(frozen=True)
class Finding:
    """One problem, located where the curator has to edit."""

    file: str
    line: int
    entry_id: str
    severity: str  # "error" | "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.entry_id}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Report:
    """Everything `check` found, plus the robustness scores it measured."""

    findings: tuple[Finding, ...] = ()
    entries: int = 0
    robustness: dict[str, float] = field(default_factory=dict)  # FAQ entry id -> share of variants retrieved
    variants: int = 0
    retrieved: int = 0
    load_error: str | None = None

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings) + (self.load_error is not None)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)

    @property
    def overall(self) -> float:
        return self.retrieved / self.variants if self.variants else 0.0

    def lines(self) -> list[str]:
        """Findings (errors first, each group in file order), then the summary line."""
        if self.load_error is not None:
            return [self.load_error, "check: 1 error: the knowledge does not load"]
        ordered = sorted(self.findings, key=lambda f: (f.severity != "error", f.file, f.line))
        summary = (
            f"check: {self.errors} error{'s' * (self.errors != 1)}, {self.warnings} "
            f"warning{'s' * (self.warnings != 1)} in {self.entries} entries; robustness "
            f"{self.overall:.0%} ({self.retrieved} of {self.variants} question variants answered right)"
        )
        return [*map(str, ordered), summary]


def check(path: str | None) -> Report:
    """Load the knowledge at `path` and lint it; a load error is the only finding."""
    try:
        bot = Assistant.load(path)
    except KnowledgeError as exc:
        return Report(load_error=str(exc))
    return lint(bot)


def lint(bot: Assistant) -> Report:
    """All rules over an already loaded assistant."""
    retrieved_by: dict[str, set[str]] = {}
    findings = [*_collisions(bot), *_self_retrieval(bot, retrieved_by)]
    scores: dict[str, float] = {}
    tried = passed = 0
    for entry in bot.faq:
        outcomes = [(kind, text, bot.ask(text)) for kind, text in variants(entry.question, entry.id)]
        good = sum(_retrieves(entry, reply) for _, _, reply in outcomes)
        tried, passed = tried + len(outcomes), passed + good
        scores[entry.id] = good / len(outcomes) if outcomes else 1.0
        findings += _robustness(bot, entry, outcomes, scores[entry.id])
    findings += [*_curation(bot, retrieved_by), *_synonym_overlaps(bot.knowledge.path)]
    return Report(tuple(findings), len(bot.knowledge.entries), scores, tried, passed)


def _where(entry: Entry) -> dict[str, Any]:
    return {"file": entry.file, "line": entry.line, "entry_id": entry.id}


def _label(entry: Entry, phrasing: str) -> str:
    return f"{'question' if phrasing == entry.question else 'alternate'} {phrasing!r}"


def _key(bot: Assistant, phrasing: str) -> tuple[str, ...]:
    """What the matcher compares: the phrasing's distinct canonical terms."""
    return tuple(sorted(set(bot.normaliser.normalise(phrasing, correct=False).tokens)))


def _collisions(bot: Assistant) -> Iterator[Finding]:
    """Phrasings of two entries that normalise to the same words: the matcher cannot tell them apart."""
    seen: dict[tuple[str, ...], tuple[Entry, str]] = {}
    for entry in bot.knowledge.entries:
        for phrasing in entry.phrasings:
            key = _key(bot, phrasing)
            other, text = seen.setdefault(key, (entry, phrasing)) if key else (entry, phrasing)
            if other.id != entry.id:
                message = (
                    f"collision: {_label(entry, phrasing)} normalises to the same words as "
                    f"{_label(other, text)} of {other.id} ({other.file}:{other.line})"
                )
                yield Finding(**_where(entry), severity="error", message=message)


def _colliding_phrasings(bot: Assistant) -> set[str]:
    """Phrasings already reported as normalisation collisions (both sides), so they are not reported twice."""
    owners: dict[tuple[str, ...], set[str]] = {}
    texts: dict[tuple[str, ...], set[str]] = {}
    for entry in bot.knowledge.entries:
        for phrasing in entry.phrasings:
            key = _key(bot, phrasing)
            owners.setdefault(key, set()).add(entry.id)
            texts.setdefault(key, set()).add(phrasing)
    return {t for key, ids in owners.items() if key and len(ids) > 1 for t in texts[key]}


def _self_retrieval(bot: Assistant, retrieved_by: dict[str, set[str]]) -> Iterator[Finding]:
    """Every phrasing must come back as its own entry (small talk as small talk, declines as no match)."""
    skip = _colliding_phrasings(bot)
    for entry in bot.knowledge.entries:
        for phrasing in entry.phrasings:
            reply = bot.ask(phrasing)
            if _retrieves(entry, reply):
                retrieved_by.setdefault(entry.id, set()).add(phrasing)
                continue
            candidates = bot.explain(phrasing).candidates
            target = destination(bot, reply, candidates)
            if target is not None:
                retrieved_by.setdefault(target, set()).add(phrasing)
            if phrasing in skip:
                continue
            if target is not None and target != entry.id:
                verb = "declined by" if bot.entry(target).kind == "decline" else "answered by"
                score = next((m.score for m in candidates if m.entry_id == target), 0.0)
                message = f"collision: {_label(entry, phrasing)} is {verb} {target} ({score:.2f})"
            else:
                message = f"self-retrieval: {_label(entry, phrasing)} gets {_outcome(reply, candidates)}"
            yield Finding(**_where(entry), severity="error", message=message)


def _retrieves(entry: Entry, reply: Reply) -> bool:
    if reply.status != EXPECTED_STATUS[entry.kind]:
        return False
    return entry.kind == "decline" or reply.entry_id == entry.id


def destination(bot: Assistant, reply: Reply, candidates: Sequence[Match]) -> str | None:
    """The entry a reply came from: the answer or small talk, or the decline entry that said no."""
    if reply.entry_id is not None:
        return reply.entry_id
    if reply.status != "no_match":
        return None
    declines = (bot.entry(m.entry_id) for m in candidates)
    return next((e.id for e in declines if e.kind == "decline" and reply.text.startswith(e.answer)), None)


def _outcome(reply: Reply, candidates: Sequence[Match]) -> str:
    """What happened instead, in words a curator can act on."""
    if reply.status == "clarify":
        return "a clarify question between " + ", ".join(i for i, _ in reply.options)
    best = candidates[0] if candidates else None
    nearest = f" (best: {best.entry_id} {best.score:.2f})" if best else " (no entry shares a word)"
    if reply.status == "no_match":
        return "no match" + nearest
    return f"{reply.status} {reply.entry_id or ''}".strip() + nearest


def _robustness(bot: Assistant, entry: Entry, outcomes: list[tuple[str, str, Reply]], score: float) -> list[Finding]:
    out = []
    for kind, text, reply in outcomes:
        if not _retrieves(entry, reply):
            got = _outcome(reply, bot.explain(text).candidates)
            out.append(Finding(**_where(entry), severity="warning", message=f"robustness: {kind} {text!r} gets {got}"))
    if score < 1.0:
        good = round(score * len(outcomes))
        message = f"robustness {score:.0%} ({good} of {len(outcomes)} variants of the question answered right)"
        out.append(Finding(**_where(entry), severity="warning", message=message))
    return out


def _curation(bot: Assistant, retrieved_by: dict[str, set[str]]) -> Iterator[Finding]:
    """Gaps that do not break anything yet: thin phrasings, dead ends, entries nobody can reach."""
    followed = {target for e in bot.faq for target in e.follow_ups}
    for entry in bot.faq:
        if len(entry.alternates) < MIN_ALTERNATES:
            count = len(entry.alternates)
            message = f"{count} alternate{'s' * (count != 1)}: add at least {MIN_ALTERNATES} other ways people ask this"
            yield Finding(**_where(entry), severity="warning", message=message)
        if not entry.follow_ups:
            yield Finding(**_where(entry), severity="warning", message="no follow_ups (suggest what to ask next)")
        if entry.id not in followed and not retrieved_by.get(entry.id):
            message = "unreachable: no phrasing retrieves it and no entry has it as a follow-up"
            yield Finding(**_where(entry), severity="warning", message=message)


def _synonym_overlaps(path: str) -> Iterator[Finding]:
    """A term in two synonym groups: only one group can win, so the other silently loses it."""
    seen: dict[str, tuple[str, int]] = {}
    for file, line, terms in synonym_groups(path):
        for term in dict.fromkeys(" ".join(words(t)) for t in terms):
            first = seen.setdefault(term, (file, line))
            if first != (file, line):
                message = f"synonym {term!r} is in two groups (also {first[0]}:{first[1]})"
                yield Finding(file, line, "synonyms", "warning", message)


def synonym_groups(path: str) -> Iterator[tuple[str, int, list[str]]]:
    """Each synonyms group with the file and line it is written on (the loader keeps only the terms)."""
    root = Path(path)
    files = sorted(p for p in root.iterdir() if p.suffix in (".yaml", ".yml")) if root.is_dir() else [root]
    for file in files:
        node = yaml.compose(file.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        if not isinstance(node, yaml.MappingNode):
            continue
        for key, value in node.value:
            if key.value == "synonyms" and isinstance(value, yaml.SequenceNode):
                for group in value.value:
                    terms = [str(t.value) for t in getattr(group, "value", []) if isinstance(t, yaml.ScalarNode)]
                    yield str(file), group.start_mark.line + 1, terms


def configure(commands: Any) -> None:
    from assistant.cli import add_kb_option

    parser = commands.add_parser("check", help="lint a knowledge base (exit 1 on errors)")
    add_kb_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, streams: Any) -> int:
    report = check(args.kb)
    for line in report.lines():
        print(line, file=streams.stdout)
    return 1 if report.errors else 0
