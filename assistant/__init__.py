"""faq-assistant: a small, fast, offline FAQ chatbot.

    >>> from assistant import Assistant
    >>> bot = Assistant.load()
    >>> bot.ask("are new balance shoes made in the usa").status
    'answered'
"""

from assistant.context import Context
from assistant.core import Assistant, Explanation, Reply
from assistant.errors import AssistantError, InputError, KnowledgeError, UsageError
from assistant.knowledge import Entry, Knowledge, Settings

__all__ = [
    "Assistant", "AssistantError", "Context", "Entry", "Explanation", "InputError",
    "Knowledge", "KnowledgeError", "Reply", "Settings", "UsageError",
]
__version__ = "0.1.0"
