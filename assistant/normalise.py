"""Turning what people type into the canonical terms the matcher compares.

Shoppers type "r nb kicks manufacured stateside??" and mean "are New Balance
shoes made in the USA". The pipeline here closes that gap in a fixed order:
Unicode and punctuation clean-up, contractions and chat slang, splitting
"990s"/"nb990", spelling correction against the knowledge base's own
vocabulary, stemming, synonym phrases to one canonical term, stop words out.
Knowledge phrasings go through the same pipeline (without spelling
correction), so both sides always agree.
"""

from __future__ import annotations

import gzip
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from itertools import filterfalse

import Stemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

TOKEN = re.compile(r"[^\W\d_]+|\d+")
ASCII_TOKEN = re.compile(r"[a-z]+|[0-9]+")  # TOKEN on lower-case ASCII, twice as fast
SURROGATES = re.compile(r"[\ud800-\udfff]")
APOSTROPHE_FORMS = (
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\bcan't\b"), "can not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'m\b"), " am"),
    (re.compile(r"'d\b"), " would"),
    (re.compile(r"'s\b"), ""),
)
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})

# Chat spellings of function words, and contractions typed without the apostrophe.
SLANG = {
    "r": "are", "u": "you", "ur": "your", "ya": "you", "y": "why", "n": "and", "im": "i am",
    "dont": "do not", "doesnt": "does not", "isnt": "is not", "arent": "are not", "cant": "can not",
    "wont": "will not", "didnt": "did not", "wasnt": "was not", "werent": "were not",
    "whats": "what", "wheres": "where", "hows": "how", "whos": "who", "thats": "that",
    "youre": "you are", "theyre": "they are", "pls": "please", "plz": "please", "abt": "about",
    "bc": "because", "cuz": "because", "w": "with", "wat": "what", "wut": "what", "da": "the",
    "ppl": "people", "em": "them", "rn": "now", "tho": "though", "gonna": "going to", "wanna": "want to",
    "fr": "", "af": "", "tbh": "", "ngl": "", "idk": "", "imo": "", "lmao": "",
}

SLANG_WORDS = frozenset(SLANG)

# Words that carry no meaning for retrieval. Question words ("how", "where", "who")
# are deliberately absent: they separate "how are they made" from "where".
STOPWORDS = frozenset(
    """a an the is are am was were be been being do does did done i me my mine we our us you your
    it its they them their theirs this that these those of to in on at for with by from about as
    and or but so if then than into onto also too very just really actually can could would should
    will shall may might must there here have has had having please tell know wondering wonder
    curious question questions want wanted need like quick hi hello hey okay ok um uh lol
    anyone somebody someone one ones some thing things stuff kind sort bit lot lots any
    whether either else still even ever now get got""".split()
)
# Greetings and thanks must survive: small-talk entries are made of them.
STOPWORDS = STOPWORDS - {"hi", "hello", "hey"}


# Words with a corpus count of 100 or more (three digits, no leading zero) are real English.
COMMON_WORD = re.compile(rb'"([a-z]+)": [1-9][0-9]{2,}')


class EnglishWords:
    """Common English words, so "mall" or "lunch" are never "corrected" to "all" or "launch".

    The word list is pyspellchecker's frequency dictionary. Reading it takes
    ~0.1 s, so it is read on first use (only questions with an unknown word
    need it) and then kept.
    """

    def __init__(self) -> None:
        self._words: frozenset[str] | None = None
        self._lock = threading.Lock()

    def __contains__(self, word: str) -> bool:
        if self._words is None:
            with self._lock:
                if self._words is None:
                    self._words = self._read()
        return word in self._words

    @staticmethod
    def _read() -> frozenset[str]:
        data = gzip.decompress((resources.files("spellchecker") / "resources" / "en.json.gz").read_bytes())
        # {"word": count, ...}; a regex over the bytes is several times faster than json.loads.
        return frozenset(w.decode() for w in COMMON_WORD.findall(data))


@dataclass(frozen=True)
class Normalised:
    """A question in canonical form, with a record of what was changed and why."""

    original: str
    tokens: tuple[str, ...]
    corrections: tuple[tuple[str, str], ...] = ()
    synonyms: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


def clean(text: str) -> str:
    """Unicode and punctuation clean-up that needs no knowledge of the domain.

    Plain ASCII is already NFKC and has no surrogates, and text without an
    apostrophe has no contractions: skipping those steps makes loading a big
    knowledge base several times faster and gives the same result.
    """
    if text.isascii():
        text = text.lower().replace("`", "'") if "`" in text else text.lower()
    else:
        text = SURROGATES.sub(" ", unicodedata.normalize("NFKC", text)).casefold().translate(QUOTES)
    if "'" in text:
        for pattern, replacement in APOSTROPHE_FORMS:
            text = pattern.sub(replacement, text)
    return text


SENTENCE_END = re.compile(r"(?<=[.?!;])\s+|\n+")


def sentences(text: str) -> list[str]:
    """Sentences of a message; the questions among them if it asks any."""
    parts = [p.strip() for p in SENTENCE_END.split(text) if TOKEN.search(p)]
    asked = [p for p in parts if p.endswith("?")]
    return asked or parts


def words(text: str) -> list[str]:
    """Cleaned words, with chat slang expanded and letters split from digits ("nb990s")."""
    text = clean(text)
    found: list[str] = (ASCII_TOKEN if text.isascii() else TOKEN).findall(text)
    if SLANG_WORDS.isdisjoint(found) and "s" not in found:  # most text: nothing to expand or drop
        return found
    out: list[str] = []
    for token in found:
        out.extend(SLANG.get(token, token).split())
    return [w for i, w in enumerate(out) if not (w == "s" and i and out[i - 1].isdigit())]


class Normaliser:
    """The pipeline, specialised to one knowledge base's vocabulary and synonyms.

    Immutable after construction. Stems of every word the knowledge uses are
    worked out once here (a knowledge base repeats its words across thousands
    of phrasings); other words go to the C stemmer, which is not thread-safe,
    under a lock. The memo never grows after construction, so arbitrary
    questions cannot make it use more memory.
    """

    def __init__(
        self, synonyms: Iterable[Sequence[str]], vocabulary: Iterable[str] = (), *, counts: Counter[str] | None = None
    ):
        """`vocabulary` is the knowledge's texts; or pass `counts`, their word counts, when already known."""
        self._stemmer = Stemmer.Stemmer("english")
        self._lock = threading.Lock()
        counts = Counter(w for text in vocabulary for w in words(text)) if counts is None else Counter(counts)
        self._stems: dict[str, str] = {}
        self._synonyms = self._synonym_map(synonyms, counts)
        self._phrase_starts = frozenset(key[0] for key in self._synonyms if key)
        self._max_phrase = max((len(k) for k in self._synonyms), default=1)
        self._stems = {w: self._stemmer.stemWord(w) for w in (*counts, *STOPWORDS)}
        self._stopwords = frozenset(self._stem(w) for w in STOPWORDS)
        known = [w for w, _ in counts.most_common() if w not in STOPWORDS and not w.isdigit()]
        # Most frequent first, so ties favour common words; stop words last ("thier" -> "their").
        self._vocabulary = known + sorted(STOPWORDS)
        self._by_length = _by_length(self._vocabulary)
        self._known = frozenset(known) | STOPWORDS
        self._known_stems = frozenset(self._stem(w) for w in known)
        self._english = EnglishWords()

    def normalise(self, text: str, *, correct: bool = True) -> Normalised:
        raw = words(text)
        fixes: list[tuple[str, str]] = []
        if correct:
            raw = self._correct_all(raw, fixes)
        stems, replaced = self._apply_synonyms([self._stem(w) for w in raw])
        tokens = tuple(t for t in stems if t not in self._stopwords)
        return Normalised(text, tokens, tuple(fixes), tuple(replaced))

    def terms(self, raw: Sequence[str]) -> tuple[str, ...]:
        """The tokens of already split `words(text)`, uncorrected: how knowledge phrasings are indexed.

        The same as `normalise(text, correct=False).tokens`, without splitting
        the text again or recording what changed.
        """
        stems: list[str] = list(map(self._stems.get, raw))  # type: ignore[arg-type]
        if None in stems:  # a word the knowledge did not count (never, when indexing it)
            stems = [self._stem(w) for w in raw]
        if not self._phrase_starts.isdisjoint(stems):
            stems, _ = self._apply_synonyms(stems)
        return tuple(filterfalse(self._stopwords.__contains__, stems))

    def _stem(self, word: str) -> str:
        stem = self._stems.get(word)
        if stem is not None:
            return stem
        with self._lock:
            return self._stemmer.stemWord(word)

    def _synonym_map(self, groups: Iterable[Sequence[str]], counts: Counter[str]) -> dict[tuple[str, ...], str]:
        mapping: dict[tuple[str, ...], str] = {}
        for group in groups:
            canonical = "_".join(self._stem(w) for w in words(group[0]))
            for term in group:
                counts.update(words(term))
                mapping[tuple(self._stem(w) for w in words(term))] = canonical
        return mapping

    def _apply_synonyms(self, stems: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
        """Replace the longest synonym phrase at each position by its group's canonical term."""
        out: list[str] = []
        replaced: list[tuple[str, str]] = []
        i = 0
        while i < len(stems):
            if stems[i] not in self._phrase_starts:  # no synonym phrase starts here
                out.append(stems[i])
                i += 1
                continue
            for size in range(min(self._max_phrase, len(stems) - i), 0, -1):
                phrase = tuple(stems[i : i + size])
                canonical = self._synonyms.get(phrase)
                if canonical is not None:
                    out.append(canonical)
                    if " ".join(phrase) != canonical:
                        replaced.append((" ".join(phrase), canonical))
                    i += size
                    break
            else:
                out.append(stems[i])
                i += 1
        return out, replaced

    def _correct_all(self, raw: list[str], fixes: list[tuple[str, str]]) -> list[str]:
        out: list[str] = []
        for word in raw:
            fixed = self.correct(word)
            if fixed != word:
                fixes.append((word, fixed))
            out.extend(fixed.split())
        return out

    def correct(self, word: str) -> str:
        """The knowledge-base word the person most likely meant, or the word itself.

        Numbers are never corrected (990 must not become 993), nor are real
        English words the knowledge does not use ("mall" is not a typo of "all").
        """
        if self._is_known(word) or len(word) < 3 or not word.isalpha():
            return word
        fixed = self._split_joined(word) or self._nearest(word)
        # The English word list is only consulted when there is something to correct to.
        return word if fixed is None or word in self._english else fixed

    def _nearest(self, word: str) -> str | None:
        limit = 1 if len(word) < 7 else 2
        found = self._closest(word, limit)
        if len(word) == 3:  # only a dropped letter: "kno" -> "know", never "hat" -> "hit"
            found = [hit for hit in found if len(hit[0]) == 4 and hit[0].startswith(word[:2])]
        if not found:
            return None
        return min(found, key=lambda hit: (hit[1], hit[0][0] != word[0], hit[2]))[0]

    def _closest(self, word: str, limit: int) -> list[tuple[str, float, int]]:
        """The 8 vocabulary words nearest `word` within `limit` edits, by distance then vocabulary order.

        The same as one `process.extract` over the whole vocabulary, but only
        words whose length is within `limit` are compared (each edit changes
        the length by at most one): on a large knowledge base's vocabulary that
        is most of the time a question with a typo takes.
        """
        hits: list[tuple[str, float, int]] = []
        for size in range(len(word) - limit, len(word) + limit + 1):
            group, positions = self._by_length.get(size, ((), ()))
            found = process.extract(word, group, scorer=OSA.distance, score_cutoff=limit, limit=8)
            hits += [(w, distance, positions[i]) for w, distance, i in found]
        return sorted(hits, key=lambda hit: (hit[1], hit[2]))[:8]

    def _is_known(self, word: str) -> bool:
        return word in self._known or self._stem(word) in self._known_stems

    def _split_joined(self, word: str) -> str | None:
        """"newbalance" -> "new balance": two known words typed without a space."""
        for cut in range(2, len(word) - 1):
            left, right = word[:cut], word[cut:]
            if left in self._known and right in self._known and left not in STOPWORDS | {"s"}:
                return f"{left} {right}"
        return None


def _by_length(vocabulary: list[str]) -> dict[int, tuple[tuple[str, ...], tuple[int, ...]]]:
    """Words grouped by length, each with its position in `vocabulary` (ties go to the earlier)."""
    groups: dict[int, tuple[list[str], list[int]]] = {}
    for position, word in enumerate(vocabulary):
        found, positions = groups.setdefault(len(word), ([], []))
        found.append(word)
        positions.append(position)
    return {size: (tuple(found), tuple(positions)) for size, (found, positions) in groups.items()}
