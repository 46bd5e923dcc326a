"""The unanswered-questions log: what it keeps, and appends that never tear."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from assistant.core import Reply
from assistant.errors import InputError
from assistant.unanswered import MAX_QUESTION_CHARS, UnansweredLog

WRITERS, RECORDS = 4, 200


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_weak_replies_are_logged_and_good_ones_are_not(tmp_path):
    path = tmp_path / "log.jsonl"
    with UnansweredLog(path, below=0.6) as log:
        assert log.record("what about refunds", Reply("no_match", "Sorry"), [("price", 0.31), ("made-in-usa", 0.2)])
        assert log.record("990 or 992", Reply("clarify", "Which?", confidence=0.47))
        assert log.record("nb usa?", Reply("answered", "Yes.", "made-in-usa", 0.52))
        assert not log.record("are nb made in usa", Reply("answered", "Yes.", "made-in-usa", 0.93))
        assert not log.record("hi", Reply("smalltalk", "Hi!", "greeting", 1.0))
    first, second, third = read(path)
    assert set(first) == {"time", "question", "status", "entry_id", "confidence", "candidates"}  # nothing else, no IPs
    assert first["question"] == "what about refunds" and first["status"] == "no_match"
    assert first["candidates"] == [{"id": "price", "score": 0.31}, {"id": "made-in-usa", "score": 0.2}]
    assert first["time"].endswith("Z") and first["time"][:4].isdigit()
    assert (second["status"], second["entry_id"], second["confidence"]) == ("clarify", None, 0.47)
    assert (third["status"], third["entry_id"]) == ("answered", "made-in-usa")


def test_candidates_can_be_matches_from_explain(tmp_path, bot):
    explanation = bot.explain("how much is a pair of 990s in a shop near me")
    with UnansweredLog(tmp_path / "log.jsonl") as log:
        log.record(explanation.reply.question, explanation.reply, explanation.candidates)
    (record,) = read(tmp_path / "log.jsonl")
    assert len(record["candidates"]) == 3
    assert record["candidates"][0]["id"] == explanation.candidates[0].entry_id


def test_long_and_odd_questions_are_capped_and_kept_valid(tmp_path):
    path = tmp_path / "log.jsonl"
    with UnansweredLog(path) as log:
        log.record("x" * 10_000, Reply("no_match", "Sorry"))
        log.record("bad \ud800 surrogate\nand a newline", Reply("no_match", "Sorry"))
    long, odd = read(path)
    assert len(long["question"]) == MAX_QUESTION_CHARS
    assert odd["question"] == "bad ? surrogate\nand a newline"
    assert path.read_text(encoding="utf-8").count("\n") == 2


def test_a_closed_log_refuses_and_a_bad_path_is_one_error(tmp_path):
    log = UnansweredLog(tmp_path / "log.jsonl")
    log.close()
    log.close()
    with pytest.raises(InputError):
        log.record("q", Reply("no_match", "Sorry"))
    with pytest.raises(InputError, match="cannot open"):
        UnansweredLog(tmp_path / "missing" / "log.jsonl")


def _append(path: str, writer: int) -> None:
    # Long lines (well over a pipe buffer's atomic size) make any torn write visible.
    with UnansweredLog(path) as log:
        for n in range(RECORDS):
            log.record(f"writer {writer} record {n} " + "w" * 1500, Reply("no_match", "Sorry"), [("a", 0.1)])


def test_concurrent_processes_never_tear_lines(tmp_path):
    path = tmp_path / "log.jsonl"
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    workers = [context.Process(target=_append, args=(str(path), w)) for w in range(WRITERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    records = read(path)  # every line parses: none was interleaved
    assert len(records) == WRITERS * RECORDS
    seen = {tuple(r["question"].split()[1:4:2]) for r in records}
    assert seen == {(str(w), str(n)) for w in range(WRITERS) for n in range(RECORDS)}


def test_chat_logs_what_it_could_not_answer(run_cli, tmp_path):
    log = tmp_path / "unanswered.jsonl"
    script = "are nb made in usa\nhow much do they cost\nhi\n"
    assert run_cli("chat", "--log-unanswered", str(log), stdin=script).code == 0
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(r["question"], r["status"]) for r in records] == [("how much do they cost", "no_match")]
    assert records[0]["candidates"][0]["id"] == "price"


def test_web_logs_weak_replies_without_request_data(bot, tmp_path):
    import io

    from assistant.web import create_app

    log = tmp_path / "web.jsonl"
    app = create_app(bot=bot, log_unanswered=str(log))
    body = json.dumps({"question": "what is the weather today"}).encode()
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/api/ask", "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json", "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(),
        "REMOTE_ADDR": "203.0.113.9", "QUERY_STRING": "",
    }
    b"".join(app(environ, lambda status, headers: None))
    text = log.read_text(encoding="utf-8")
    assert json.loads(text)["question"] == "what is the weather today"
    assert "203.0.113.9" not in text


def test_batch_logs_weak_rows(run_cli, tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text("are nb made in usa\nhow much are they\n", encoding="utf-8")
    log = tmp_path / "batch.jsonl"
    result = run_cli("batch", str(questions), "-o", str(tmp_path / "out.csv"), "--log-unanswered", str(log))
    assert result.code == 0
    assert [json.loads(line)["question"] for line in log.read_text(encoding="utf-8").splitlines()] == [
        "how much are they"
    ]
