"""Building the matcher's index from a knowledge base, and caching it beside the knowledge.

Loading a knowledge base of 100,000 entries means normalising half a million
phrasings; after parsing the YAML, that is what a large help centre waits for.
What the normaliser and matcher derive from the phrasings (the knowledge's
word counts and every phrasing's normalised terms) depends only on the
knowledge files' bytes and this code, so it is saved and read back next time.

The cache is JSON (a format that cannot run code when read), one file per
knowledge base: `.faq-index.json` in a knowledge folder, `.NAME.faq-index.json`
beside a single knowledge file, or under `$XDG_CACHE_HOME/faq-assistant/` when
that place is not writable. Inside is a key: the sha256 of the knowledge files,
the package version and the source of the modules that shape the index. A cache
whose key, format or shape does not match, or that does not parse, is ignored
and replaced; failing to write one is not an error. Term weights are not
stored: they are recomputed from the terms in a fraction of a second, so a
cache holds only text and word counts.

Below `MIN_PHRASINGS` a cache would save less than a tenth of a second (see
benchmarks/README.md), not worth a file in the curators' knowledge folder, so
only larger knowledge uses one. `FAQ_ASSISTANT_INDEX_CACHE=0` turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections import Counter
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from assistant import knowledge as kb
from assistant import matcher, normalise
from assistant.knowledge import Entry, Knowledge, paused_gc
from assistant.matcher import Matcher, canonical
from assistant.normalise import Normaliser, words

FORMAT = "faq-assistant-index"
VERSION = 1
MIN_PHRASINGS = 10_000  # about 2,000 entries: below, a cache saves under 0.1 s (measured)
ENV_VAR = "FAQ_ASSISTANT_INDEX_CACHE"
Index = tuple[Counter[str], list[str]]  # word counts, canonical terms of each phrasing


def build(knowledge: Knowledge) -> tuple[Normaliser, Matcher]:
    """The normaliser and matcher for a knowledge base, from the cache when there is a valid one."""
    with paused_gc():  # millions of small objects: the collector would only slow the build down
        places = cache_places(knowledge) if _wanted(knowledge) else []
        key = cache_key(knowledge) if places else ""
        cached = next((index for place in places if (index := read(place, key, knowledge)) is not None), None)
        if cached is not None:
            counts, canonicals = cached
            return Normaliser(knowledge.synonyms, counts=counts), Matcher(knowledge.entries, canonicals)
        normaliser, counts, canonicals = analyse(knowledge.entries, knowledge.synonyms)
        if places:
            write(places, key, counts, canonicals)
        return normaliser, Matcher(knowledge.entries, canonicals)


def analyse(entries: Sequence[Entry], synonyms: Sequence[Sequence[str]]) -> tuple[Normaliser, Counter[str], list[str]]:
    """The normaliser, the word counts of all knowledge text, and every phrasing's canonical terms.

    Each phrasing is split into words once and used for both the counts and its terms.
    """
    raw = [[words(p) for p in e.phrasings] for e in entries]
    # Counted in the order the texts come (each entry's phrasings, then its answer): ties in
    # spelling correction go to the word seen first.
    texts = (ws for e, phrasings in zip(entries, raw, strict=True) for ws in (*phrasings, words(e.answer)))
    counts = Counter(chain.from_iterable(texts))
    normaliser = Normaliser(synonyms, counts=counts)
    return normaliser, counts, [canonical(normaliser.terms(ws)) for phrasings in raw for ws in phrasings]


def cache_places(knowledge: Knowledge) -> list[Path]:
    """Where this knowledge's cache may be: beside it first, then in the user's cache folder."""
    root = Path(knowledge.path)
    places = [root / ".faq-index.json" if root.is_dir() else root.with_name(f".{root.name}.faq-index.json")]
    with contextlib.suppress(RuntimeError, OSError):  # no home folder: only the place beside the knowledge
        home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        places.append(home / "faq-assistant" / f"{hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:32]}.json")
    return places


def cache_key(knowledge: Knowledge) -> str:
    """What a cache must have been built from: these knowledge bytes, this code.

    The package version alone would miss edits to an installed or editable
    copy, so the source of the modules that shape the index counts too.
    """
    key = hashlib.sha256(f"{FORMAT}:{VERSION}:{knowledge.digest}:{_package_version()}".encode())
    for source in (normalise.__file__, matcher.__file__, kb.__file__, __file__):
        with contextlib.suppress(OSError, TypeError):
            key.update(Path(str(source)).read_bytes())
    return key.hexdigest()


def read(place: Path, key: str, knowledge: Knowledge) -> Index | None:
    """The cached index at `place`, or None when it is missing, stale, corrupt or of another shape."""
    import json  # JSON and tempfile are imported only for knowledge big enough to cache (start-up time)

    try:
        data = json.loads(place.read_bytes())
        phrasings = sum(len(e.alternates) + 1 for e in knowledge.entries)
        if not (isinstance(data, dict) and data.get("format") == FORMAT and data.get("version") == VERSION):
            return None
        if data.get("key") != key or data.get("phrasings") != phrasings:
            return None
        return _counts(data["words"], data["counts"]), _canonicals(data["canonicals"], phrasings)
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None


def write(places: list[Path], key: str, counts: Counter[str], canonicals: list[str]) -> None:
    """Save the index to the first place that takes it; a read-only disk just means no cache."""
    import json

    data = {
        "format": FORMAT, "version": VERSION, "key": key, "phrasings": len(canonicals),
        "words": list(counts), "counts": list(counts.values()), "canonicals": canonicals,
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    for place in places:
        with contextlib.suppress(OSError):
            _write_atomically(place, text)
            return


def _wanted(knowledge: Knowledge) -> bool:
    if os.environ.get(ENV_VAR, "1").strip().lower() in ("0", "off", "no", "false"):
        return False
    return bool(knowledge.digest and knowledge.path) and (
        sum(len(e.alternates) + 1 for e in knowledge.entries) >= MIN_PHRASINGS
    )


def _package_version() -> str:
    from importlib import metadata  # here, not at the top: 30 ms of start-up that small knowledge never needs

    try:
        return metadata.version("faq-assistant")
    except metadata.PackageNotFoundError:
        return "unknown"


def _counts(found: Any, numbers: Any) -> Counter[str]:
    """Word counts back from the cache, in their original order (it breaks ties in spelling correction)."""
    if not (isinstance(found, list) and isinstance(numbers, list) and len(found) == len(numbers)):
        raise ValueError("counts")
    if not all(type(w) is str for w in found) or not all(type(n) is int and n > 0 for n in numbers):
        raise ValueError("counts")
    return Counter(dict(zip(found, numbers, strict=True)))


def _canonicals(found: Any, phrasings: int) -> list[str]:
    if not (isinstance(found, list) and len(found) == phrasings and all(type(t) is str for t in found)):
        raise ValueError("canonicals")
    return found


def _write_atomically(place: Path, text: bytes) -> None:
    """Readers never see half a file: write a temporary file beside it, then rename."""
    import tempfile

    place.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=place.parent, prefix=place.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text)
        os.replace(temporary, place)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
