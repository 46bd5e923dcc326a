"""`faq-assistant serve`: the HTTP API, the embeddable chat widget and a demo page.

`create_app()` returns a plain WSGI application (PEP 3333), so any WSGI
server runs it: `serve` uses waitress, and `gunicorn 'assistant.web:create_app()'`
runs it on several processes. Workers keep no per-user memory: the
conversation `Context` goes back to the browser with every reply and comes
back, validated, with the next question, so any worker can answer any turn
and scaling out is just more workers behind a load balancer.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from typing import Any

from assistant.context import Context
from assistant.conversation import advance
from assistant.core import Assistant, Reply
from assistant.errors import HttpError, InputError, UsageError
from assistant.httpkit import (
    Cors,
    Request,
    Response,
    StartResponse,
    error_response,
    json_bytes,
    json_response,
    read_json,
    send,
)
from assistant.lookup import Completer, topics
from assistant.reload import Reloading
from assistant.unanswered import DEFAULT_BELOW, UnansweredLog, add_log_options

Handler = Callable[[Request], Response]

MAX_BODY = 16 * 1024  # bytes; a question plus a context fits many times over
CACHE_SIZE = 4096  # replies kept per worker; FAQ traffic repeats the same questions a lot
MAX_UPLOAD = 1024 * 1024  # waitress refuses (in plain text) only beyond this; the app answers 413 below it
STATIC_CACHE = "public, max-age=300"
STATIC = {  # path: (file in assistant/static, content type)
    "/": ("demo.html", "text/html; charset=utf-8"),
    "/demo.css": ("demo.css", "text/css; charset=utf-8"),
    "/widget.js": ("widget.js", "text/javascript; charset=utf-8"),
    "/widget.css": ("widget.css", "text/css; charset=utf-8"),
    "/openapi.json": ("openapi.json", "application/json; charset=utf-8"),
}


class App:
    """The WSGI application. Immutable after construction apart from its reply cache."""

    def __init__(
        self, bot: Assistant, *, allow_origins: Iterable[str] = (), max_body: int = MAX_BODY,
        cache_size: int = CACHE_SIZE, log: UnansweredLog | None = None,
    ):
        self.bot = bot
        self.log = log
        self.cors = Cors.of(allow_origins)
        self.max_body = max_body
        self.max_question = bot.settings.max_question_chars
        self.known_ids = frozenset(e.id for e in bot.faq)  # contexts only ever hold FAQ ids
        self.completer = Completer(bot)
        # Replies depend only on (question, context) and the immutable assistant, so caching is safe.
        self._answer = functools.lru_cache(maxsize=cache_size)(self._reply_body)
        fixed = {
            "/healthz": json_response({"ok": True, "entries": len(bot.faq)}),
            "/api/topics": json_response({"topics": topics(bot)}),
            "/api/greeting": self._greeting(),
            **static_files(),
        }
        self.routes: dict[str, dict[str, Handler]] = {
            "/api/ask": {"POST": self.ask},
            "/api/complete": {"GET": self.complete},
            **{path: {"GET": functools.partial(_fixed, response)} for path, response in fixed.items()},
        }

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = Request.from_environ(environ)
        try:
            response = self.dispatch(request)
        except HttpError as exc:
            response = error_response(exc.status, str(exc), exc.headers)
        except Exception:  # a bug: log it for the operator, give the client the JSON shape only
            environ["wsgi.errors"].write(f"faq-assistant: {request.method} {request.path} failed:\n")
            environ["wsgi.errors"].write(traceback.format_exc())
            response = error_response(500, "internal server error")
        return send(response, request, self.cors, start_response)

    def dispatch(self, request: Request) -> Response:
        methods = self.routes.get(request.path)
        if methods is None:
            raise HttpError(404, f"no such path: {request.path[:200]}")
        allowed = [*methods, *(("HEAD",) if "GET" in methods else ()), "OPTIONS"]
        if request.method == "OPTIONS":
            return self.cors.preflight(request, allowed)
        handler = methods.get("GET" if request.method == "HEAD" else request.method)
        if handler is None:
            raise HttpError(405, f"{request.method} is not allowed here", (("Allow", ", ".join(allowed)),))
        return handler(request)

    def ask(self, request: Request) -> Response:
        """POST /api/ask: answer one question in the conversation the client carries."""
        data = read_json(request.environ, self.max_body)
        if not isinstance(data, dict):
            raise HttpError(400, "the body must be a JSON object")
        question = data.get("question")
        if not isinstance(question, str) or not question.strip():
            raise HttpError(400, "'question' must be a non-empty string")
        if len(question) > self.max_question:
            raise HttpError(422, f"the question is longer than {self.max_question} characters")
        try:
            context = Context.from_dict(data.get("context"), self.known_ids)
        except InputError as exc:
            raise HttpError(400, str(exc)) from None
        reply, body = self._answer(question, context)
        if self.log is not None:
            self.log.note(self.bot, question, reply, context)
        return Response(200, body)

    def _reply_body(self, question: str, context: Context) -> tuple[Reply, bytes]:
        reply = self.bot.ask(question, context=context)
        return reply, reply_body(reply, context)

    def complete(self, request: Request) -> Response:
        """GET /api/complete?q=...: known questions for a type-ahead box."""
        query = request.param("q")
        return json_response({"query": query, "suggestions": self.completer.complete(query)})

    def _greeting(self) -> Response:
        """GET /api/greeting: the opening line and starter questions, shaped like any reply."""
        settings = self.bot.settings
        starters = tuple((e.id, e.question) for e in self.bot.faq[: settings.max_suggestions])
        reply = Reply("smalltalk", settings.greeting, None, 1.0, starters)
        return Response(200, reply_body(reply, Context()))


def reply_body(reply: Reply, context: Context) -> bytes:
    """The reply as JSON plus the context the client must send with its next question."""
    return json_bytes({**reply.to_dict(), "context": advance(context, reply).to_dict()})


def _fixed(response: Response, request: Request) -> Response:
    return response


def static_files() -> dict[str, Response]:
    """The widget, the demo page and the OpenAPI document, read once from the package."""
    folder = resources.files("assistant").joinpath("static")
    return {
        path: Response(200, folder.joinpath(name).read_bytes(), kind, cache=STATIC_CACHE)
        for path, (name, kind) in STATIC.items()
    }


def create_app(
    kb_path: str | os.PathLike[str] | None = None, *, allow_origins: Iterable[str] = (), bot: Assistant | None = None,
    max_body: int = MAX_BODY, cache_size: int = CACHE_SIZE, log_unanswered: str | os.PathLike[str] | None = None,
    log_below: float = DEFAULT_BELOW, reload: bool = False,
) -> App | ReloadingApp:
    """The WSGI application for a knowledge base (None: $FAQ_ASSISTANT_KB or the bundled one).

    `bot` reuses an already loaded assistant (tests, embedding in a bigger app);
    `log_unanswered` appends weak replies to a JSONL log (safe across workers);
    `reload` follows edits to the knowledge files (a broken edit keeps the old knowledge).
    """
    log = UnansweredLog(log_unanswered, below=log_below) if log_unanswered else None
    options = {"allow_origins": tuple(allow_origins), "max_body": max_body, "cache_size": cache_size, "log": log}
    if reload:
        return ReloadingApp(Reloading(kb_path, on_error=_report), lambda fresh: App(fresh, **options))
    return App(bot or Assistant.load(kb_path), **options)


class ReloadingApp:
    """Serves with the latest good knowledge: a fresh `App` after each successful reload.

    A request in flight keeps the `App` it started with, so it finishes on the old knowledge.
    """

    def __init__(self, reloading: Reloading, make: Callable[[Assistant], App]):
        self.reloading = reloading
        self._make = make
        self._app = make(reloading.current())

    @property
    def bot(self) -> Assistant:
        return self._app.bot

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        app, bot = self._app, self.reloading.current()
        if app.bot is not bot:
            app = self._app = self._make(bot)
        return app(environ, start_response)


def _report(message: str) -> None:
    print(f"faq-assistant: {message}", file=sys.stderr, flush=True)


def configure(commands: Any) -> None:
    from assistant.cli import add_kb_option

    parser = commands.add_parser("serve", help="serve the HTTP API, the chat widget and a demo page")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000; 0 picks one)")
    parser.add_argument(
        "--allow-origin", action="append", default=[], dest="allow_origins", metavar="URL",
        help="let pages on this origin call the API from the browser (repeatable; '*' allows any)",
    )
    parser.add_argument("--threads", type=int, default=4, help="worker threads (default: 4)")
    parser.add_argument("--reload", action="store_true", help="reload the knowledge when its files change")
    add_kb_option(parser)
    add_log_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, streams: Any) -> int:
    """Load the knowledge first (a broken one exits 2 before binding), then serve until interrupted."""
    check_options(args.allow_origins, args.port, args.threads)
    app = create_app(
        args.kb, allow_origins=args.allow_origins, log_unanswered=args.log_unanswered, log_below=args.log_below,
        reload=args.reload,
    )
    import waitress  # only `serve` needs it

    try:
        server = waitress.create_server(
            app, host=args.host, port=args.port, threads=args.threads, ident="faq-assistant",
            max_request_body_size=MAX_UPLOAD,
        )
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc}") from None
    listening = getattr(server, "effective_listen", None) or [(server.effective_host, server.effective_port)]
    urls = ", ".join(f"http://{_bracket(host)}:{port}/" for host, port in listening)
    print(f"faq-assistant: serving {len(app.bot.faq)} entries on {urls} (Ctrl+C to stop)", file=streams.stderr)
    streams.stderr.flush()
    try:
        server.run()
    finally:
        server.close()
    return 0


def check_options(origins: Sequence[str], port: int, threads: int) -> None:
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise UsageError(f"--allow-origin {origin!r}: expected a URL such as https://shop.example.com, or '*'")
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port}: expected 0-65535")
    if threads < 1:
        raise UsageError(f"--threads {threads}: expected at least 1")


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host
