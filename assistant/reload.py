"""Following a knowledge base as curators edit it, without a restart.

`Reloading` hands out the current `Assistant` and swaps in a new one when the
knowledge files change. The swap is one reference assignment: a request that
already holds the old assistant finishes on it, and a broken edit never
replaces a working assistant (the error is reported and the old one stays).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from assistant.core import Assistant
from assistant.errors import KnowledgeError
from assistant.knowledge import resolve_path

Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(path: Path) -> Fingerprint:
    """Name, modification time and size of every knowledge file: cheap to take on each check."""
    files = sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
    stamps = []
    for file in files:
        try:
            stat = file.stat()
        except OSError:
            continue
        stamps.append((file.name, stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)


class Reloading:
    """The latest good assistant for a knowledge path, checked at most every `interval` seconds."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        interval: float = 1.0,
        on_error: Callable[[str], None] = lambda message: None,
    ):
        self.path = resolve_path(path)
        self.interval = interval
        self.on_error = on_error
        self._seen = fingerprint(self.path)
        self._assistant = Assistant.load(self.path)  # the first load must succeed: errors propagate
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    def current(self) -> Assistant:
        """The assistant to use for one request or turn; reloads first if the files changed."""
        if time.monotonic() - self._checked >= self.interval:
            self.reload()
        return self._assistant

    def reload(self) -> str | None:
        """Reload if the files changed since the last attempt; the error message if that failed."""
        with self._lock:
            self._checked = time.monotonic()
            now = fingerprint(self.path)
            if now == self._seen:
                return None
            self._seen = now  # a broken edit is reported once, not on every request
            try:
                self._assistant = Assistant.load(self.path)
            except KnowledgeError as exc:
                message = f"reload failed, still using the previous knowledge: {exc}"
                self.on_error(message)
                return message
        return None
