"""How people actually type a curated question: typos, a dropped word, another order.

`check` asks the assistant each of these variants to measure how robust an
entry is. They are seeded by the entry id, so every run (and every CI log)
reports the same variants and a curator can reproduce a warning by hand.
"""

from __future__ import annotations

import random
import re

PUNCTUATION = re.compile(r"[^\w\s']+")


def variants(question: str, seed: str) -> list[tuple[str, str]]:
    """How people actually type a question, seeded so every run reports the same variants."""
    rng = random.Random(seed)
    tokens = question.split()
    found = [
        ("one typo", _typos(tokens, 1, rng)),
        ("two typos", _typos(tokens, 2, rng)),
        ("dropped word", _drop(tokens, rng)),
        ("reordered words", _reorder(tokens, rng)),
        ("lower case without punctuation", " ".join(PUNCTUATION.sub(" ", question.lower()).split())),
    ]
    return [(kind, text) for kind, text in found if text and text != question]


def _typos(tokens: list[str], count: int, rng: random.Random) -> str:
    candidates = [i for i, t in enumerate(tokens) if sum(c.isalpha() for c in t) >= 4]
    if not candidates:
        return ""
    out = list(tokens)
    picked = rng.sample(candidates, min(count, len(candidates)))
    for n in range(count):
        i = picked[n % len(picked)]
        out[i] = _typo(out[i], rng)
    return " ".join(out)


def _typo(word: str, rng: random.Random) -> str:
    """One keyboard slip inside the word's letters; the first letter is kept, as people rarely miss it."""
    letters = [i for i, c in enumerate(word) if c.isalpha()][1:]
    i = rng.choice(letters)
    edit = rng.choice(("delete", "swap", "replace", "double"))
    if edit == "swap" and i + 1 < len(word) and word[i + 1].isalpha() and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if edit == "replace":
        letter = rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != word[i].lower()])
        return word[:i] + letter + word[i + 1 :]
    if edit == "double":
        return word[: i + 1] + word[i:]
    return word[:i] + word[i + 1 :]


def _drop(tokens: list[str], rng: random.Random) -> str:
    if len(tokens) < 3:
        return ""
    i = rng.randrange(len(tokens))
    return " ".join(tokens[:i] + tokens[i + 1 :])


def _reorder(tokens: list[str], rng: random.Random) -> str:
    """The question's two halves swapped ("made in the USA, are New Balance sneakers?")."""
    if len(tokens) < 3:
        return ""
    plain = [*tokens[:-1], tokens[-1].rstrip("?!.")]
    split = rng.randrange(1, len(plain))
    return " ".join(plain[split:] + plain[:split])
