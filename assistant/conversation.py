"""A conversation: the latest `Context`, advanced after every reply.

The terminal chat holds one `Conversation`; the web API, being stateless,
calls `advance` directly and hands the new context back to the browser.
"""

from __future__ import annotations

from assistant.context import MAX_REMEMBERED, Context
from assistant.core import Assistant, Reply
from assistant.unanswered import UnansweredLog


def advance(context: Context, reply: Reply) -> Context:
    """What the conversation remembers after `reply`: answered ids, numbered choices."""
    offered = tuple(i for i, _ in (reply.options or reply.suggestions))
    if reply.status == "clarify" and not reply.options:
        offered = context.offered
    if reply.status != "answered" or reply.entry_id is None:
        return Context(context.asked, offered, context.last)
    asked = (*(i for i in context.asked if i != reply.entry_id), reply.entry_id)
    return Context(asked[-MAX_REMEMBERED:], offered, reply.entry_id)


class Conversation:
    """One person's chat with an assistant: ask, and the context follows along.

    With a `log`, replies that did not answer well are written to the
    unanswered-questions log for curators.
    """

    def __init__(self, bot: Assistant, context: Context | None = None, *, log: UnansweredLog | None = None):
        self.bot = bot
        self.context = context or Context()
        self.log = log

    def ask(self, text: str) -> Reply:
        reply = self.bot.ask(text, context=self.context)
        if self.log is not None:
            self.log.note(self.bot, text, reply, self.context)
        self.context = advance(self.context, reply)
        return reply

    def reset(self) -> None:
        self.context = Context()
