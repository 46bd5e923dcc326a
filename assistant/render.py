"""Plain-text rendering of replies, shared by `ask`, piped chat and batch summaries."""

from __future__ import annotations

from assistant.core import Reply


def numbered(heading: str, pairs: tuple[tuple[str, str], ...]) -> list[str]:
    """A heading and numbered questions; the numbers are what a chat user types back."""
    if not pairs:
        return []
    return [heading, *(f"  {n}. {question}" for n, (_, question) in enumerate(pairs, 1))]


def reply_text(reply: Reply) -> str:
    """The reply as a person reads it: the text, then numbered options or follow-ups."""
    lines = [reply.text]
    if reply.options:
        lines += numbered("", reply.options)[1:]
    elif reply.suggestions:
        lines += ["", *numbered("You could also ask:", reply.suggestions)]
    return "\n".join(lines)
