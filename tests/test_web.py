"""The HTTP API, in-process against the WSGI app, plus one run of the real `serve` command."""

from __future__ import annotations

import io
import json
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from live_server import live_server

from assistant import Assistant
from assistant.web import MAX_BODY, App, create_app

XSS = "<img src=x onerror=alert(1)>"
XSS_KB = f"""
entries:
  - id: html-test
    question: What does the html test answer say?
    answer: "{XSS}"
    follow_ups: [plain]
    tags: [test]
  - id: plain
    question: Is there a plain answer?
    answer: Yes, a plain one.
    tags: [test]
"""


@dataclass
class Result:
    status: int
    headers: dict[str, str]
    body: bytes
    errors: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Unreadable(io.BytesIO):
    """A request body that must not be read (the size check comes first)."""

    def read(self, *args: Any) -> bytes:
        raise AssertionError("the body was read")


def call(
    app: App, method: str, path: str, body: Any = None, *, raw: bytes | None = None, query: str = "",
    headers: dict[str, str] | None = None, stream: io.BytesIO | None = None,
) -> Result:
    """Call the WSGI app directly, the way a server would."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ.update(REQUEST_METHOD=method, PATH_INFO=path, QUERY_STRING=query, CONTENT_LENGTH=str(len(data)))
    environ["wsgi.input"] = stream or io.BytesIO(data)
    environ["wsgi.errors"] = io.StringIO()
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_LENGTH", "CONTENT_TYPE") else f"HTTP_{key}"] = value
    started: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        started.update(status=int(status.split()[0]), headers=response_headers)

    out = b"".join(app(environ, start_response))
    names = [name.lower() for name, _ in started["headers"]]
    assert len(names) == len(set(names)), f"duplicate headers: {names}"
    headers_by_name = {k.lower(): v for k, v in started["headers"]}
    return Result(started["status"], headers_by_name, out, environ["wsgi.errors"].getvalue())


@pytest.fixture(scope="module")
def app(bot: Assistant) -> App:
    return create_app(bot=bot, allow_origins=["https://shop.example.com"])


def ask(app: App, question: str, context: Any = None) -> dict[str, Any]:
    result = call(app, "POST", "/api/ask", {"question": question, "context": context})
    assert result.status == 200, result.body
    return result.json


# --- routes ---------------------------------------------------------------------------------------


def test_healthz_counts_faq_entries(app: App, bot: Assistant) -> None:
    assert call(app, "GET", "/healthz").json == {"ok": True, "entries": len(bot.faq)}


def test_ask_returns_the_reply_and_a_context(app: App, bot: Assistant) -> None:
    data = ask(app, "are new balance shoes made in the usa")
    expected = bot.ask("are new balance shoes made in the usa").to_dict()
    assert {k: data[k] for k in expected} == expected
    assert data["status"] == "answered"
    assert data["context"] == {
        "asked": [data["entry_id"]], "offered": [s["id"] for s in data["suggestions"]], "last": data["entry_id"],
    }


def test_context_round_trip_picks_the_first_suggestion(app: App, bot: Assistant) -> None:
    first = ask(app, "are new balance shoes made in the usa")
    picked = first["suggestions"][0]
    second = ask(app, "1", first["context"])
    assert (second["status"], second["entry_id"]) == ("answered", picked["id"])
    assert second["text"] == bot.entry(picked["id"]).answer
    assert second["context"]["asked"] == [first["entry_id"], picked["id"]]


def test_any_worker_can_continue_a_conversation(bot: Assistant) -> None:
    one, two = create_app(bot=bot), create_app(bot=bot, cache_size=0)  # two "workers", nothing shared
    first = ask(one, "which models are made in the usa")
    more = ask(two, "tell me more", first["context"])
    assert more["status"] == "answered"
    assert more["entry_id"] not in (None, first["entry_id"])


def test_greeting_numbers_its_starters(app: App, bot: Assistant) -> None:
    greeting = call(app, "GET", "/api/greeting").json
    assert greeting["text"] == bot.settings.greeting
    assert greeting["context"]["offered"] == [s["id"] for s in greeting["suggestions"]]
    assert ask(app, "2", greeting["context"])["entry_id"] == greeting["suggestions"][1]["id"]


@pytest.mark.parametrize("prefix", ["how are", "HOW   ARE", "made in", "strobel", "r nb kicks american"])
def test_complete_suggests_known_questions(app: App, bot: Assistant, prefix: str) -> None:
    data = call(app, "GET", "/api/complete", query="q=" + prefix.replace(" ", "+")).json
    questions = {e.id: e.question for e in bot.faq}
    assert data["query"] == prefix
    assert 1 <= len(data["suggestions"]) <= 8
    assert all(questions[s["id"]] == s["question"] for s in data["suggestions"])


def test_complete_prefers_literal_prefixes(app: App) -> None:
    suggestions = call(app, "GET", "/api/complete", query="q=how+are").json["suggestions"]
    assert suggestions[0]["question"].lower().startswith("how are")


def test_complete_refuses_a_flood_of_parameters(app: App) -> None:
    result = call(app, "GET", "/api/complete", query="&".join(f"p{i}=1" for i in range(50)))
    assert (result.status, result.json["status"]) == (400, 400)


@pytest.mark.parametrize("query", ["", "q=", "q=++", "q=%FF%FE", "q=" + "x" * 5000, "q=a&q=b"])
def test_complete_copes_with_odd_input(app: App, query: str) -> None:
    result = call(app, "GET", "/api/complete", query=query)
    assert result.status == 200
    assert len(result.json["suggestions"]) <= 8


def test_topics_group_every_faq_question(app: App, bot: Assistant) -> None:
    groups = call(app, "GET", "/api/topics").json["topics"]
    listed = {q["id"] for group in groups for q in group["questions"]}
    assert listed == {e.id for e in bot.faq}
    assert {g["tag"] for g in groups} == {t for e in bot.faq for t in e.tags}


def test_openapi_documents_every_route(app: App) -> None:
    result = call(app, "GET", "/openapi.json")
    doc = result.json
    assert result.headers["content-type"] == "application/json; charset=utf-8"
    assert doc["openapi"].startswith("3.")
    assert set(app.routes) == set(doc["paths"])
    for path, methods in app.routes.items():
        assert {m.lower() for m in methods} <= set(doc["paths"][path]), path
    refs = re.findall(r'"#/components/(\w+)/(\w+)"', result.body.decode())
    assert all(name in doc["components"][kind] for kind, name in refs)


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/", "text/html"), ("/widget.js", "text/javascript"), ("/widget.css", "text/css"), ("/demo.css", "text/css")],
)
def test_static_files(app: App, path: str, kind: str) -> None:
    result = call(app, "GET", path)
    assert result.status == 200
    assert result.headers["content-type"] == f"{kind}; charset=utf-8"
    assert len(result.body) == int(result.headers["content-length"]) > 100


def test_demo_page_embeds_the_widget_without_inline_code(app: App) -> None:
    page = call(app, "GET", "/").body.decode()
    assert '<script src="/widget.js" defer></script>' in page
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", page))
    assert "<style" not in page
    assert not re.search(r"\son\w+=", page)  # no inline event handlers


def test_widget_never_inserts_html() -> None:
    source = (Path(__file__).parent.parent / "assistant" / "static" / "widget.js").read_text()
    assert "textContent" in source
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert risky not in source


def test_head_sends_headers_only(app: App) -> None:
    get, head = call(app, "GET", "/healthz"), call(app, "HEAD", "/healthz")
    assert head.status == 200
    assert head.body == b""
    assert head.headers["content-length"] == get.headers["content-length"]


def test_replies_are_cached_but_identical(bot: Assistant) -> None:
    cached, uncached = create_app(bot=bot), create_app(bot=bot, cache_size=0)
    bodies = [call(a, "POST", "/api/ask", {"question": "strobel"}).body for a in (cached, cached, uncached)]
    assert bodies[0] == bodies[1] == bodies[2]


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "valid UTF-8 JSON"),
        (b"\xff\xfe{}", 400, "valid UTF-8 JSON"),
        (b"", 400, "valid UTF-8 JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b"{}", 400, "'question'"),
        (b'{"question": ""}', 400, "'question'"),
        (b'{"question": "   \\n"}', 400, "'question'"),
        (b'{"question": 42}', 400, "'question'"),
        (b'{"question": "hi", "context": "abc"}', 400, "context must be an object"),
        (b'{"question": "hi", "context": {"asked": ["no-such-id"]}}', 400, "context.asked"),
        (b'{"question": "hi", "context": {"offered": "made-in-usa"}}', 400, "context.offered"),
        (b'{"question": "hi", "context": {"last": 3}}', 400, "context.last"),
        (b'{"question": "hi", "context": {"secret": 1}}', 400, "context must be"),
        (json.dumps({"question": "x" * 1001}).encode(), 422, "longer than 1000"),
    ],
)
def test_bad_requests_get_json_errors(app: App, body: bytes, status: int, message: str) -> None:
    result = call(app, "POST", "/api/ask", raw=body)
    assert (result.status, result.json["status"], result.json["ok"]) == (status, status, False)
    assert message in result.json["error"]
    assert result.headers["content-type"] == "application/json; charset=utf-8"


def test_unknown_path_is_404(app: App) -> None:
    result = call(app, "GET", "/api/nope")
    assert result.status == 404
    assert result.json == {"ok": False, "error": "no such path: /api/nope", "status": 404}


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("GET", "/api/ask", "POST, OPTIONS"),
    ("PUT", "/api/ask", "POST, OPTIONS"),
    ("POST", "/healthz", "GET, HEAD, OPTIONS"),
    ("DELETE", "/", "GET, HEAD, OPTIONS"),
])
def test_wrong_method_is_405_with_allow(app: App, method: str, path: str, allow: str) -> None:
    result = call(app, method, path)
    assert (result.status, result.json["status"]) == (405, 405)
    assert result.headers["allow"] == allow


def test_body_over_16_kb_is_refused_before_reading(app: App) -> None:
    stream = Unreadable()
    result = call(app, "POST", "/api/ask", headers={"Content-Length": str(MAX_BODY + 1)}, stream=stream)
    assert (result.status, result.json["status"]) == (413, 413)


def test_body_of_exactly_16_kb_is_fine(app: App) -> None:
    body = json.dumps({"question": "strobel", "pad": ""}).encode()
    body = body.replace(b'""', b'"' + b" " * (MAX_BODY - len(body)) + b'"')
    assert len(body) == MAX_BODY
    assert call(app, "POST", "/api/ask", raw=body).status == 200


def test_chunked_body_is_read_only_up_to_the_limit(app: App) -> None:
    body = json.dumps({"question": "x" * (MAX_BODY * 4)}).encode()
    stream = io.BytesIO(body)
    result = call(
        app, "POST", "/api/ask", raw=b"", stream=stream,
        headers={"Content-Length": "", "Transfer-Encoding": "chunked"},
    )
    assert result.status == 413
    assert stream.tell() == MAX_BODY + 1


def test_invalid_content_length_is_400(app: App) -> None:
    assert call(app, "POST", "/api/ask", headers={"Content-Length": "12abc"}).status == 400


def test_a_crash_is_logged_and_answered_with_json(bot: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(bot=bot)

    def boom(question: str, context: Any) -> bytes:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(app, "_answer", boom)
    result = call(app, "POST", "/api/ask", {"question": "hi"})
    assert result.json == {"ok": False, "error": "internal server error", "status": 500}
    assert b"secret" not in result.body
    assert "RuntimeError: secret internals" in result.errors


def test_xss_answer_is_returned_as_data(write_kb: Any) -> None:
    app = create_app(str(write_kb(XSS_KB)))
    result = call(app, "POST", "/api/ask", {"question": "what does the html test answer say"})
    assert result.json["text"] == XSS
    assert result.headers["content-type"] == "application/json; charset=utf-8"
    assert "default-src 'none'" in result.headers["content-security-policy"]


# --- headers and CORS -----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/"), ("GET", "/widget.js"), ("GET", "/healthz"), ("POST", "/api/ask"), ("GET", "/missing"),
    ("PATCH", "/api/topics"), ("OPTIONS", "/api/ask"),
])
def test_security_headers_on_every_response(app: App, method: str, path: str) -> None:
    headers = call(app, method, path, {"question": "hi"}).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    if "content-type" in headers:
        assert "charset=utf-8" in headers["content-type"]


def test_html_pages_get_a_strict_csp(app: App) -> None:
    csp = call(app, "GET", "/").headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "default-src 'none'" in csp
    assert "unsafe" not in csp


def test_cors_echoes_allowed_origins_only(app: App) -> None:
    allowed = call(app, "POST", "/api/ask", {"question": "hi"}, headers={"Origin": "https://shop.example.com"})
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example.com"
    assert allowed.headers["vary"] == "Origin"
    denied = call(app, "POST", "/api/ask", {"question": "hi"}, headers={"Origin": "https://evil.example"})
    assert denied.status == 200  # the browser, not the server, enforces CORS
    assert "access-control-allow-origin" not in denied.headers


def test_no_cors_without_an_allow_list(bot: Assistant) -> None:
    result = call(create_app(bot=bot), "GET", "/healthz", headers={"Origin": "https://shop.example.com"})
    assert "access-control-allow-origin" not in result.headers


def test_star_allows_any_origin(bot: Assistant) -> None:
    result = call(create_app(bot=bot, allow_origins=["*"]), "GET", "/healthz", headers={"Origin": "https://a.b"})
    assert result.headers["access-control-allow-origin"] == "*"


def test_preflight_from_an_allowed_origin(app: App) -> None:
    result = call(app, "OPTIONS", "/api/ask", headers={
        "Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    })
    assert result.status == 204
    assert result.body == b""
    assert result.headers["access-control-allow-origin"] == "https://shop.example.com"
    assert "POST" in result.headers["access-control-allow-methods"]
    assert result.headers["access-control-allow-headers"] == "Content-Type"
    assert "content-length" not in result.headers


def test_preflight_from_another_origin_is_refused(app: App) -> None:
    result = call(app, "OPTIONS", "/api/ask", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
    })
    assert (result.status, result.json["status"]) == (403, 403)
    assert "access-control-allow-origin" not in result.headers


def test_plain_options_lists_methods(app: App) -> None:
    result = call(app, "OPTIONS", "/healthz")
    assert (result.status, result.headers["allow"]) == (204, "GET, HEAD, OPTIONS")


# --- the serve command ----------------------------------------------------------------------------


def test_serve_with_a_broken_kb_exits_2_with_one_line(run_cli: Any, write_kb: Any) -> None:
    result = run_cli("serve", "--kb", str(write_kb("entries:\n  - id: x\n")), "--port", "1")
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert result.err.startswith("faq-assistant: error:")


@pytest.mark.parametrize(("args", "message"), [
    (["--allow-origin", "shop.example.com"], "--allow-origin"),
    (["--port", "70000"], "--port"),
    (["--threads", "0"], "--threads"),
])
def test_serve_rejects_bad_options(run_cli: Any, args: list[str], message: str) -> None:
    result = run_cli("serve", *args)
    assert result.code == 2
    assert message in result.err


def test_serve_on_a_busy_port_exits_2(run_cli: Any) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run_cli("serve", "--port", str(busy.getsockname()[1]))
    assert result.code == 2
    assert "cannot listen" in result.err


def post(url: str, data: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_real_server_answers_over_http() -> None:
    with live_server() as (_, base):
        status, reply = post(base + "/api/ask", json.dumps({"question": "are nb made in the usa"}).encode())
        assert (status, reply["status"], reply["entry_id"]) == (200, "answered", "made-in-usa")
        status, follow = post(base + "/api/ask", json.dumps({"question": "1", "context": reply["context"]}).encode())
        assert follow["entry_id"] == reply["suggestions"][0]["id"]
        assert post(base + "/api/ask", b"{" * (MAX_BODY + 10)) == (
            413, {"ok": False, "error": f"request body is over {MAX_BODY} bytes", "status": 413},
        )
        assert post(base + "/nowhere", b"{}")[0] == 404
