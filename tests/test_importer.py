"""`faq-assistant import`: every format drafts knowledge that loads and passes `check`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant import Assistant
from assistant.importer import import_file, slug
from assistant.lint import check

SHARED_SOURCE = Path(__file__).resolve().parents[2] / "shared" / "faq-source" / "new-balance-made-in-usa.txt"

MARKDOWN = """\
# Shipping

## How long does delivery take?

Orders arrive in **3-5 days**.

Express is next day.

**Can I ship to Canada?**
Yes, for a fee:

```
# not a heading?
```

# Returns

### What is the return window?
30 days.
"""

CSV = """\
Question,Answer,Alternates
How do I reset my password?,"Use the ""forgot password"" link.",password reset|forgot my password
Where are you located?,In Boston.,
"""

CHATTERBOT = """\
categories:
- greetings
conversations:
- - Hello
  - Hi there!
- - How are you doing?
  - I am doing well.
- - How are you?
  - I am doing well, how about you?
- - What is your favourite colour?
  - Blue.
  - Why blue?
  - It is calm.
"""


def imported(tmp_path: Path, name: str, text: str, *args: str, run_cli=None) -> tuple[list[dict], Path]:
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    out = tmp_path / "out.yaml"
    result = run_cli("import", str(source), "-o", str(out), *args)
    assert result.code == 0, result.err
    return yaml.safe_load(out.read_text(encoding="utf-8"))["entries"], out


def assert_loads_and_checks(path: Path) -> None:
    Assistant.load(path)
    report = check(str(path))
    assert report.errors == 0, "\n".join(report.lines())


def test_markdown_headings_and_bold_lines_become_questions(tmp_path, run_cli):
    entries, out = imported(tmp_path, "faq.md", MARKDOWN, run_cli=run_cli)
    assert [(e["id"], e["question"]) for e in entries] == [
        ("how-long-does-delivery-take", "How long does delivery take?"),
        ("can-i-ship-to-canada", "Can I ship to Canada?"),
        ("what-is-the-return-window", "What is the return window?"),
    ]
    assert entries[0]["answer"] == "Orders arrive in **3-5 days**. Express is next day."
    assert entries[1]["answer"] == "Yes, for a fee: ``` # not a heading? ```"
    assert entries[0]["tags"] == ["shipping"] and entries[2]["tags"] == ["returns"]
    assert entries[0]["source"] == "faq.md:3"
    assert_loads_and_checks(out)


def test_plain_text_questions_take_the_paragraphs_up_to_a_heading(tmp_path, run_cli):
    text = (
        "Intro text.\n\nDo you ship abroad?\n\nYes.\nTo most countries.\n\n"
        "More details\n\nWhat sizes exist?\nSmall\n"
    )
    entries, out = imported(tmp_path, "faq.txt", text, run_cli=run_cli)
    assert [(e["question"], e["answer"]) for e in entries] == [
        ("Do you ship abroad?", "Yes. To most countries."),
        ("What sizes exist?", "Small"),
    ]
    assert_loads_and_checks(out)


@pytest.mark.skipif(not SHARED_SOURCE.is_file(), reason="the shared FAQ source document is not here")
def test_the_shared_source_document_gives_sensible_entries(tmp_path, run_cli):
    out = tmp_path / "nb.yaml"
    result = run_cli("import", str(SHARED_SOURCE), "-o", str(out))
    assert result.code == 0
    entries = yaml.safe_load(out.read_text(encoding="utf-8"))["entries"]
    assert [e["question"] for e in entries] == [
        "Are New Balance sneakers made in the USA?",  # "Short answer:" label dropped
        "What Makes New Balance Sneakers Stand Out?",
        "Are All New Balance Shoes Made In The USA?",
        "Is There a Difference Between US-Made vs International Models?",
        "What Should You Expect From Wearing These Shoes?",
    ]
    assert entries[0]["answer"].startswith("New Balance is an American footwear company.")
    assert entries[0]["answer"].endswith("domestically-produced New Balance sneakers.")
    source = SHARED_SOURCE.read_text(encoding="utf-8")
    assert all(e["answer"] in " ".join(source.split()) for e in entries)  # whole, unaltered
    assert "--headings keeps them" in result.err
    assert_loads_and_checks(out)


@pytest.mark.skipif(not SHARED_SOURCE.is_file(), reason="the shared FAQ source document is not here")
def test_headings_can_become_entries_too(tmp_path):
    result = import_file(SHARED_SOURCE, headings=True)
    questions = [e["question"] for e in result.entries]
    assert "Design Phase" in questions and "Lasting" in questions and len(questions) == 14


def test_csv_with_alternates(tmp_path, run_cli):
    entries, out = imported(tmp_path, "faq.csv", CSV, run_cli=run_cli)
    assert entries[0] == {
        "id": "how-do-i-reset-my-password",
        "question": "How do I reset my password?",
        "alternates": ["password reset", "forgot my password"],
        "answer": 'Use the "forgot password" link.',
        "source": "faq.csv:2",
    }
    assert "alternates" not in entries[1]
    assert_loads_and_checks(out)


def test_a_chatterbot_corpus_migrates(tmp_path, run_cli):
    entries, out = imported(tmp_path, "greetings.yml", CHATTERBOT, run_cli=run_cli)
    by_question = {e["question"]: e for e in entries}
    assert by_question["Hello"]["answer"] == "Hi there!"
    assert by_question["Hello"]["tags"] == ["greetings"]
    # "How are you?" normalises like "How are you doing?": one entry, both answers kept.
    merged = by_question["How are you doing?"]
    assert merged["alternates"] == ["How are you?"]
    assert merged["answer"] == "I am doing well. I am doing well, how about you?"
    assert by_question["Why blue?"]["answer"] == "It is calm."
    assert_loads_and_checks(out)


def test_ids_are_unique_slugs(tmp_path):
    source = tmp_path / "dup.csv"
    source.write_text("question,answer\nWhat is N.B.?,One.\nWhat is NB?,Two.\n", encoding="utf-8")
    assert [e["id"] for e in import_file(source).entries] == ["what-is-n-b", "what-is-nb"]
    assert slug("Ça coûte combien ? " + "très " * 20, 48) == "ca-coute-combien-tres-tres-tres-tres-tres-tres"


def test_output_goes_to_stdout_without_o(tmp_path, run_cli):
    source = tmp_path / "faq.csv"
    source.write_text(CSV, encoding="utf-8")
    result = run_cli("import", str(source))
    assert result.code == 0
    assert yaml.safe_load(result.out)["entries"][1]["id"] == "where-are-you-located"
    assert "imported 2 entries" in result.err


@pytest.mark.parametrize(
    ("name", "text", "args", "message"),
    [
        ("missing.md", None, (), "cannot read"),
        ("faq.csv", "q,a\nHi?,Hello\n", (), "a CSV needs 'question' and 'answer' columns (found: q, a)"),
        ("faq.md", "# Title\n\nJust text.\n", (), "no questions with answers found (as md)"),
        ("faq.doc", "Q?\nA.\n", (), "cannot tell the format from the file name"),
        ("corpus.yml", "conversations: nope\n", (), "not a ChatterBot corpus"),
        ("faq.doc", "Q here?\nA.\n", ("--format", "txt"), None),
    ],
)
def test_errors_are_one_line_and_exit_2(tmp_path, run_cli, name, text, args, message):
    source = tmp_path / name
    if text is not None:
        source.write_text(text, encoding="utf-8")
    result = run_cli("import", str(source), *args)
    if message is None:
        assert result.code == 0
        return
    assert result.code == 2
    assert result.err.count("\n") == 1 and message in result.err
