"""Saving settings into a knowledge base's YAML without disturbing the rest of the file.

Curators annotate settings with comments ("answer from here..."); re-dumping
the YAML would drop them and reorder keys. Instead the file is parsed only to
locate each value (yaml.compose keeps line and column), that span is replaced
in place, and the result must load with the new values or the old text is
put back. Writes go through a temporary file and a rename.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

import assistant
from assistant import knowledge as kb
from assistant.errors import UsageError


def find_settings_file(path: str) -> Path | None:
    """The YAML file of a knowledge base that holds its `settings:` section, if any."""
    root = Path(path)
    files = sorted(p for p in root.iterdir() if p.suffix in (".yaml", ".yml")) if root.is_dir() else [root]
    for file in files:
        node = yaml.compose(file.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        if isinstance(node, yaml.MappingNode) and any(k.value == "settings" for k, _ in node.value):
            return file
    return None


def write_settings(knowledge_path: str, values: dict[str, float]) -> Path:
    """Save `values` into the knowledge's settings, editing only those lines (comments survive)."""
    file = find_settings_file(knowledge_path)
    root = Path(knowledge_path)
    if file is None:
        file = root / "settings.yaml" if root.is_dir() else root
    _check_writable(file)
    old = file.read_text(encoding="utf-8") if file.exists() else ""
    new = edit_settings(old, values)
    _replace(file, new)
    try:
        loaded = kb.load(knowledge_path).settings
    except kb.KnowledgeError:
        _replace(file, old)
        raise
    if any(abs(getattr(loaded, k) - v) > 1e-9 for k, v in values.items()):
        _replace(file, old)
        raise UsageError(f"{file}: could not save the settings (the file was left as it was)")
    return file


def edit_settings(text: str, values: dict[str, float]) -> str:
    """`text` with each key's value replaced in place, or added at the top of `settings:`."""
    lines = text.splitlines(keepends=True)
    node = yaml.compose(text, Loader=yaml.SafeLoader) if text.strip() else None
    section = _settings_node(node)
    if section is None:
        block = "".join(f"  {k}: {_number(v)}\n" for k, v in values.items())
        return text + ("" if not text or text.endswith("\n") else "\n") + "settings:\n" + block
    key_node, mapping = section
    existing = {k.value: v for k, v in mapping.value} if isinstance(mapping, yaml.MappingNode) else {}
    for key, value in values.items():
        if key in existing:
            lines = _replace_value(lines, existing[key], _number(value))
    indent = " " * (mapping.value[0][0].start_mark.column if existing else key_node.start_mark.column + 2)
    added = [f"{indent}{k}: {_number(v)}\n" for k, v in values.items() if k not in existing]
    at = key_node.start_mark.line + 1
    return "".join(lines[:at] + added + lines[at:])


def _settings_node(node: yaml.Node | None) -> tuple[yaml.Node, yaml.Node] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if key.value == "settings":
            block = isinstance(value, yaml.MappingNode) and not value.flow_style
            empty = isinstance(value, yaml.ScalarNode) and value.value == ""
            if not (block or empty):
                raise UsageError(f"line {key.start_mark.line + 1}: 'settings' is not a block mapping; edit it by hand")
            return key, value
    return None


def _replace_value(lines: list[str], value: yaml.Node, text: str) -> list[str]:
    start, end = value.start_mark, value.end_mark
    if start.line != end.line:
        raise UsageError(f"line {start.line + 1}: a setting's value spans lines; edit it by hand")
    line = lines[start.line]
    return [*lines[: start.line], line[: start.column] + text + line[end.column :], *lines[start.line + 1 :]]


def _number(value: float) -> str:
    return f"{round(value, 3):g}" if value else "0.0"


def installed_root() -> Path:
    """The installed package: knowledge inside it is the bundled copy, replaced on every upgrade."""
    return Path(assistant.__file__).resolve().parent


def _check_writable(file: Path) -> None:
    if installed_root() in file.resolve().parents:
        raise UsageError(
            f"{file} is the installed bundled knowledge: copy its folder, edit the copy and pass --kb PATH"
        )
    target = file if file.exists() else file.parent
    if not os.access(target, os.W_OK):
        raise UsageError(f"{file}: cannot write the settings here (permission denied)")


def _replace(file: Path, text: str) -> None:
    """Write through a temporary file and rename, so a crash never leaves half a settings file."""
    mode = file.stat().st_mode & 0o777 if file.exists() else 0o644
    handle, temp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temp, mode)
        os.replace(temp, file)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise

