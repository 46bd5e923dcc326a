"""Synthetic knowledge bases and the questions people would type about them, reproducibly.

The scale benchmark and its tests need help centres of any size whose bytes
depend only on the size and a seed. An entry is about a few topic words
(invented words from a generated list, so every size has a varied vocabulary
that grows more slowly than the entry count, as real help centres do) plus a
few common support words ("order", "password") that many entries share and
that make the matcher's posting lists long. Each entry has five phrasings
built from different question templates. Derived questions take a phrasing,
drop a word and make typos, and remember which entry they came from.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

SYLLABLES = [c + v for c in "bcdfghjklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
CODAS = ("", "", "", "n", "r", "l", "s", "x", "nd", "rt")
COMMON = (
    "order account password payment refund delivery parcel invoice address card subscription return "
    "exchange warranty repair battery screen charger update login profile email receipt discount voucher "
    "store app setting size colour stock shipping tracking plan upgrade cancel delete change reset "
    "install connect download share print export import sync backup restore verify"
).split()
TEMPLATES = (
    "How do I {c} the {a} {b}?",
    "What is the {a} {b} {c} for?",
    "Can I {c} my {b} {a} {d}?",
    "{a} {b} {d} {c}",
    "Where can I find the {c} {d} {a}?",
    "Why does the {b} {a} need a {c}?",
    "Is it possible to {c} a {d} {b}?",
    "{c} {a} {b} not working",
)
SYNONYMS = (("parcel", "package"), ("delete", "remove", "erase"), ("login", "sign in", "log in"))
ANSWER = "To {c} the {a} {b}, open the {d} page, choose {a} and follow the steps. Support can help with {c}."


@dataclass(frozen=True)
class SynthEntry:
    """One generated FAQ entry: its id, five phrasings, answer and tag."""

    id: str
    phrasings: tuple[str, ...]
    answer: str
    tag: str


def vocabulary_size(entries: int) -> int:
    """Topic words for a knowledge base of `entries`: sublinear growth, as in real text (Heaps' law)."""
    return max(200, int(40 * entries**0.5))


def word_list(count: int, rng: random.Random) -> list[str]:
    """`count` distinct invented words of two to four syllables, in generation order."""
    seen: dict[str, None] = {}
    while len(seen) < count:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) + rng.choice(CODAS)
        if word not in COMMON:
            seen[word] = None
    return list(seen)


def generate(entries: int, seed: int = 7) -> list[SynthEntry]:
    """`entries` FAQ entries; the same size and seed always give the same entries."""
    rng = random.Random(f"{seed}:{entries}")
    topics = word_list(vocabulary_size(entries), rng)
    common_weights = [1 / (rank + 1) for rank in range(len(COMMON))]  # Zipf: a few words everywhere
    out = []
    for number in range(entries):
        a, b, d = rng.sample(topics, 3)
        commons = rng.choices(COMMON, weights=common_weights, k=5)
        templates = rng.sample(TEMPLATES, 5)
        phrasings = tuple(t.format(a=a, b=b, c=c, d=d) for t, c in zip(templates, commons, strict=True))
        answer = ANSWER.format(a=a, b=b, c=commons[0], d=d)
        out.append(SynthEntry(f"e{number:06d}", phrasings, answer, f"topic-{number % max(1, entries // 50)}"))
    return out


def to_yaml(entries: list[SynthEntry]) -> str:
    """The knowledge file, written by hand (JSON strings are valid YAML) so large sizes are quick to write."""
    lines = ["synonyms:"]
    lines += [f"  - {json.dumps(list(group))}" for group in SYNONYMS]
    lines.append("entries:")
    for entry in entries:
        lines += [
            f"  - id: {entry.id}",
            f"    question: {json.dumps(entry.phrasings[0])}",
            f"    alternates: {json.dumps(list(entry.phrasings[1:]))}",
            f"    answer: {json.dumps(entry.answer)}",
            f"    tags: [{entry.tag}]",
        ]
    return "\n".join(lines) + "\n"


def write(folder: Path, entries: int, seed: int = 7) -> Path:
    """Write a knowledge base of `entries` entries as `folder/kb.yaml`; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kb.yaml").write_text(to_yaml(generate(entries, seed)), encoding="utf-8")
    return folder


def typo(word: str, rng: random.Random) -> str:
    """One keyboard slip: a dropped, swapped, doubled or wrong letter."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + word[i + 1 :]


def derive_question(phrasing: str, rng: random.Random) -> str:
    """A phrasing as someone might type it: lower case, a word dropped, one or two typos."""
    words = phrasing.rstrip("?").lower().split()
    if len(words) > 3 and rng.random() < 0.6:
        del words[rng.randrange(len(words))]
    for _ in range(rng.choice((1, 1, 2))):
        i = rng.randrange(len(words))
        words[i] = typo(words[i], rng)
    return " ".join(words)


def questions(entries: list[SynthEntry], count: int, seed: int = 11) -> list[tuple[str, str]]:
    """`count` (question, expected entry id) pairs derived from random phrasings of random entries."""
    rng = random.Random(f"{seed}:{len(entries)}:{count}")
    picked = [rng.choice(entries) for _ in range(count)]
    return [(derive_question(rng.choice(e.phrasings), rng), e.id) for e in picked]
