"""Every error the assistant raises on purpose, in one place.

Front ends (CLI, chat, web, batch) catch `AssistantError` and show its one-line
message; anything else is a bug and is allowed to surface as one.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: a known failure with a message fit to show a user."""


class KnowledgeError(AssistantError):
    """A knowledge base could not be loaded; the message names file, line and entry."""

    def __init__(self, message: str, *, file: str = "", line: int | None = None, entry_id: str | None = None):
        self.file = file
        self.line = line
        self.entry_id = entry_id
        self.detail = message
        where = file + (f":{line}" if line else "")
        who = f"{entry_id}: " if entry_id else ""
        super().__init__(f"{where}: {who}{message}" if where else f"{who}{message}")


class UsageError(AssistantError):
    """The caller asked for something impossible (an empty question, an unknown entry id)."""


class InputError(AssistantError):
    """An input file or record could not be read (batch rows, eval sets, HTTP bodies)."""


class HttpError(InputError):
    """A request the web API refuses; `status` is its HTTP code, `headers` go with the error reply."""

    def __init__(self, status: int, message: str, headers: tuple[tuple[str, str], ...] = ()):
        super().__init__(message)
        self.status = status
        self.headers = headers
