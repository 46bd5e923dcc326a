"""The fast YAML reader gives exactly what the full safe loader gives, errors included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant import yaml_reader
from assistant.knowledge import bundled_path
from assistant.yaml_reader import LineMap

CASES = [
    "",
    "# only a comment\n",
    "entries:\n  - id: a\n    question: Is it?\n    answer: Yes.\n",
    "entries: [{id: a, question: 'Quoted: yes', answer: \"double \\u00e9\"}]\n",
    "settings:\n  answer_threshold: 0.5\n  max_suggestions: 3\n  greeting: ~\n  flag: yes\n  empty:\n",
    "when: 2024-01-02\nplain: 12:30\nhex: 0x1F\nbig: 1_000\ninf: .inf\nnot_a_number: .nan\n",
    "text: |\n  line one\n  line two\nfolded: >\n  one\n  two\n",
    "a: 1\nb: [1, two, 3.0, null, true]\nc: {nested: {deeper: [x]}}\n",
    "a: 1\na: 2\n",  # duplicate key
    "1: one\n01: also one\n",  # same key after construction, different text
    "base: &b {x: 1}\nuse: *b\n",  # anchor and alias
    "base: &b {x: 1}\nmerged:\n  <<: *b\n  y: 2\n",  # merge key
    "tagged: !!str 123\n",
    "binary: !!binary aGVsbG8=\n",
    "evil: !!python/object/apply:os.system [echo hi]\n",
    "? [complex, key]\n: value\n",
    "--- 1\n--- 2\n",  # two documents
    "---\na: 1\n...\n",
    "a: [unclosed\n",
    "a: 'unterminated\n",
    "\tbad: indent\n",
    "- just\n- a list\n",
    "just a scalar\n",
    "a: b: c\n",
    "=: value\n",
    "x: !custom thing\n",
]


def outcome(read: Any, text: str) -> Any:
    try:
        return ("ok", shape(read(text)))
    except yaml.YAMLError as exc:
        return ("error", type(exc).__name__, str(exc))


def shape(value: Any) -> Any:
    """The value with every mapping's lines spelled out, so they are compared too."""
    if isinstance(value, LineMap):
        return ("map", value.line, dict(value.key_lines), [(k, shape(v)) for k, v in value.items()])
    if isinstance(value, list):
        return [shape(v) for v in value]
    return (type(value).__name__, value)


def full(text: str) -> Any:
    loader = yaml_reader._Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


@pytest.mark.parametrize("text", CASES)
def test_fast_reader_matches_the_full_loader(text: str):
    assert outcome(yaml_reader.load, text) == outcome(full, text)


def test_fast_reader_matches_on_the_bundled_knowledge():
    for path in sorted(Path(bundled_path()).glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert outcome(yaml_reader.load, text) == outcome(full, text), path.name


def test_only_plain_constructs_take_the_fast_path():
    with pytest.raises(yaml_reader._Unusual):
        loader = yaml_reader._Loader("base: &b {x: 1}\nuse: *b\n")
        try:
            yaml_reader._from_events(loader)
        finally:
            loader.dispose()
