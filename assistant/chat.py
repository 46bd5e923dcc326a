"""`faq-assistant chat`: the terminal chat, a prompt-toolkit screen on a terminal, plain lines otherwise.

A turn is a plain function from a line of input to a `Turn` (`handle_turn`), so
both modes share commands and numbering and the tests can drive it directly;
the two loops differ only in how they read lines and draw turns. What the
conversation remembers lives in `assistant.conversation`, not here, because
the web widget reuses it. prompt_toolkit is imported inside functions: the
CLI imports this module for every command, and `faq-assistant ask` must start
fast.
"""

from __future__ import annotations

import argparse
import io
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TextIO

from assistant.conversation import Conversation
from assistant.core import Assistant, Pair, Reply
from assistant.errors import KnowledgeError
from assistant.render import reply_text
from assistant.unanswered import add_log_options, open_log

if TYPE_CHECKING:
    from prompt_toolkit.completion import Completer
    from prompt_toolkit.history import History
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output

    from assistant.cli import Streams

Fragments = list[tuple[str, str]]  # prompt-toolkit "style and text" pairs

COMMANDS = (
    ("/help", "what you can do here"),
    ("/topics", "every question I can answer, by topic"),
    ("/reset", "forget the conversation so far"),
    ("/reload", "reload the knowledge if its files changed"),
    ("/quit", "leave (Ctrl-D works too)"),
)
HELP = "\n".join([
    "Ask a question in your own words; typos are fine. Type a number to pick one of the numbered",
    "questions I offer, or 'tell me more' to continue. Tab completes known questions.",
    "",
    *(f"  {name:<8} {meaning}" for name, meaning in COMMANDS),
])
TOOLBAR = " /help  /topics  /reset  /reload  /quit   ·   a number picks a question   ·   Ctrl-D quits"
STATUS_STYLES = MappingProxyType({"answered": "class:answer", "smalltalk": "class:answer", "clarify": "class:notice"})
STYLES = MappingProxyType({
    "prompt": "ansicyan bold", "answer": "", "notice": "ansiyellow", "heading": "bold",
    "number": "ansicyan bold", "greeting": "ansigreen", "bottom-toolbar": "reverse",
})
MAX_COMPLETIONS = 8
MAX_COMPLETED_CHARS = 200  # longer text is a pasted message, not a question being typed
MIN_COMPLETION_SCORE = 0.3  # matcher score below which a known question is not worth offering


@dataclass(frozen=True)
class Turn:
    """What one line of input produced: the assistant's reply or a command's text."""

    reply: Reply | None = None
    notice: str = ""
    quit: bool = False


def configure(commands: Any) -> None:
    from assistant.cli import add_kb_option

    parser = commands.add_parser("chat", help="chat in the terminal (the default on a terminal)")
    parser.add_argument("--no-history", action="store_true", help="do not read or save the input history")
    add_kb_option(parser)
    add_log_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, streams: Streams) -> int:
    """Load first, so a broken knowledge base is one error line before any screen opens.

    The screen needs a terminal on both ends; otherwise (a script feeding lines,
    or a transcript going to `tee` or a file) the chat is plain lines in, plain text out.
    """
    conversation = Conversation(Assistant.load(args.kb), log=open_log(args))
    if not (streams.stdin.isatty() and streams.stdout.isatty()):
        with readable(streams.stdin) as lines:
            return piped(conversation, lines, streams.stdout)
    from prompt_toolkit.input import create_input
    from prompt_toolkit.output import create_output

    return interactive(
        conversation, input=create_input(streams.stdin), output=create_output(streams.stdout),
        history=open_history(not args.no_history, os.environ),
        color=use_color(os.environ, streams.stdout),
    )


def use_color(env: Mapping[str, str], out: TextIO) -> bool:
    """Colour unless NO_COLOR is set (https://no-color.org) or the output is not a terminal."""
    return not env.get("NO_COLOR") and out.isatty()


def handle_turn(conversation: Conversation, text: str) -> Turn | None:
    """One line of input to what to show; None for a blank line, which deserves no reply."""
    line = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    if not line:
        return None
    if line.startswith("/"):
        return run_command(conversation, line)
    return Turn(reply=conversation.ask(line))


def run_command(conversation: Conversation, line: str) -> Turn:
    """The slash commands; an unknown one gets the list rather than being asked as a question."""
    name = line.split()[0].lower()
    if name in ("/quit", "/exit", "/q"):
        return Turn(notice="Bye!", quit=True)
    if name in ("/help", "/?"):
        return Turn(notice=HELP)
    if name == "/topics":
        return Turn(notice=topics_text(conversation.bot))
    if name == "/reset":
        conversation.reset()
        return Turn(notice="Forgotten. Let's start over: ask me anything.")
    if name == "/reload":
        return Turn(notice=reload_knowledge(conversation))
    known = ", ".join(command for command, _ in COMMANDS)
    return Turn(notice=f"Unknown command {name[:40]}. Commands: {known}.")


def reload_knowledge(conversation: Conversation) -> str:
    """Load the knowledge again; a broken edit keeps the current one and says why."""
    try:
        bot = Assistant.load(conversation.bot.knowledge.path)
    except KnowledgeError as exc:
        return f"Reload failed, still using the previous knowledge: {exc}"
    conversation.bot = bot
    conversation.reset()  # the old context may name entries that no longer exist
    return f"Reloaded {len(bot.faq)} questions from {bot.knowledge.path}. Let's start over."


def topics_text(bot: Assistant) -> str:
    """Every FAQ question under its first tag, so a person can see the whole scope at a glance."""
    groups: dict[str, list[str]] = {}
    for entry in bot.faq:
        groups.setdefault(entry.tags[0] if entry.tags else "other", []).append(entry.question)
    lines = ["Questions I can answer, by topic:"]
    for tag, questions in groups.items():
        lines += ["", tag.replace("-", " ").capitalize(), *(f"  - {q}" for q in questions)]
    return "\n".join(lines)


def plain(turn: Turn) -> str:
    """The turn as plain text, for pipes and scripts."""
    return reply_text(turn.reply) if turn.reply is not None else turn.notice


def styled(turn: Turn) -> Fragments:
    """The turn as styled fragments; joined, their text is exactly `plain(turn)`."""
    reply = turn.reply
    if reply is None:
        return [("class:notice", turn.notice)]
    fragments = [(STATUS_STYLES.get(reply.status, "class:notice"), reply.text)]
    if reply.options:
        return fragments + numbered_fragments(reply.options)
    if reply.suggestions:
        fragments += [("", "\n\n"), ("class:heading", "You could also ask:")]
        return fragments + numbered_fragments(reply.suggestions)
    return fragments


def numbered_fragments(pairs: tuple[Pair, ...]) -> Fragments:
    """Numbered questions, laid out like `render.numbered` so both modes read the same."""
    fragments: Fragments = []
    for n, (_, question) in enumerate(pairs, 1):
        fragments += [("", "\n  "), ("class:number", f"{n}."), ("", f" {question}")]
    return fragments


def piped(conversation: Conversation, lines: Iterator[str] | TextIO, out: TextIO) -> int:
    """One question per line, plain replies separated by blank lines; flushed so scripts can converse."""
    print(conversation.bot.settings.greeting, file=out, flush=True)
    for line in lines:
        turn = handle_turn(conversation, line)
        if turn is None:
            continue
        print(f"\n{plain(turn)}", file=out, flush=True)
        if turn.quit:
            break
    return 0


@contextmanager
def readable(stream: TextIO) -> Iterator[TextIO]:
    """The stream re-read as UTF-8 with replacement: one stray byte must not end a scripted chat."""
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        yield stream
        return
    wrapper = io.TextIOWrapper(buffer, encoding="utf-8", errors="replace")
    try:
        yield wrapper
    finally:
        wrapper.detach()  # leave the process's stdin open for whoever runs after us


def interactive(
    conversation: Conversation, *, input: Input | None = None, output: Output | None = None,
    history: History | None = None, color: bool = True,
) -> int:
    """The prompt-toolkit chat: one session, so history and completion state last the whole chat."""
    from prompt_toolkit import PromptSession, print_formatted_text
    from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
    from prompt_toolkit.formatted_text import FormattedText
    from prompt_toolkit.output import ColorDepth
    from prompt_toolkit.styles import Style

    style, depth = Style.from_dict(dict(STYLES)), (None if color else ColorDepth.MONOCHROME)
    session: PromptSession[str] = PromptSession(
        [("class:prompt", "> ")], input=input, output=output, history=history, style=style,
        color_depth=depth, completer=question_completer(conversation.bot), complete_in_thread=True,
        auto_suggest=AutoSuggestFromHistory(), bottom_toolbar=TOOLBAR, reserve_space_for_menu=4,
    )

    def show(fragments: Fragments) -> None:
        print_formatted_text(FormattedText(fragments), style=style, color_depth=depth, output=session.output)

    show([("class:greeting", conversation.bot.settings.greeting), ("", "\n")])
    while True:
        try:
            turn = handle_turn(conversation, session.prompt())
        except KeyboardInterrupt:  # Ctrl-C: drop the line, keep chatting
            continue
        except EOFError:  # Ctrl-D
            return 0
        if turn is not None:
            show([*styled(turn), ("", "\n")])
            if turn.quit:
                return 0


def complete_questions(bot: Assistant, text: str) -> list[str]:
    """Known questions for what is typed so far, best first.

    Ranked by the assistant's own matcher rather than plain string similarity,
    so typos, synonyms and "nb" complete the way they would be answered; but
    questions that start with the text, or have a word starting with the
    half-typed last word, come first, because the matcher only knows whole words.
    """
    typed = " ".join(text.lower().split())
    if typed.startswith("/"):
        return [name for name, _ in COMMANDS if name.startswith(typed)]
    if not 2 <= len(typed) <= MAX_COMPLETED_CHARS or typed.isdecimal():
        return []
    ranked = bot.explain(typed, limit=16).candidates
    order = {m.entry_id: n for n, m in enumerate(ranked)}
    matched = {m.entry_id for m in ranked if m.score >= MIN_COMPLETION_SCORE}
    tiers = [(completion_tier(e.question, typed, e.id in matched), order.get(e.id, len(order)), e.question)
             for e in bot.faq]
    return [question for tier, _, question in sorted(tiers) if tier < 3][:MAX_COMPLETIONS]


def completion_tier(question: str, typed: str, matched: bool) -> int:
    """0: the question starts with the text; 1: a word starts with the last typed word; 2: matched; 3: no."""
    lowered = question.lower()
    last = typed.split()[-1]
    if lowered.startswith(typed):
        return 0
    if len(last) >= 2 and any(word.startswith(last) for word in re.findall(r"\w+", lowered)):
        return 1
    return 2 if matched else 3


def question_completer(bot: Assistant) -> Completer:
    """A prompt-toolkit completer over `complete_questions`, replacing the whole line.

    The class is defined here because its base class is prompt_toolkit's, which
    is only imported once a screen opens.
    """
    from prompt_toolkit.completion import CompleteEvent, Completer, Completion
    from prompt_toolkit.document import Document

    class QuestionCompleter(Completer):
        def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
            text = document.text_before_cursor
            for question in complete_questions(bot, text):
                yield Completion(question, start_position=-len(text))

    return QuestionCompleter()


def history_path(env: Mapping[str, str]) -> Path:
    """$XDG_STATE_HOME/faq-assistant/history, else ~/.local/state/...; relative XDG paths are ignored, per spec."""
    state = env.get("XDG_STATE_HOME", "")
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    base = Path(state) if os.path.isabs(state) else home / ".local" / "state"
    return base / "faq-assistant" / "history"


def open_history(keep: bool, env: Mapping[str, str]) -> History:
    """A file history when wanted and writable; otherwise in memory, so a read-only home still chats."""
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    if keep:
        path = history_path(env)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
            return FileHistory(str(path))
        except OSError:
            pass
    return InMemoryHistory()
