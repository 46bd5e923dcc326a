"""Reading knowledge YAML safely, with line numbers, and quickly when the file is large.

Knowledge is plain YAML written by hand, so only safe constructs are accepted
and every mapping remembers the lines it and its keys came from (errors name
them). PyYAML's libyaml loader composes a whole node tree and then builds
Python objects from it through generic machinery; for a 100,000-entry file
that is most of the load time and memory. `load` instead builds the objects
straight from libyaml's event stream for the constructs knowledge files use
(mappings, lists, untagged scalars), and hands anything else (anchors, aliases,
tags, merge keys, several documents, duplicate keys, syntax errors) to the full
loader, so results and error messages are the full loader's in every case.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

STR = "tag:yaml.org,2002:str"
NOT_SCALAR_VALUES = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")
PASSING = (StreamStartEvent, StreamEndEvent, DocumentStartEvent, DocumentEndEvent)


class LineMap(dict):  # type: ignore[type-arg]
    """A YAML mapping that remembers the lines it and its keys came from."""

    line: int = 0
    key_lines: dict[str, int]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loading (no tags that run code), plus line numbers and duplicate-key checks."""

    def construct_line_map(self, node: yaml.MappingNode) -> Iterator[LineMap]:
        data = LineMap()
        data.line = node.start_mark.line + 1
        data.key_lines = {}
        yield data
        for key_node, _ in node.value:
            key = str(key_node.value)
            if key in data.key_lines:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            data.key_lines[key] = key_node.start_mark.line + 1
        data.update(self.construct_mapping(node, deep=True))


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_line_map)


class _Unusual(Exception):
    """The text uses something only the full loader handles."""


_NO_KEY = object()
# First characters a plain scalar needs to be read as anything but text (numbers, booleans, null...).
_TYPED_STARTS = frozenset(_Loader.yaml_implicit_resolvers)


def load(text: str) -> Any:
    """The YAML document in `text` (None if empty), exactly as the full safe loader reads it."""
    loader = _Loader(text)
    try:
        return _from_events(loader)
    except Exception:  # anything unusual or wrong: the full loader decides, and words the error
        loader.dispose()
        loader = _Loader(text)
        return loader.get_single_data()
    finally:
        loader.dispose()


def _from_events(loader: _Loader) -> Any:
    """Build the document from libyaml events; raises `_Unusual` for what it does not handle."""
    root, documents = None, 0
    stack: list[list[Any]] = []  # [container, key waiting for its value] per open collection
    while loader.check_event():
        event = loader.get_event()
        kind = type(event)
        if kind is ScalarEvent:
            value = _scalar(event, loader)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            value = _collection(event)
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            stack.pop()
            continue
        elif kind in PASSING:
            documents += kind is DocumentStartEvent
            if documents > 1:
                raise _Unusual("more than one document")
            continue
        else:
            raise _Unusual(kind.__name__)  # an alias
        if stack:
            _add(stack[-1], value, event)
        else:
            root = value
        if kind is not ScalarEvent:
            stack.append([value, _NO_KEY])
    return root


def _collection(event: MappingStartEvent | SequenceStartEvent) -> LineMap | list[Any]:
    if event.anchor is not None or event.tag not in (None, "!"):
        raise _Unusual("anchor or tag")
    if type(event) is SequenceStartEvent:
        return []
    mapping = LineMap()
    mapping.line = event.start_mark.line + 1
    mapping.key_lines = {}
    return mapping


def _scalar(event: ScalarEvent, loader: _Loader) -> Any:
    """A scalar's value, resolved (plain `3` is a number, `"3"` text) and built as the safe loader does."""
    if event.anchor is not None or event.tag not in (None, "!"):
        raise _Unusual("anchor or tag")
    value = event.value
    if not event.implicit[0] or (value and value[0] not in _TYPED_STARTS):
        return value  # quoted, or plain text that no resolver claims
    tag = loader.resolve(yaml.ScalarNode, value, event.implicit)
    if tag == STR:
        return value
    construct = loader.yaml_constructors.get(tag)
    if construct is None or tag in NOT_SCALAR_VALUES:
        raise _Unusual(tag)
    return construct(loader, yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style))


def _add(frame: list[Any], value: Any, event: Any) -> None:
    """Put a value into the open collection: a list item, a mapping key, or the value for that key."""
    container = frame[0]
    if type(container) is list:
        container.append(value)
    elif frame[1] is _NO_KEY:
        if type(event) is not ScalarEvent or event.value in container.key_lines:
            raise _Unusual("complex or duplicate key")
        container.key_lines[event.value] = event.start_mark.line + 1
        frame[1] = value
    else:
        container[frame[1]] = value
        frame[1] = _NO_KEY
