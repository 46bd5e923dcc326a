"""Loading validates everything and names the file, line and entry at fault."""

from __future__ import annotations

import pytest

from assistant import Assistant, KnowledgeError
from assistant.knowledge import bundled_path, load

GOOD = """\
entries:
  - id: one
    question: Is this the first question?
    alternates: [first one]
    answer: Yes, it is the first.
    follow_ups: [two]
    tags: [basics]
  - id: two
    question: Is this the second question?
    answer: Yes, the second.
"""


def error_for(write_kb, text: str) -> str:
    path = write_kb(text)
    with pytest.raises(KnowledgeError) as caught:
        load(path)
    return str(caught.value).replace(str(path), "KB")


def test_a_good_file_loads(write_kb):
    knowledge = load(write_kb(GOOD))
    assert [e.id for e in knowledge.entries] == ["one", "two"]
    assert knowledge.entries[0].alternates == ("first one",)
    assert knowledge.entries[0].line == 2


def test_bundled_knowledge_loads_and_is_curated():
    knowledge = load(bundled_path())
    faq = [e for e in knowledge.entries if e.kind == "faq"]
    assert len(faq) >= 28
    assert all(len(e.alternates) >= 6 and len(e.follow_ups) >= 2 for e in faq)
    assert {e.id for e in knowledge.entries if e.kind == "smalltalk"} >= {
        "greeting", "thanks", "goodbye", "who-are-you", "help"
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("entries:\n  - id: one\n    question: [unclosed\n", "KB:4: invalid YAML"),
        ("entries:\n  - id: one\n    question: Q?\n    answer: A.\n    colour: red\n",
         "KB:5: one: unknown key 'colour'"),
        ("entries:\n  - id: one\n    question: Q?\n", "KB:2: one: 'answer' is missing or empty"),
        ("entries:\n  - id: one\n    question: Q?\n    answer: '  '\n", "KB:4: one: 'answer' is missing or empty"),
        ("entries:\n  - id: one\n    question: Q?\n    answer: A.\n    alternates: nope\n",
         "KB:5: one: 'alternates' must be a list of text"),
        ("entries:\n  - id: one\n    question: Q?\n    answer: A.\n    tags: [ok, 3]\n",
         "KB:5: one: 'tags' must contain only non-empty text"),
        ("entries:\n  - id: One Two\n    question: Q?\n    answer: A.\n", "KB:2: One Two: 'id' must be lower-case"),
        ("entries:\n  - id: one\n    question: Q?\n    answer: A.\n  - id: one\n    question: R?\n    answer: B.\n",
         "KB:5: one: duplicate id (first defined at KB:2)"),
        ("entries:\n  - id: one\n    question: Q?\n    answer: A.\n    follow_ups: [ghost]\n",
         "KB:2: one: follow_up 'ghost' is not the id of an FAQ entry"),
        ("entries:\n  - id: one\n    question: Q?\n    question: R?\n    answer: A.\n", "KB:4: invalid YAML"),
        ("faq:\n  - id: one\n", "KB:1: unknown section 'faq'"),
        ("- just a list\n", "KB:1: expected a mapping"),
        ("entries: []\n", "no FAQ entries found"),
        ("entries:\n  - id: one\n    question: Q?\n    answer: !!python/object:os.system ls\n", "KB:4: invalid YAML"),
    ],
)
def test_bad_knowledge_names_file_line_and_entry(write_kb, text, message):
    assert message in error_for(write_kb, text)


def test_bad_settings_are_rejected(write_kb):
    text = GOOD + "settings:\n  answer_threshold: 2\n"
    assert "KB:12: setting 'answer_threshold' must be a number from 0 to 1" in error_for(write_kb, text)
    assert "unknown setting 'colour'" in error_for(write_kb, GOOD + "settings:\n  colour: red\n")


def test_bad_synonyms_are_rejected(write_kb):
    assert "two or more terms" in error_for(write_kb, GOOD + "synonyms:\n  - [lonely]\n")


def test_a_folder_loads_every_yaml_file(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.yml").write_text("synonyms:\n  - [first, initial]\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    knowledge = load(tmp_path)
    assert knowledge.synonyms == (("first", "initial"),)


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(KnowledgeError, match="no such knowledge file or folder"):
        load(tmp_path / "nope.yaml")
    with pytest.raises(KnowledgeError, match=r"no \.yaml files"):
        load(tmp_path)


def test_invalid_utf8_is_a_knowledge_error(tmp_path):
    path = tmp_path / "kb.yaml"
    path.write_bytes(b"entries:\n  - id: one\n    question: \xff\xfe?\n")
    with pytest.raises(KnowledgeError, match="cannot read"):
        load(path)


def test_environment_variable_chooses_the_knowledge(write_kb, monkeypatch):
    monkeypatch.setenv("FAQ_ASSISTANT_KB", str(write_kb(GOOD)))
    assert Assistant.load().entry("one").question == "Is this the first question?"
