"""`faq-assistant import FILE`: draft a knowledge YAML from an FAQ a team already has.

Nobody should start curating from zero: most teams have their FAQ in a
Markdown page, a text document, a spreadsheet or a ChatterBot corpus. This
turns any of them into entries (id, question, alternates, answer) that load
as they are, for a curator to refine. Answers are kept whole, with only their
whitespace normalised: the draft must not put words in the team's mouth.

Questions that normalise to the same words as an earlier one become its
alternates (two entries the matcher cannot tell apart would fail `check`).
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import InputError
from assistant.normalise import Normaliser

FORMATS = ("md", "txt", "csv", "chatterbot")
SUFFIXES = {".md": "md", ".markdown": "md", ".txt": "txt", ".text": "txt", ".csv": "csv", ".yaml": "chatterbot",
            ".yml": "chatterbot"}
MAX_QUESTION_CHARS = 200
MAX_HEADING_WORDS = 14
MAX_SLUG_CHARS = 48
LABEL_PREFIX = re.compile(r"^(?:(?:q|question|faq)\s*\d*\s*[:.)-]\s*|\d+\s*[.)]\s*|[\w ]{1,30}:\s+(?=[A-Z0-9]))", re.I)
MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
MD_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(.+?)\1\s*:?\s*$")
MD_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
MD_INLINE = re.compile(r"\*\*|__|`|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)")
MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


@dataclass
class Draft:
    """One entry being drafted: the text as found, before ids are given out."""

    question: str
    answer: list[str] = field(default_factory=list)
    alternates: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    source: str = ""
    from_heading: bool = False  # a section title, not a question: the curator should rephrase it


@dataclass(frozen=True)
class Imported:
    """The drafted knowledge, and what the curator should know about how it was read."""

    entries: tuple[dict[str, Any], ...]
    notes: tuple[str, ...] = ()

    def to_yaml(self, origin: str) -> str:
        header = (
            f"# Drafted by `faq-assistant import` from {origin}: "
            "review every entry, then run `faq-assistant check`.\n"
        )
        body = yaml.safe_dump({"entries": list(self.entries)}, allow_unicode=True, sort_keys=False, width=10**6)
        return header + body


def detect_format(path: Path) -> str:
    found = SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise InputError(f"{path}: cannot tell the format from the file name; pass --format ({', '.join(FORMATS)})")
    return found


def import_file(path: str | Path, fmt: str | None = None, *, headings: bool = False) -> Imported:
    """Read an FAQ file in one of FORMATS and draft entries from it.

    With `headings`, sections of Markdown and text under titles that are not
    questions ("Design Phase") become entries too, titled by their heading.
    """
    file = Path(path)
    fmt = fmt or detect_format(file)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{file}: cannot read: {exc.strerror if isinstance(exc, OSError) else exc}") from None
    notes: list[str] = []
    readers = {"md": _markdown, "txt": _plain_text, "csv": _csv, "chatterbot": _chatterbot}
    drafts = list(readers[fmt](text, file.name, notes, headings))
    drafts = [d for d in drafts if _has_answer(d, notes)]
    titled = [d.question for d in drafts if d.from_heading]
    if titled:
        notes.append(f"{len(titled)} entries are titled by a heading, not a question: rephrase them as questions")
    if not drafts:
        raise InputError(f"{file}: no questions with answers found (as {fmt})")
    return Imported(tuple(_entries(_merge(drafts, notes))), tuple(notes))


def _has_answer(draft: Draft, notes: list[str]) -> bool:
    if " ".join(draft.answer).strip():
        return True
    if not draft.from_heading:
        notes.append(f"{draft.source}: skipped {draft.question!r}: no answer follows it")
    return False


def clean_question(line: str) -> str:
    """A question as shown to shoppers: no "Q:" or "Short answer:" label, no Markdown markup."""
    text = MD_INLINE.sub("", MD_LINK.sub(r"\1", line)).strip()
    stripped = LABEL_PREFIX.sub("", text, count=1).strip()
    return " ".join((stripped if stripped.endswith("?") and len(stripped) > 3 else text).split())


def is_question(line: str) -> bool:
    text = line.strip()
    return text.endswith("?") and 3 < len(text) <= MAX_QUESTION_CHARS and "\n" not in text


def _paragraphs(lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, list[str]]]:
    """Blocks of non-blank lines, each with the line number it starts on."""
    block: list[str] = []
    start = 0
    for number, line in lines:
        if line.strip():
            start = start if block else number
            block.append(line.strip())
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def _is_heading(block: list[str]) -> bool:
    """A short line on its own, not a sentence: "Design Phase:", "In Conclusion"."""
    line = block[0]
    return len(block) == 1 and len(line.split()) <= MAX_HEADING_WORDS and not line.endswith((".", "!", "?", ",", ";"))


def _plain_text(text: str, name: str, notes: list[str], headings: bool) -> Iterator[Draft]:
    """A line ending with `?` starts an entry; the paragraphs after it, up to a heading, are its answer."""
    current: Draft | None = None
    skipped: list[str] = []
    for number, block in _paragraphs(enumerate(text.splitlines(), 1)):
        if is_question(block[0]):
            if current:
                yield current
            current = Draft(clean_question(block[0]), block[1:], source=f"{name}:{number}")
        elif _is_heading(block) and (current is None or current.answer):
            if current:
                yield current
            title = block[0].rstrip(": ")
            current = Draft(title, source=f"{name}:{number}", from_heading=True) if headings else None
            skipped.append(title)
        elif current is not None:
            current.answer.extend(block)
    if current:
        yield current
    if skipped and not headings:
        notes.append(
            f"{name}: sections under headings that are not questions were left out "
            f"(--headings keeps them): {'; '.join(skipped)}"
        )


def _markdown(text: str, name: str, notes: list[str], headings: bool) -> Iterator[Draft]:
    """Headings or whole bold lines ending with `?` are questions.

    Other headings end the answer before them and tag the questions after them,
    so entries of one section suggest each other.
    """
    current: Draft | None = None
    tag = ""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        fenced = fenced != bool(MD_FENCE.match(line))
        heading = None if fenced else MD_HEADING.match(line)
        bold = None if fenced or heading else MD_BOLD_LINE.match(line)
        title = heading.group(2) if heading else bold.group(2).strip() if bold else ""
        if title and is_question(title):
            if current:
                yield current
            current = Draft(clean_question(title), tags=[tag] if tag else [], source=f"{name}:{number}")
        elif heading:
            if current:
                yield current
            title = clean_question(title).rstrip(": ")
            current = Draft(title, source=f"{name}:{number}", from_heading=True) if headings else None
            tag = slug(title, MAX_SLUG_CHARS)
        elif current is not None:
            current.answer.append(line)
    if current:
        yield current


def _csv(text: str, name: str, notes: list[str], headings: bool) -> Iterator[Draft]:
    """Columns `question` and `answer` (any case), optionally `alternates` separated by `|`."""
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    columns = {(c or "").strip().lower(): c for c in reader.fieldnames or []}
    if "question" not in columns or "answer" not in columns:
        found = ", ".join(c for c in columns if c) or "none"
        raise InputError(f"{name}: a CSV needs 'question' and 'answer' columns (found: {found})")
    for row in reader:
        question = (row.get(columns["question"]) or "").strip()
        answer = (row.get(columns["answer"]) or "").strip()
        where = f"{name}:{reader.line_num}"
        if not question:
            if answer:
                notes.append(f"{where}: skipped a row with an answer but no question")
            continue
        alternates = (row.get(columns.get("alternates", ""), "") or "").split("|")
        yield Draft(" ".join(question.split()), [answer], [a.strip() for a in alternates if a.strip()], source=where)


def _chatterbot(text: str, name: str, notes: list[str], headings: bool) -> Iterator[Draft]:
    """A ChatterBot corpus: each statement of a conversation is answered by the next one."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{name}: invalid YAML: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("conversations"), list):
        raise InputError(f"{name}: not a ChatterBot corpus (expected a 'conversations' list)")
    tags = [slug(str(c), MAX_SLUG_CHARS) for c in data.get("categories") or [] if slug(str(c), MAX_SLUG_CHARS)]
    for number, conversation in enumerate(data["conversations"], 1):
        said = [" ".join(str(s).split()) for s in conversation or [] if str(s).strip()]
        if len(said) < 2:
            notes.append(f"{name}: conversation {number} skipped: it needs a statement and a response")
        for statement, response in itertools.pairwise(said):
            yield Draft(statement, [response], tags=list(tags), source=f"{name}: conversation {number}")


def _merge(drafts: list[Draft], notes: list[str]) -> list[Draft]:
    """Questions the matcher could not tell apart become one entry; differing answers are kept, joined."""
    normaliser = Normaliser((), ())
    owner: dict[tuple[str, ...], Draft] = {}
    kept: list[Draft] = []
    for draft in drafts:
        key = tuple(sorted(set(normaliser.normalise(draft.question, correct=False).tokens))) or (draft.question,)
        first = owner.setdefault(key, draft)
        if first is draft:
            kept.append(draft)
            continue
        answer = " ".join(" ".join(draft.answer).split())
        if answer not in " ".join(" ".join(first.answer).split()):
            first.answer.append(answer)
            notes.append(f"{draft.source}: {draft.question!r} merged into {first.question!r}; answers joined")
        first.alternates += [q for q in (draft.question, *draft.alternates) if q not in first.alternates]
    for draft in kept:
        draft.alternates = [a for a in dict.fromkeys(draft.alternates) if a != draft.question]
    return kept


def _entries(drafts: list[Draft]) -> Iterator[dict[str, Any]]:
    used: set[str] = set()
    for draft in drafts:
        base = slug(draft.question, MAX_SLUG_CHARS) or "entry"
        entry_id, n = base, 2
        while entry_id in used:
            entry_id, n = f"{base}-{n}", n + 1
        used.add(entry_id)
        entry: dict[str, Any] = {"id": entry_id, "question": draft.question}
        if draft.alternates:
            entry["alternates"] = draft.alternates
        entry["answer"] = " ".join(" ".join(draft.answer).split())
        if draft.tags:
            entry["tags"] = list(dict.fromkeys(draft.tags))
        entry["source"] = draft.source
        yield entry


def slug(text: str, limit: int) -> str:
    """Lower-case ASCII words joined by '-', cut at a word boundary: a valid, readable entry id."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    parts = re.findall(r"[a-z0-9]+", ascii_text)
    out = ""
    for part in parts:
        candidate = f"{out}-{part}" if out else part
        if len(candidate) > limit:
            break
        out = candidate
    return out or (parts[0][:limit] if parts else "")


def configure(commands: Any) -> None:
    parser = commands.add_parser("import", help="draft a knowledge YAML from an existing FAQ")
    parser.add_argument("file", help="the FAQ: Markdown, plain text, CSV or a ChatterBot corpus YAML")
    parser.add_argument("-o", "--output", metavar="OUT.yaml", help="write here (default: standard output)")
    parser.add_argument("--format", choices=FORMATS, help="the input format (default: from the file name)")
    parser.add_argument(
        "--headings", action="store_true",
        help="Markdown and text: sections under headings that are not questions become entries too",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, streams: Any) -> int:
    imported = import_file(args.file, args.format, headings=args.headings)
    text = imported.to_yaml(Path(args.file).name)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{args.output}: cannot write: {exc.strerror}") from None
    else:
        streams.stdout.write(text)
    for note in imported.notes:
        print(f"note: {note}", file=streams.stderr)
    target = args.output or "OUT.yaml"
    print(f"imported {len(imported.entries)} entries; next: faq-assistant check --kb {target}", file=streams.stderr)
    return 0
