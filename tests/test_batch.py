"""`faq-assistant batch` and `answer_rows`: formats, bad rows, exit codes, atomic output, equality with ask."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DATA

from assistant import answering
from assistant.answering import Answerer, answer_records, start_pool
from assistant.batch import answer_rows
from assistant.rows import Record

RESULT = ["status", "entry_id", "matched_question", "confidence", "answer", "suggestions", "options", "error"]
ODD = 'Größe 42, "quoted"; semi;colon\nsecond line — 日本語 🇺🇸'  # Unicode, quotes, delimiters, a line break


def dev_questions() -> list[str]:
    with (DATA / "dev_set.csv").open(encoding="utf-8", newline="") as handle:
        return [row["question"] for row in csv.DictReader(handle)]


def same_as_ask(bot, question: str, row: dict) -> bool:
    reply = bot.ask(question)
    expected = {
        "status": reply.status, "entry_id": reply.entry_id, "matched_question": reply.matched_question,
        "confidence": reply.confidence, "answer": reply.text,
        "suggestions": [{"id": i, "question": q} for i, q in reply.suggestions],
        "options": [{"id": i, "question": q} for i, q in reply.options], "error": None,
    }
    return {key: row[key] for key in expected} == expected


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


# --- equality with ask ---------------------------------------------------------------------------------


def test_answer_rows_equal_ask_on_the_dev_set(bot):
    questions = dev_questions()
    rows = list(answer_rows(bot, [{"question": q, "n": n} for n, q in enumerate(questions)], chunk=50))
    assert [row["n"] for row in rows] == list(range(len(questions)))
    assert all(same_as_ask(bot, q, row) for q, row in zip(questions, rows, strict=True))
    assert {row["status"] for row in rows} == {"answered", "clarify", "smalltalk", "no_match"}


def test_a_pool_keeps_input_order_and_ask_replies(bot):
    questions = [q.upper() if n % 3 else q for n, q in enumerate(dev_questions() * 2)]  # repeats hit the cache
    pool = start_pool(bot, 0, 2)
    try:
        answerer = Answerer(bot, pool=pool)
        records = [Record(n, {"question": q}) for n, q in enumerate(questions, 1)]
        groups = list(answer_records(records, answerer, chunk=40, ahead=2))
    finally:
        pool.terminate()
        pool.join()
    rows = [row for group in groups for _, row in group]
    assert [row["question"] for row in rows] == questions
    assert all(same_as_ask(bot, q, row) for q, row in zip(questions, rows, strict=True))


def test_top_adds_the_best_candidates_with_scores(bot):
    [row] = answer_rows(bot, [{"question": "are nb shoes made in the usa"}], top=3)
    scores = [c["score"] for c in row["candidates"]]
    assert len(row["candidates"]) == 3 and scores == sorted(scores, reverse=True)
    assert row["candidates"][0]["entry_id"] == row["entry_id"] == bot.ask("are nb shoes made in the usa").entry_id


def test_answer_rows_reports_bad_rows_and_carries_on(bot):
    rows = list(answer_rows(bot, [{"q": "hi"}, {"question": " "}, {"question": 7}, {"question": "hello", "x": [1]}]))
    assert [(r["status"], r["error"]) for r in rows] == [
        ("error", "missing 'question'"), ("error", "empty question"), ("error", "'question' is not text"),
        ("smalltalk", None),
    ]
    assert rows[0]["q"] == "hi" and rows[3]["x"] == [1]


# --- formats in and out --------------------------------------------------------------------------------


def test_text_in_jsonl_out_skips_and_counts_blank_lines(run_cli, tmp_path):
    source = tmp_path / "questions.txt"
    source.write_text("are nb shoes made in the usa\n\n   \nhello\r\nhow much is a 990\n", encoding="utf-8")
    result = run_cli("batch", str(source))
    rows = jsonl(result.out)
    assert result.code == 0
    assert [r["question"] for r in rows] == ["are nb shoes made in the usa", "hello", "how much is a 990"]
    assert [r["status"] for r in rows] == ["answered", "smalltalk", "no_match"]
    assert list(rows[0]) == ["question", *RESULT]
    assert result.err == "answered 1, clarify 0, smalltalk 1, no_match 1, errors 0, blank lines 2\n"


def test_csv_round_trip_carries_every_other_column(run_cli, tmp_path):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    with source.open("w", encoding="utf-8-sig", newline="") as handle:  # with a BOM, as Excel saves it
        writer = csv.writer(handle)
        writer.writerow(["id", "question", "note"])
        writer.writerows([["1", "hierro boots", ODD], ["2", "strobal stitching?", ""], ["3", "hello", "ünïcode"]])
    result = run_cli("batch", str(source), "-o", str(target), "--quiet")
    rows = read_csv(target)
    assert (result.code, result.out, result.err) == (0, "", "")
    assert list(rows[0]) == ["id", "question", "note", *RESULT]
    assert [(r["id"], r["note"]) for r in rows] == [("1", ODD), ("2", ""), ("3", "ünïcode")]
    assert [r["entry_id"] for r in rows] == ["hiking-boots", "stitching", "greeting"]
    assert json.loads(rows[0]["suggestions"])[0].keys() == {"id", "question"}


def test_semicolon_csv_is_sniffed(run_cli, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text('ref;question;team\nA-1;"hierro boots; sizes";"sales; EU"\nA-2;hello;support\n', encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(run_cli("batch", str(source)).out)))
    assert [(r["ref"], r["question"], r["team"], r["status"]) for r in rows] == [
        ("A-1", "hierro boots; sizes", "sales; EU", "answered"), ("A-2", "hello", "support", "smalltalk"),
    ]


def test_one_column_of_questions_with_semicolons_is_not_split(run_cli, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("question\nhierro boots; sizes\nstrobel; stitching; how\nhello; hi\n", encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(run_cli("batch", str(source)).out)))
    assert [r["question"] for r in rows] == ["hierro boots; sizes", "strobel; stitching; how", "hello; hi"]


def test_jsonl_in_json_out_with_another_field(run_cli, tmp_path):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.json"
    lines = [{"text": "hierro boots", "meta": {"tags": ["a", ODD]}, "n": 1}, {"text": "hello", "n": 2.5}]
    source.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert run_cli("batch", str(source), "--field", "text", "-o", str(target)).code == 0
    rows = json.loads(target.read_text(encoding="utf-8"))
    assert [{k: r[k] for k in ("text", "meta", "n")} for r in rows[:1]] == lines[:1]
    assert [r["n"] for r in rows] == [1, 2.5] and rows[1]["status"] == "smalltalk"


def test_formats_can_be_named_explicitly(run_cli, tmp_path):
    source, target = tmp_path / "questions.log", tmp_path / "answers.data"
    source.write_text('{"question": "hello"}\n', encoding="utf-8")
    assert run_cli("batch", str(source), "--input-format", "jsonl", "--format", "csv", "-o", str(target)).code == 0
    assert read_csv(target)[0]["status"] == "smalltalk"


def test_empty_input_writes_an_empty_array(run_cli, tmp_path):
    source, target = tmp_path / "none.txt", tmp_path / "out.json"
    source.write_text("\n\n", encoding="utf-8")
    assert run_cli("batch", str(source), "-o", str(target), "-q").code == 0
    assert json.loads(target.read_text(encoding="utf-8")) == []


def test_stdin_to_stdout(run_cli):
    result = run_cli("batch", "-", "--format", "jsonl", stdin="\ufeffhierro boots\nhello\n")
    assert [r["question"] for r in jsonl(result.out)] == ["hierro boots", "hello"]
    csv_result = run_cli("batch", "-", "--input-format", "csv", stdin="question,id\nhello,7\n")
    assert read_rows(csv_result.out) == [("hello", "7", "smalltalk")]


def read_rows(text: str) -> list[tuple[str, str, str]]:
    return [(r["question"], r["id"], r["status"]) for r in csv.DictReader(io.StringIO(text))]


# --- bad rows ------------------------------------------------------------------------------------------


def test_bad_jsonl_lines_are_error_rows_with_warnings(run_cli, tmp_path):
    source = tmp_path / "in.jsonl"
    lines = ['{"question": "hello"}', "{not json", "[1, 2]", '{"q": "x"}', '{"question": ""}', '{"question": 3}',
             json.dumps({"question": "x" * 1_000_001}), '{"question": "hierro boots"}']
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("batch", str(source))
    rows = jsonl(result.out)
    assert [r["status"] for r in rows] == ["smalltalk", *["error"] * 6, "answered"]
    assert rows[6]["error"] == "question too long (1,000,001 characters; the limit is 100,000)"
    warnings = result.err.splitlines()[:-1]
    assert [w.split(":")[3] for w in warnings] == ["2", "3", "4", "5", "6", "7"]
    reason = "invalid JSON: Expecting property name enclosed in double quotes"
    assert warnings[0] == f"faq-assistant: warning: {source}:2: {reason}"
    assert result.err.endswith("errors 6\n") and result.code == 0


def test_bad_csv_rows_and_a_one_megabyte_cell(run_cli, tmp_path):
    source = tmp_path / "in.csv"
    big = "y" * 1_000_000
    source.write_text(f'id,question\n1,hello\n2\n3,""\n4,"{big}"\n5,hello,surplus\n6,hierro boots\n', encoding="utf-8")
    result = run_cli("batch", str(source))
    limit = csv.field_size_limit(2_000_000)  # the big cell is carried through to the output
    try:
        rows = list(csv.DictReader(io.StringIO(result.out)))
    finally:
        csv.field_size_limit(limit)
    assert rows[3]["question"] == big
    assert [r["status"] for r in rows] == ["smalltalk", "error", "error", "error", "error", "answered"]
    assert [r["error"] for r in rows[1:5]] == [
        "missing 'question'", "empty question", "question too long (1,000,000 characters; the limit is 100,000)",
        "3 values but the header has 2 columns",
    ]
    assert [w.split(":")[3] for w in result.err.splitlines()[:-1]] == ["3", "4", "5", "6"]


def test_undecodable_bytes_are_an_error_row(run_cli, tmp_path):
    source = tmp_path / "in.txt"
    source.write_bytes(b"hello\ncaf\xe9 latin-1\nhierro boots\n")
    rows = jsonl(run_cli("batch", str(source)).out)
    assert [r["status"] for r in rows] == ["smalltalk", "error", "answered"]
    assert rows[1]["question"] == "caf\ufffd latin-1" and "UTF-8" in rows[1]["error"]


def test_warnings_stop_after_a_hundred(run_cli):
    result = run_cli("batch", "-", "--input-format", "jsonl", stdin="nope\n" * 150)
    lines = result.err.splitlines()
    assert len(lines) == 102 and lines[-2].endswith("50 more bad rows (see the error column)")


# --- exit codes ----------------------------------------------------------------------------------------


def test_fail_on_no_match_exits_1(run_cli):
    assert run_cli("batch", "-", "--fail-on-no-match", stdin="hierro boots\nhello\n").code == 0
    assert run_cli("batch", "-", stdin="what is the price of a 990\n").code == 0
    assert run_cli("batch", "-", "--fail-on-no-match", stdin="what is the price of a 990\n").code == 1
    assert run_cli("batch", "-", "--fail-on-no-match", "--input-format", "jsonl", stdin="{\n").code == 1


def test_missing_input_file_is_exit_2(run_cli, tmp_path):
    result = run_cli("batch", str(tmp_path / "nope.csv"))
    assert (result.code, result.out) == (2, "")
    assert result.err == f"faq-assistant: error: {tmp_path / 'nope.csv'}: cannot read: No such file or directory\n"


def test_csv_without_the_question_column_is_exit_2(run_cli, tmp_path):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text("id,text\n1,hello\n", encoding="utf-8")
    result = run_cli("batch", str(source), "-o", str(target))
    assert result.code == 2 and "no column 'question' (columns: id, text)" in result.err
    assert list(tmp_path.iterdir()) == [source]


def test_broken_knowledge_is_exit_2(run_cli, write_kb, tmp_path):
    kb = write_kb("entries:\n  - id: one\n    question: Q?\n")
    result = run_cli("batch", "-", "--kb", str(kb), stdin="hello\n")
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("faq-assistant: error: ") and result.err.count("\n") == 1


# --- atomic output -------------------------------------------------------------------------------------


@pytest.fixture
def interrupt_second_chunk(monkeypatch):
    real = answering.answer_questions
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(answering, "answer_questions", flaky)


@pytest.mark.parametrize("existing", [None, "old results\n"])
def test_an_interrupted_run_leaves_output_untouched(run_cli, tmp_path, interrupt_second_chunk, existing):
    source, target = tmp_path / "in.txt", tmp_path / "out.csv"
    source.write_text("hello\nhierro boots\nstrobel\nthanks\n", encoding="utf-8")
    if existing is not None:
        target.write_text(existing, encoding="utf-8")
    result = run_cli("batch", str(source), "-o", str(target), "--chunk", "2", "--workers", "1")
    assert result.code == 130
    assert result.err == f"faq-assistant: interrupted after 2 rows; {target} left unchanged\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in.txt", *(["out.csv"] if existing else [])])
    if existing is not None:
        assert target.read_text(encoding="utf-8") == existing


def test_output_can_replace_its_own_input(run_cli, tmp_path):
    source = tmp_path / "questions.csv"
    source.write_text("question\nhello\nhierro boots\n", encoding="utf-8")
    assert run_cli("batch", str(source), "-o", str(source), "-q").code == 0
    assert [r["status"] for r in read_csv(source)] == ["smalltalk", "answered"]


def command() -> list[str]:
    return [sys.executable, "-m", "assistant"]


@pytest.mark.parametrize(("workers", "sig", "code"), [("1", signal.SIGINT, 130), ("2", signal.SIGINT, 130),
                                                      ("1", signal.SIGTERM, 143)])
def test_a_signal_mid_run_removes_the_temporary_file(tmp_path, workers, sig, code):
    source, target = tmp_path / "in.txt", tmp_path / "out.jsonl"
    source.write_text("".join(f"{q} {n}\n" for n in range(100) for q in dev_questions()), encoding="utf-8")
    process = subprocess.Popen(
        [*command(), "batch", str(source), "-o", str(target), "--workers", workers, "--chunk", "200"],
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    os.killpg(process.pid, sig)  # the whole group, as a terminal's Ctrl-C does
    _, err = process.communicate(timeout=30)
    assert process.returncode == code
    assert "interrupted after" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"]


def test_progress_bar_on_a_terminal(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    source, target = tmp_path / "in.txt", tmp_path / "out.csv"
    source.write_text("hello\nhierro boots\n" * 100, encoding="utf-8")
    child = pexpect.spawn(sys.executable, ["-m", "assistant", "batch", str(source), "-o", str(target)],
                          encoding="utf-8", timeout=30, dimensions=(24, 100))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "questions" in child.before and "200/200" in child.before
    assert "answered 100, clarify 0, smalltalk 100" in child.before
    assert len(read_csv(target)) == 200
