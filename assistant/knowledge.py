"""Loading and validating a knowledge base: YAML written by hand by support staff.

A knowledge base is one YAML file or a folder of them. Each file is a mapping
with any of these sections: `entries` (the FAQ), `smalltalk`, `decline` (known
out-of-scope topics), `synonyms` and `settings`. Everything is validated here,
once, so the matcher can trust what it gets; every problem is reported as a
`KnowledgeError` naming the file, line and entry id, because the person who
fixes it is editing that file by hand.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from assistant import yaml_reader
from assistant.errors import KnowledgeError
from assistant.yaml_reader import LineMap

KINDS = {"entries": "faq", "smalltalk": "smalltalk", "decline": "decline"}
SECTIONS = (*KINDS, "synonyms", "settings")
ENTRY_KEYS = {"id", "question", "alternates", "answer", "follow_ups", "tags", "source"}
REQUIRED_KEYS = ("id", "question", "answer")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
ENV_VAR = "FAQ_ASSISTANT_KB"


@dataclass(frozen=True)
class Entry:
    """One curated question and its answer; `kind` says how a match is treated."""

    id: str
    question: str
    answer: str
    alternates: tuple[str, ...] = ()
    follow_ups: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    source: str = ""
    kind: str = "faq"  # "faq" | "smalltalk" | "decline"
    file: str = field(default="", compare=False, repr=False)
    line: int = field(default=0, compare=False, repr=False)

    @property
    def phrasings(self) -> tuple[str, ...]:
        return (self.question, *self.alternates)


@dataclass(frozen=True)
class Settings:
    """Tuning that curators may change without touching code."""

    answer_threshold: float = 0.5
    clarify_threshold: float = 0.42
    clarify_margin: float = 0.03
    decline_margin: float = 0.06
    smalltalk_threshold: float = 0.6
    context_boost: float = 0.12
    max_question_chars: int = 1000
    max_suggestions: int = 3
    greeting: str = "Hi! Ask me a question."
    fallback: str = "Sorry, I don't know the answer to that. I can tell you about: {topics}."
    topics_hint: str = "I can tell you about: {topics}."
    clarify: str = "I'm not sure which you mean. Did you mean one of these?"
    fallback_topics: tuple[str, ...] = ()
    more_phrases: tuple[str, ...] = ("tell me more", "more", "why", "go on", "more info", "details", "elaborate")


@dataclass(frozen=True)
class Knowledge:
    """Everything loaded from a knowledge base, validated and immutable."""

    entries: tuple[Entry, ...]
    synonyms: tuple[tuple[str, ...], ...] = ()
    settings: Settings = field(default_factory=Settings)
    path: str = ""
    digest: str = field(default="", compare=False)  # sha256 of the files read; keys the index cache

    def by_id(self) -> dict[str, Entry]:
        return {e.id: e for e in self.entries}


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while bulk-building objects that are all kept.

    Building a large knowledge base creates millions of lists and strings, none
    of them garbage; the collector's passes over them made loading several
    times slower. Its previous state is restored afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def bundled_path() -> Path:
    """The knowledge shipped inside the package (or beside it in a source checkout)."""
    packaged = Path(__file__).with_name("knowledge")
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "knowledge"


def resolve_path(path: str | os.PathLike[str] | None) -> Path:
    """An explicit path wins, then $FAQ_ASSISTANT_KB, then the bundled knowledge."""
    chosen = path if path not in (None, "") else os.environ.get(ENV_VAR) or None
    return Path(chosen) if chosen is not None else bundled_path()


def load(path: str | os.PathLike[str] | None = None) -> Knowledge:
    """Read and validate a knowledge base: a YAML file or a folder of them."""
    with paused_gc():
        return _load(resolve_path(path))


def _load(root: Path) -> Knowledge:
    files = _yaml_files(root)
    parts: dict[str, list[tuple[str, Any]]] = {name: [] for name in SECTIONS}
    digest = hashlib.sha256()
    for file in files:
        data = _read_bytes(file)
        digest.update(b"%d:%s\0%d:" % (len(file.name), file.name.encode(), len(data)) + data)
        for section, value in _read_sections(file, data).items():
            parts[section].append((str(file), value))
    entries = [e for section, kind in KINDS.items() for e in _entries(parts[section], kind)]
    _check_references(entries)
    if not any(e.kind == "faq" for e in entries):
        raise KnowledgeError("no FAQ entries found (add an 'entries' list)", file=str(root))
    return Knowledge(
        entries=tuple(entries),
        synonyms=_synonyms(parts["synonyms"]),
        settings=_settings(parts["settings"]),
        path=str(root),
        digest=digest.hexdigest(),
    )


def _yaml_files(root: Path) -> list[Path]:
    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        if not files:
            raise KnowledgeError("no .yaml files in this folder", file=str(root))
        return files
    if not root.is_file():
        raise KnowledgeError("no such knowledge file or folder", file=str(root))
    return [root]


def _read_bytes(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        raise KnowledgeError(f"cannot read: {exc}", file=str(file)) from None


def _read_sections(file: Path, raw: bytes) -> dict[str, Any]:
    """The sections of one file's bytes (read once: they are also what the index cache is keyed by)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeError(f"cannot read: {exc}", file=str(file)) from None
    if "\r" in text:  # as text mode reads it: universal newlines
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        data = yaml_reader.load(text)  # safe: plain YAML only
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise KnowledgeError(f"invalid YAML: {problem}", file=str(file), line=line) from None
    if data is None:
        return {}
    if not isinstance(data, LineMap):
        raise KnowledgeError(f"expected a mapping with sections {', '.join(SECTIONS)}", file=str(file), line=1)
    for key in data:
        if key not in SECTIONS:
            raise KnowledgeError(
                f"unknown section {key!r} (expected one of {', '.join(SECTIONS)})",
                file=str(file), line=data.key_lines.get(str(key)),
            )
    return {key: (data.key_lines.get(key, 1), value) for key, value in data.items()}


def _entries(found: list[tuple[str, Any]], kind: str) -> Iterator[Entry]:
    for file, (line, items) in found:
        if not isinstance(items, list):
            raise KnowledgeError("expected a list of entries", file=file, line=line)
        for item in items:
            yield _entry(item, kind, file, line)


def _entry(item: Any, kind: str, file: str, section_line: int) -> Entry:
    if not isinstance(item, LineMap):
        raise KnowledgeError("each entry must be a mapping with id, question and answer", file=file, line=section_line)
    entry_id = item.get("id") if isinstance(item.get("id"), str) else None

    def fail(message: str, key: str | None = None) -> KnowledgeError:
        line = item.key_lines.get(key, item.line) if key else item.line
        return KnowledgeError(message, file=file, line=line, entry_id=entry_id)

    for key in item:
        if key not in ENTRY_KEYS:
            raise fail(f"unknown key {key!r} (allowed: {', '.join(sorted(ENTRY_KEYS))})", str(key))
    for key in REQUIRED_KEYS:
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise fail(f"'{key}' is missing or empty (it must be text)", key)
    if not ID_PATTERN.match(item["id"]):
        raise fail("'id' must be lower-case letters, digits, '-' or '_'", "id")
    lists = {key: _text_list(item, key, fail) for key in ("alternates", "follow_ups", "tags")}
    source = item.get("source", "")
    if not isinstance(source, str):
        raise fail("'source' must be text", "source")
    return Entry(
        id=item["id"], question=item["question"].strip(), answer=" ".join(item["answer"].split()),
        source=source.strip(), kind=kind, file=file, line=item.line, **lists,
    )


def _text_list(item: LineMap, key: str, fail: Any) -> tuple[str, ...]:
    value = item.get(key, [])
    if value is None or not isinstance(value, list):
        raise fail(f"'{key}' must be a list of text", key)
    if not all(isinstance(v, str) and v.strip() for v in value):
        raise fail(f"'{key}' must contain only non-empty text", key)
    return tuple(v.strip() for v in value)


def _check_references(entries: list[Entry]) -> None:
    seen: dict[str, Entry] = {}
    for entry in entries:
        if entry.id in seen:
            first = seen[entry.id]
            raise KnowledgeError(
                f"duplicate id (first defined at {first.file}:{first.line})",
                file=entry.file, line=entry.line, entry_id=entry.id,
            )
        seen[entry.id] = entry
    for entry in entries:
        for target in entry.follow_ups:
            where = {"file": entry.file, "line": entry.line, "entry_id": entry.id}
            if target not in seen or seen[target].kind != "faq":
                raise KnowledgeError(f"follow_up {target!r} is not the id of an FAQ entry", **where)
            if target == entry.id:
                raise KnowledgeError("an entry cannot follow up to itself", **where)


def _synonyms(found: list[tuple[str, Any]]) -> tuple[tuple[str, ...], ...]:
    groups = []
    for file, (line, items) in found:
        if not isinstance(items, list):
            raise KnowledgeError("'synonyms' must be a list of lists of terms", file=file, line=line)
        for group in items:
            terms_ok = isinstance(group, list) and all(isinstance(t, str) and t.strip() for t in group)
            if not terms_ok or len(group) < 2:
                message = f"each synonyms group must list two or more terms, got {group!r}"
                raise KnowledgeError(message, file=file, line=line)
            groups.append(tuple(t.strip() for t in group))
    return tuple(groups)


def _settings(found: list[tuple[str, Any]]) -> Settings:
    if len(found) > 1:
        raise KnowledgeError("'settings' appears in more than one file", file=found[1][0])
    if not found:
        return Settings()
    file, (line, values) = found[0]
    if not isinstance(values, LineMap):
        raise KnowledgeError("'settings' must be a mapping", file=file, line=line)
    defaults = {f.name: getattr(Settings(), f.name) for f in fields(Settings)}
    clean: dict[str, Any] = {}
    for key, value in values.items():
        where = {"file": file, "line": values.key_lines.get(str(key), line)}
        if key not in defaults:
            raise KnowledgeError(f"unknown setting {key!r}", **where)
        clean[key] = _setting_value(key, value, defaults[key], where)
    return Settings(**clean)


def _setting_value(key: str, value: Any, default: Any, where: dict[str, Any]) -> Any:
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise KnowledgeError(f"setting {key!r} must be a list of text", **where)
        return tuple(value)
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise KnowledgeError(f"setting {key!r} must be a number from 0 to 1", **where)
        return float(value)
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise KnowledgeError(f"setting {key!r} must be a whole number of at least 1", **where)
        return value
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeError(f"setting {key!r} must be non-empty text", **where)
    return value.strip()
