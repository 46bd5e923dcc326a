"""`faq-assistant review LOG`: similar questions grouped, biggest first, each with a suggestion."""

from __future__ import annotations

import json

import yaml

from assistant import Assistant
from assistant.review import group

KB = """\
entries:
  - id: soles
    question: How are the soles attached?
    alternates: [sole attachment, how is the outsole fixed, are soles glued on]
    answer: Glued and stitched.
  - id: uppers
    question: What materials are the uppers made of?
    alternates: [upper materials, what are uppers made from, leather or mesh uppers]
    answer: Leather and mesh.
decline:
  - id: price
    question: How much do they cost?
    alternates: [price]
    answer: No prices.
"""

QUESTIONS = [
    *["are the soles stitched or glued"] * 3,
    "soles glued or stitched?",
    "Are the soles stitched or glued??",
    *["do you ship to canada"] * 2,
    "shipping to canada",
    "what is the price of uppers",
    "price for the uppers",
    "what colour are the laces",
]


def write_log(tmp_path, questions=QUESTIONS, broken_after: int = 4):
    lines = []
    for n, question in enumerate(questions):
        record = {"time": "2024-05-01T10:00:00Z", "question": question, "status": "no_match",
                  "entry_id": None, "confidence": 0.0, "candidates": []}
        lines.append(json.dumps(record))
        if n == broken_after:
            lines.append('{"time": "2024-05-01T10:00:01Z", "question": "torn li')
    path = tmp_path / "unanswered.jsonl"
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    return path


def test_similar_questions_group_biggest_first_with_a_suggestion(tmp_path, write_kb, run_cli):
    kb = write_kb(KB)
    log = write_log(tmp_path)
    result = run_cli("review", str(log), "--kb", str(kb))
    assert result.code == 0
    assert result.err == f"{log}:6: skipped: not a logged question (broken or partial line)\n"
    rows = [line.split() for line in result.out.splitlines() if line[:5].strip().isdigit()]
    assert [row[0] for row in rows] == ["5", "3", "2", "1"]
    lines = result.out.splitlines()
    assert lines[1].startswith("    5  are the soles stitched or glued ")
    assert lines[1].endswith("soles (0.79)                     add as alternate of soles")
    assert "also: soles glued or stitched?" in lines[2] or "also: soles glued or stitched?" in lines[3]
    assert any(line.startswith("    3  do you ship to canada") and line.endswith("new entry") for line in lines)
    assert any(line.startswith("    2  ") and line.endswith("out of scope: add as alternate of decline price")
               for line in lines)
    assert lines[-1].startswith("    1  what colour are the laces") and lines[-1].endswith("new entry")


def test_min_count_and_the_yaml_patch(tmp_path, write_kb, run_cli):
    kb = write_kb(KB)
    result = run_cli("review", str(write_log(tmp_path)), "--kb", str(kb), "--yaml", "--min-count", "2")
    assert result.code == 0
    assert result.out.startswith("# Alternates suggested by `faq-assistant review`")
    # Forms with the same words are one alternate; the decline gets its alternate too.
    assert yaml.safe_load(result.out) == {
        "soles": {"alternates": ["are the soles stitched or glued"]},
        "price": {"alternates": ["price for the uppers", "what is the price of uppers"]},
    }


def test_grouping_uses_the_assistants_normaliser(write_kb):
    bot = Assistant.load(write_kb(KB))
    groups = group(bot, ["how r the soles atached", "how are the soles attached", "leather uppers?"])
    assert [(g.count, g.nearest) for g in groups] == [(2, "soles"), (1, "uppers")]


def test_an_empty_or_missing_log(tmp_path, write_kb, run_cli):
    kb = write_kb(KB)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    assert run_cli("review", str(empty), "--kb", str(kb)).out == "no questions to review\n"
    missing = run_cli("review", str(tmp_path / "nope.jsonl"), "--kb", str(kb))
    assert missing.code == 2 and "cannot read" in missing.err
