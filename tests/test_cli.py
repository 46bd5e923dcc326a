"""`faq-assistant ask` and `eval` as a user runs them: output, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import DATA

SCRIPT = str(Path(sys.executable).with_name("faq-assistant"))


def test_ask_prints_the_answer_and_follow_ups(run_cli, bot):
    result = run_cli("ask", "are new balance shoes made in the usa")
    entry = bot.entry("made-in-usa")
    assert result.code == 0
    assert result.out.startswith(entry.answer + "\n\nYou could also ask:\n  1. ")
    assert result.out.count("\n  ") == 3


def test_ask_json(run_cli):
    result = run_cli("ask", "--json", "strobal stitching")
    data = json.loads(result.out)
    assert (result.code, data["status"], data["entry_id"]) == (0, "answered", "stitching")
    assert 0 < data["confidence"] <= 1


def test_ask_explain_shows_the_reasoning(run_cli):
    result = run_cli("ask", "--explain", "r nb kicks manufacured stateside")
    assert "corrections: manufacured -> manufactured" in result.out
    assert "kick -> sneaker" in result.out
    assert "  1. made-in-usa  score" in result.out
    assert result.out.count("     matched: ") == 5


def test_ask_explain_json(run_cli):
    data = json.loads(run_cli("ask", "--json", "--explain", "heirro").out)
    assert data["explain"]["corrections"] == [["heirro", "hierro"]]
    assert data["explain"]["candidates"][0]["entry_id"] == "hiking-boots"


def test_no_match_exits_1_like_grep(run_cli):
    result = run_cli("ask", "how much do they cost")
    assert result.code == 1
    assert "pricing" in result.out


def test_empty_question_is_a_usage_error(run_cli):
    result = run_cli("ask", "   ")
    assert (result.code, result.out) == (2, "")
    assert result.err == "faq-assistant: error: the question is empty\n"


def test_question_from_stdin(run_cli):
    assert run_cli("ask", "-", stdin="hierro boots\n").code == 0


def test_broken_knowledge_is_one_line_and_exit_2(run_cli, write_kb):
    kb = write_kb("entries:\n  - id: one\n    question: Q?\n")
    result = run_cli("ask", "--kb", str(kb), "hello")
    assert result.code == 2
    assert result.err == f"faq-assistant: error: {kb}:2: one: 'answer' is missing or empty (it must be text)\n"


def test_eval_prints_rates_per_kind(run_cli):
    result = run_cli("eval", str(DATA / "dev_set.csv"))
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].split() == ["kind", "n", "right", "wrong", "declined", "clarify"]
    assert any(line.startswith("overall") for line in lines)
    assert run_cli("eval", str(DATA / "dev_set.csv"), "--min-accuracy", "0.999").code == 1


def test_eval_rejects_bad_label_files(run_cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("question,expected\nhello,not-an-id\n", encoding="utf-8")
    result = run_cli("eval", str(bad))
    assert (result.code, result.err) == (2, f"faq-assistant: error: {bad}:2: unknown expected id 'not-an-id'\n")
    broken = tmp_path / "bad.jsonl"
    broken.write_text('{"question": "hi", "expected": "smalltalk"}\n{oops\n', encoding="utf-8")
    assert f"{broken}:2: invalid JSON" in run_cli("eval", str(broken)).err


def test_installed_command_runs_from_any_folder(tmp_path):
    done = subprocess.run(
        [SCRIPT, "ask", "990 made in usa"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "990" in done.stdout
    module = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "--json", "hi"], cwd=tmp_path, capture_output=True, timeout=60
    )
    assert json.loads(module.stdout)["status"] == "smalltalk"


def test_invalid_utf8_argument_and_stdin_do_not_crash(tmp_path):
    done = subprocess.run([SCRIPT, "ask", "-"], input=b"are \xff\xfe nb made in \xc3 usa", capture_output=True,
                          cwd=tmp_path, timeout=60)
    assert done.returncode in (0, 1)
    assert b"Traceback" not in done.stderr
    weird = subprocess.run([SCRIPT.encode(), b"ask", b"\xff\xfe made in usa \xe2\x80\xae\xd7\xa9\xd7\x9c"],
                           capture_output=True, cwd=tmp_path, timeout=60)
    assert weird.returncode in (0, 1) and b"Traceback" not in weird.stderr
