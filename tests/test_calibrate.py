"""`eval --calibrate [--write]`: the threshold sweep, its recommendation, and saving it in place."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

import pytest

from assistant import Assistant, settings_file
from assistant import calibrate as cal
from assistant.errors import UsageError
from assistant.evaluate import VERDICTS, evaluate, read_cases
from assistant.knowledge import load

ENTRIES = """\
entries:
  - id: soles
    question: How are the soles attached?
    alternates: [sole attachment, how is the outsole fixed, are soles glued on]
    answer: Glued and stitched.
  - id: sole-material
    question: What are the soles made of?
    alternates: [sole material, rubber soles]
    answer: Rubber.
  - id: uppers
    question: What materials are the uppers made of?
    alternates: [upper materials, what are uppers made from, leather or mesh uppers]
    answer: Leather and mesh.
smalltalk:
  - id: hello
    question: Hello
    alternates: [hi]
    answer: Hi!
decline:
  - id: price
    question: How much do they cost?
    alternates: [price]
    answer: No prices.
"""

SETTINGS = """\
# Tuning: keep these comments.
settings:
  answer_threshold: 0.5     # answer from here
  clarify_margin: 0.03      # close calls
  clarify_threshold: 0.42   # ask from here
  greeting: "Hi!"
"""

LABELS = """\
question,expected
how are soles attached,soles
are the soles glued or stitched,soles
what are the soles made from,sole-material
are soles rubber,sole-material
what is the sole,sole-material
soles,soles
uppers made of leather?,uppers
what material is the upper,uppers
upper fabric,uppers
hi there,smalltalk
how much is a pair,no_match
do you ship to canada,no_match
what colour are the laces,no_match
"""


@pytest.fixture
def kb(tmp_path):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "entries.yaml").write_text(ENTRIES, encoding="utf-8")
    (folder / "settings.yaml").write_text(SETTINGS, encoding="utf-8")
    (tmp_path / "labels.csv").write_text(LABELS, encoding="utf-8")
    return folder


def test_calibrate_prints_the_trade_off_and_a_recommendation(kb, run_cli):
    result = run_cli("eval", str(kb.parent / "labels.csv"), "--kb", str(kb), "--calibrate")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == ["answer", "clarify", "margin", "right", "wrong", "declined", "clarify"]
    assert lines[1].startswith("now  0.500    0.420    0.03")
    assert sum(line.startswith("*") for line in lines) == 1
    assert lines[-1].startswith("recommended: answer_threshold ")
    assert (kb / "settings.yaml").read_text(encoding="utf-8") == SETTINGS  # not written without --write


def test_the_memoised_sweep_matches_deciding_every_setting_in_full(kb):
    bot = Assistant.load(kb)
    cases = read_cases(str(kb.parent / "labels.csv"))
    sweep = cal.Sweep(bot, cases)
    for answer, clarify, margin in random.Random(7).sample(list(cal.grid()), 12):
        settings = replace(bot.settings, answer_threshold=answer, clarify_threshold=clarify, clarify_margin=margin)
        fresh = Assistant(replace(bot.knowledge, settings=settings))
        counts = Counter(o.verdict for o in evaluate(fresh, cases))
        assert sweep.point(answer, clarify, margin).counts == tuple(counts[v] for v in VERDICTS)


def point(answer: float, counts: tuple[int, int, int, int], clarify: float = 0.4, margin: float = 0.03) -> cal.Point:
    return cal.Point(answer, clarify, margin, counts)


def test_the_recommendation_maximises_right_within_the_wrong_budget():
    current = point(0.5, (80, 4, 16, 0))
    risky = point(0.3, (95, 5, 0, 0))  # 5% wrong is allowed...
    riskier = point(0.25, (96, 4 + 2, 0, 0))  # ...6% is not
    same_right_fewer_wrong = point(0.4, (95, 3, 1, 1))
    same_nearer_today = point(0.45, (95, 5, 0, 0))
    assert cal.recommend([current, risky, riskier], current) == risky
    assert cal.recommend([current, risky, same_right_fewer_wrong], current) == same_right_fewer_wrong
    assert cal.recommend([risky, same_nearer_today], current) == same_nearer_today
    nothing_safe = [point(0.3, (50, 40, 10, 0)), point(0.6, (40, 30, 30, 0))]
    assert cal.recommend(nothing_safe, current) == nothing_safe[1]


def test_write_edits_only_those_values_and_keeps_comments(kb, run_cli):
    result = run_cli("eval", str(kb.parent / "labels.csv"), "--kb", str(kb), "--calibrate", "--write")
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == f"saved to {kb / 'settings.yaml'}"
    chosen = load(kb).settings
    text = (kb / "settings.yaml").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# Tuning: keep these comments."
    assert f"  answer_threshold: {chosen.answer_threshold:g}     # answer from here" in text
    assert f"  clarify_threshold: {chosen.clarify_threshold:g}   # ask from here" in text
    assert len(text.splitlines()) == len(SETTINGS.splitlines())
    assert text.splitlines()[-1] == '  greeting: "Hi!"'


def test_missing_keys_are_added_under_settings():
    text = "entries: []\nsettings:\n    greeting: Hi # hello\n"
    edited = settings_file.edit_settings(text, {"answer_threshold": 0.45, "clarify_margin": 0.0})
    assert edited == (
        "entries: []\nsettings:\n    answer_threshold: 0.45\n    clarify_margin: 0.0\n    greeting: Hi # hello\n"
    )
    assert settings_file.edit_settings("entries: []\n", {"answer_threshold": 0.4}) == (
        "entries: []\nsettings:\n  answer_threshold: 0.4\n"
    )
    with pytest.raises(UsageError, match="not a block mapping"):
        settings_file.edit_settings("settings: {answer_threshold: 0.5}\n", {"answer_threshold": 0.4})


def test_the_installed_bundled_knowledge_is_never_written(kb, monkeypatch):
    monkeypatch.setattr(settings_file, "installed_root", lambda: kb.parent.resolve())
    with pytest.raises(UsageError, match="installed bundled knowledge"):
        settings_file.write_settings(str(kb), {"answer_threshold": 0.4})
    assert (kb / "settings.yaml").read_text(encoding="utf-8") == SETTINGS


def test_write_needs_calibrate(kb, run_cli):
    result = run_cli("eval", str(kb.parent / "labels.csv"), "--kb", str(kb), "--write")
    assert result.code == 2
    assert result.err == "faq-assistant: error: --write needs --calibrate\n"
