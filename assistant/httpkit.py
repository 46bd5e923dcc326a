"""Just enough HTTP for a small JSON API on bare WSGI (PEP 3333).

The API has five routes and one body format, so a framework would add more
surface than it removes. What a framework would otherwise guarantee lives
here instead: bounded body reads, one JSON error shape, CORS for an explicit
allow-list only, and security headers on every response.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from assistant.errors import HttpError

Headers = tuple[tuple[str, str], ...]
StartResponse = Callable[..., Any]

JSON_TYPE = "application/json; charset=utf-8"
SECURITY_HEADERS: Headers = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
)
# Pages may only run and style themselves from this origin: no inline script, no inline style.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Everything else is data: nothing in it may run or load anything, even if opened directly.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
PREFLIGHT_MAX_AGE = "600"
MAX_FIELDS = 20  # query parameters; the API uses one


@dataclass(frozen=True)
class Response:
    """A complete response, built before anything is sent, so a failure can still become JSON."""

    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: Headers = ()
    cache: str = "no-store"


@dataclass(frozen=True)
class Request:
    """The parts of a WSGI environ the routes look at."""

    method: str
    path: str
    origin: str | None
    environ: dict[str, Any]

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Request:
        """Never fails: even a request we refuse needs its method and origin for the reply."""
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        return cls(method, environ.get("PATH_INFO", "") or "/", environ.get("HTTP_ORIGIN"), environ)

    def param(self, name: str) -> str:
        """One query parameter ("" when absent); parsed on demand so a bad query is a 400, not a crash."""
        try:
            query = parse_qs(self.environ.get("QUERY_STRING", ""), keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except ValueError:
            raise HttpError(400, f"too many query parameters (at most {MAX_FIELDS})") from None
        return query.get(name, [""])[0]


def json_response(data: Any, status: int = 200, headers: Headers = ()) -> Response:
    return Response(status, json_bytes(data), headers=headers)


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error_response(status: int, message: str, headers: Headers = ()) -> Response:
    """The one error shape clients can rely on, whatever went wrong."""
    return json_response({"ok": False, "error": message, "status": status}, status, headers)


def read_body(environ: dict[str, Any], limit: int) -> bytes:
    """The request body, refusing anything over `limit` bytes before reading it.

    A declared length is checked up front; without one (chunked uploads) at
    most limit+1 bytes are read, enough to tell that it is too big.
    """
    declared = environ.get("CONTENT_LENGTH") or ""
    stream = environ["wsgi.input"]
    if declared:
        if not declared.isdecimal():
            raise HttpError(400, "invalid Content-Length")
        if int(declared) > limit:
            raise HttpError(413, f"request body is over {limit} bytes")
        return stream.read(int(declared)) if int(declared) else b""
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    if not (chunked or environ.get("wsgi.input_terminated")):
        return b""  # no length and no end marker: reading could block forever
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise HttpError(413, f"request body is over {limit} bytes")
    return body


def read_json(environ: dict[str, Any], limit: int) -> Any:
    body = read_body(environ, limit)
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise HttpError(400, "the body must be valid UTF-8 JSON") from None


@dataclass(frozen=True)
class Cors:
    """Cross-origin access for an explicit list of origins ("*" allows any); none by default."""

    origins: frozenset[str] = frozenset()

    @classmethod
    def of(cls, origins: Iterable[str]) -> Cors:
        return cls(frozenset(o.strip().rstrip("/") for o in origins if o.strip()))

    def allows(self, origin: str | None) -> bool:
        return origin is not None and ("*" in self.origins or origin in self.origins)

    def headers(self, origin: str | None) -> Headers:
        if not self.allows(origin):
            return (("Vary", "Origin"),) if self.origins else ()
        allowed = "*" if "*" in self.origins else str(origin)
        return (("Access-Control-Allow-Origin", allowed), ("Vary", "Origin"))

    def preflight(self, request: Request, methods: Collection[str]) -> Response:
        """Answer OPTIONS: the allowed methods, plus CORS grants when the origin is on the list."""
        allow = (("Allow", ", ".join(methods)),)
        asking = request.environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")
        if asking is None:
            return Response(204, b"", headers=allow)
        if not self.allows(request.origin):
            return error_response(403, "this origin is not allowed to call the API", allow)
        grants = (
            ("Access-Control-Allow-Methods", ", ".join(methods)),
            ("Access-Control-Allow-Headers", "Content-Type"),
            ("Access-Control-Max-Age", PREFLIGHT_MAX_AGE),
        )
        return Response(204, b"", headers=allow + grants)


def send(response: Response, request: Request, cors: Cors, start_response: StartResponse) -> list[bytes]:
    """Add the headers every response carries, start it, and return its body (none for HEAD)."""
    csp = PAGE_CSP if response.content_type.startswith("text/html") else DATA_CSP
    empty = response.status == 204  # no body, so no Content-Type or Content-Length (RFC 9110)
    headers = [
        *(() if empty else (("Content-Type", response.content_type), ("Content-Length", str(len(response.body))))),
        ("Cache-Control", response.cache),
        ("Content-Security-Policy", csp),
        *SECURITY_HEADERS,
        *cors.headers(request.origin),
        *response.headers,
    ]
    start_response(f"{response.status} {HTTPStatus(response.status).phrase}", headers)
    return [] if request.method == "HEAD" or empty else [response.body]
