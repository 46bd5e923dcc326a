"""The arrays the matcher searches, built from every phrasing's canonical terms.

A large knowledge base has half a million phrasings, so everything here is
built with numpy in a few passes rather than phrasing by phrasing in Python:
which phrasings use each term (postings), how rare each term is (weights), and
how many of each character each phrasing has (`letters`), from which a cheap
upper bound on the character similarity of a question to a phrasing follows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 _"  # what canonical forms are made of; the rest share a count
OTHER = len(ALPHABET)
BUCKETS = OTHER + 1
_BUCKET_OF = np.full(128, OTHER, dtype=np.intp)
_BUCKET_OF[[ord(c) for c in ALPHABET]] = np.arange(OTHER)
CHUNK = 50_000  # phrasings counted at once: bounds the temporary arrays


def pairs(canonicals: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every (term, phrasing) pair, ordered by term then phrasing.

    A canonical form lists each term once, so the pairs are already distinct.
    """
    flat = " ".join(canonicals).split()
    terms = list(dict.fromkeys(flat))
    index = {t: i for i, t in enumerate(terms)}
    term_ids = np.fromiter(map(index.__getitem__, flat), dtype=np.intp, count=len(flat))
    lengths = [len(c.split()) for c in canonicals]
    phrasing_ids = np.repeat(np.arange(len(canonicals), dtype=np.intp), lengths)
    order = np.argsort(term_ids, kind="stable")
    return terms, term_ids[order], phrasing_ids[order]


def postings(terms: list[str], term_of: np.ndarray, phrasing_of: np.ndarray) -> dict[str, np.ndarray]:
    """For each term, the phrasings that use it, ascending (views of one array: little memory)."""
    if not len(term_of):
        return {}
    starts = np.flatnonzero(np.r_[True, term_of[1:] != term_of[:-1]])
    groups = np.split(phrasing_of, starts[1:])
    return {terms[term_of[i]]: ids for i, ids in zip(starts.tolist(), groups, strict=True)}


def idf(terms: list[str], term_of: np.ndarray, entry_of: np.ndarray, entries: int) -> dict[str, float]:
    """Inverse entry frequency: a term in every entry weighs almost nothing."""
    per_entry = distinct(term_of.astype(np.int64) * max(1, entries) + entry_of)
    frequency = np.bincount(per_entry // max(1, entries), minlength=len(terms)).tolist()
    return {t: math.log((entries + 1) / (df + 0.5)) for t, df in zip(terms, frequency, strict=True)}


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique hashes first, several times slower on millions)."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def letters(texts: Sequence[str]) -> np.ndarray:
    """How many of each character (by `ALPHABET` bucket) each text has, at most 255.

    A text with more than 255 of one character counts 255 of every one: its
    bound then only uses the other side's counts, which is still an upper bound.
    """
    out = np.zeros((len(texts), BUCKETS), dtype=np.uint8)
    for start in range(0, len(texts), CHUNK):
        part = texts[start : start + CHUNK]
        codes = np.frombuffer("".join(part).encode("utf-32-le"), dtype=np.uint32)
        buckets = _BUCKET_OF[np.minimum(codes, 127)]
        buckets[codes > 127] = OTHER
        rows = np.repeat(np.arange(len(part)), [len(t) for t in part])
        counts = np.bincount(rows * BUCKETS + buckets, minlength=len(part) * BUCKETS).reshape(len(part), BUCKETS)
        counts[(counts > 255).any(axis=1)] = 255
        out[start : start + len(part)] = counts
    return out


def by_length(query: str, lengths: np.ndarray) -> np.ndarray | None:
    """An upper bound on each text's similarity (0-1, as `most_similar`) from lengths alone: cheaper, looser.

    A common subsequence is no longer than the shorter string.
    """
    if not query:
        return None
    return 2 * np.minimum(lengths, len(query)) / (lengths + len(query))


def most_similar(query: str, counts: np.ndarray, lengths: np.ndarray) -> np.ndarray | None:
    """An upper bound on each text's similarity (0-1, Indel ratio as rapidfuzz's `ratio`) to `query`.

    The longest common subsequence of two strings cannot use more of a
    character than either has, so it is at most the sum over characters of the
    smaller count. None when the query is too long to count in 8 bits.
    """
    mine = letters([query])[0]
    if not query or mine.max() == 255:
        return None
    common = np.minimum(counts, mine).sum(axis=1, dtype=np.int64)
    return np.minimum(1.0, 2 * common / np.maximum(1, lengths + len(query)))
