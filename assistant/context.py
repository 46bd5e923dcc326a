"""What a conversation remembers between turns, as a plain immutable value.

The assistant itself is stateless; a terminal chat keeps the latest `Context`
in memory and the web widget carries it in each request, so any server
process can answer any turn.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from assistant.errors import InputError

MAX_REMEMBERED = 50  # asked ids kept; bounds what a client can make us carry


@dataclass(frozen=True)
class Context:
    """Entries already answered, the numbered choices last offered, the last answer."""

    asked: tuple[str, ...] = ()
    offered: tuple[str, ...] = ()
    last: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"asked": list(self.asked), "offered": list(self.offered), "last": self.last}

    @classmethod
    def from_dict(cls, data: Any, known_ids: Collection[str]) -> Context:
        """Validate a context sent back by a client; unknown ids are an input error."""
        if data is None:
            return cls()
        if not isinstance(data, dict) or set(data) - {"asked", "offered", "last"}:
            raise InputError("context must be an object with 'asked', 'offered' and 'last'")
        asked, offered, last = data.get("asked", []), data.get("offered", []), data.get("last")
        for name, ids in (("asked", asked), ("offered", offered)):
            if not isinstance(ids, list) or not all(isinstance(i, str) and i in known_ids for i in ids):
                raise InputError(f"context.{name} must be a list of known entry ids")
        if last is not None and (not isinstance(last, str) or last not in known_ids):
            raise InputError("context.last must be a known entry id or null")
        return cls(tuple(asked[-MAX_REMEMBERED:]), tuple(offered[:MAX_REMEMBERED]), last)
