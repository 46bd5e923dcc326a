"""Hot reload: good edits are picked up, broken edits keep the old knowledge running."""

from __future__ import annotations

import io
import json
import os

from assistant import Assistant
from assistant.chat import handle_turn
from assistant.conversation import Conversation
from assistant.reload import Reloading
from assistant.web import create_app

KB = """\
entries:
  - id: colour
    question: What colour is the sky?
    alternates: [sky colour]
    answer: {answer}
"""
BROKEN = "entries:\n  - id: colour\n    question: [oops\n"


def write(path, text: str, tick: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(tick * 10**9, tick * 10**9))  # distinct mtimes even within one clock tick


def test_reloading_follows_good_edits_and_survives_broken_ones(tmp_path):
    kb, errors = tmp_path / "kb.yaml", []
    write(kb, KB.format(answer="Blue."), 1)
    reloading = Reloading(kb, interval=0, on_error=errors.append)
    first = reloading.current()
    assert first.ask("sky colour").text == "Blue."
    write(kb, KB.format(answer="Grey, in Manchester."), 2)
    assert reloading.current().ask("sky colour").text == "Grey, in Manchester."
    write(kb, BROKEN, 3)
    assert reloading.current().ask("sky colour").text == "Grey, in Manchester."
    assert reloading.current().ask("sky colour").text == "Grey, in Manchester."
    assert len(errors) == 1 and "still using the previous knowledge" in errors[0] and "invalid YAML" in errors[0]
    assert first.ask("sky colour").text == "Blue."  # whoever held the old assistant still has it


def ask(app, question: str) -> dict:
    body = json.dumps({"question": question}).encode()
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/api/ask", "CONTENT_LENGTH": str(len(body)), "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json", "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(),
    }
    return json.loads(b"".join(app(environ, lambda status, headers: None)))


def test_serve_reload_swaps_the_knowledge(tmp_path, monkeypatch):
    kb = tmp_path / "kb.yaml"
    write(kb, KB.format(answer="Blue."), 1)
    app = create_app(str(kb), reload=True)
    app.reloading.interval = 0
    assert ask(app, "sky colour")["text"] == "Blue."
    write(kb, KB.format(answer="Pink at dusk."), 2)
    assert ask(app, "sky colour")["text"] == "Pink at dusk."
    write(kb, BROKEN, 3)
    assert ask(app, "sky colour")["text"] == "Pink at dusk."


def test_chat_reload_command(tmp_path):
    kb = tmp_path / "kb.yaml"
    write(kb, KB.format(answer="Blue."), 1)
    conversation = Conversation(Assistant.load(kb))
    write(kb, BROKEN, 2)
    assert handle_turn(conversation, "/reload").notice.startswith("Reload failed, still using the previous knowledge")
    assert handle_turn(conversation, "sky colour").reply.text == "Blue."
    write(kb, KB.format(answer="Black at night."), 3)
    assert handle_turn(conversation, "/reload").notice.startswith("Reloaded 1 questions")
    assert handle_turn(conversation, "sky colour").reply.text == "Black at night."
