"""The terminal chat: turns and commands, completion, history, the prompt-toolkit loop, piped mode, a real pty."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from assistant import Assistant
from assistant.chat import (
    HELP,
    Turn,
    complete_questions,
    handle_turn,
    history_path,
    interactive,
    open_history,
    plain,
    styled,
    topics_text,
    use_color,
)
from assistant.cli import Streams, main
from assistant.conversation import Conversation
from assistant.core import STATUSES

SCRIPT = Path(sys.executable).with_name("faq-assistant")
TOOLBAR_HINT = "Ctrl-D quits"
CPR_REQUEST = re.escape("\x1b[6n")  # prompt-toolkit asks the terminal where the cursor is
COLOUR_CODE = re.compile(r"\x1b\[(?:\d+;)*(?:3\d|9[0-7])(?:;\d+)*m")

GREETING = (
    "Hi! I answer questions about whether New Balance sneakers are made in the USA and how they are made. "
    "What would you like to know?"
)
HI = """\
Hi! I can answer questions about whether New Balance sneakers are made in the USA and how they are made.

You could also ask:
  1. Are New Balance sneakers made in the USA?
  2. How can I tell if my New Balance shoes were made in the USA?
  3. Is New Balance an American company?"""
NO_MATCH = """\
Sorry, I don't know the answer to that. I can tell you about which New Balance shoes are made in the USA; \
how they are made, step by step; the materials they use.

You could also ask:
  1. Are New Balance sneakers made in the USA?
  2. How can I tell if my New Balance shoes were made in the USA?
  3. Is New Balance an American company?"""
MADE_IN_USA = """\
Yes. New Balance still produces a significant number of its sneakers in the United States, although some of \
its shoes come from overseas factories.

You could also ask:
  1. Are all New Balance shoes made in the USA?
  2. How can I tell if my New Balance shoes were made in the USA?
  3. Which New Balance models are made in the USA?"""
NOT_ALL = """\
No. Some New Balance shoes are made in overseas factories, and only about one-quarter of the company's total \
shoe production takes place in the United States.

You could also ask:
  1. How can I tell if my New Balance shoes were made in the USA?
  2. Which New Balance models are made in the USA?
  3. Is there a difference between US-made and imported New Balance?"""
NO_OPTION_7 = """\
There is no option 7. Pick a number from 1 to 3, or type a question.
  1. How can I tell if my New Balance shoes were made in the USA?
  2. Which New Balance models are made in the USA?
  3. Is there a difference between US-made and imported New Balance?"""


def transcript(*blocks: str) -> str:
    """What piped mode prints: the greeting, then each reply after a blank line."""
    return "\n\n".join([GREETING, *blocks]) + "\n"


@pytest.fixture
def chat(bot: Assistant) -> Conversation:
    return Conversation(bot)


# --- turns and commands -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\t\n", "\x00\x07"])
def test_blank_lines_get_no_reply(chat: Conversation, text: str) -> None:
    assert handle_turn(chat, text) is None


@pytest.mark.parametrize("text", [
    "a" * 100_000, "are nb made in usa " * 5000, "\x1b[31mred\x1b[0m\x07\x08", "?!?!...;;", "¿¡", "💥" * 50,
    "/", "7", "-1", "1e9", "tell me more", "\ufffd\ufffd",
])
def test_odd_input_gets_a_polite_reply(chat: Conversation, text: str) -> None:
    chat.ask("are nb made in usa")
    turn = handle_turn(chat, text)
    assert turn is not None and not turn.quit
    assert plain(turn).strip()
    assert turn.reply is None or turn.reply.status in STATUSES


def test_control_characters_do_not_spoil_a_question(chat: Conversation) -> None:
    turn = handle_turn(chat, "are nb\x07 made\x1b in usa\x00")
    assert turn is not None and turn.reply is not None
    assert turn.reply.entry_id == "made-in-usa"


def test_help_lists_the_commands(chat: Conversation) -> None:
    turn = handle_turn(chat, "/help")
    assert turn == Turn(notice=HELP)
    for command in ("/help", "/topics", "/reset", "/quit"):
        assert command in HELP


def test_topics_lists_every_question_under_its_tag(bot: Assistant, chat: Conversation) -> None:
    text = plain(handle_turn(chat, "/TOPICS"))
    assert text == topics_text(bot)
    for entry in bot.faq:
        assert f"  - {entry.question}" in text
    assert text.index("\nModels\n") < text.index("Which New Balance models are made in the USA?")
    assert text.count("Which New Balance models are made in the USA?") == 1


def test_reset_forgets_the_context(chat: Conversation) -> None:
    chat.ask("are nb made in usa")
    turn = handle_turn(chat, "/reset")
    assert turn is not None and "start over" in turn.notice
    assert chat.context.offered == () and chat.context.last is None


@pytest.mark.parametrize("command", ["/quit", "/exit", " /Quit now"])
def test_quit(chat: Conversation, command: str) -> None:
    turn = handle_turn(chat, command)
    assert turn is not None and turn.quit


def test_an_unknown_command_is_not_asked_as_a_question(chat: Conversation) -> None:
    turn = handle_turn(chat, "/price of 990")
    assert turn is not None and turn.reply is None
    assert turn.notice == "Unknown command /price. Commands: /help, /topics, /reset, /reload, /quit."


def test_styled_text_reads_exactly_like_the_plain_text(chat: Conversation) -> None:
    for text in ("hi", "are nb made in usa", "1", "7", "what is the price of a 990", "/topics"):
        turn = handle_turn(chat, text)
        assert turn is not None
        assert "".join(fragment for _, fragment in styled(turn)) == plain(turn)


def test_numbers_are_styled_apart_from_the_questions(chat: Conversation) -> None:
    fragments = styled(handle_turn(chat, "are nb made in usa"))
    assert ("class:number", "1.") in fragments
    assert ("class:heading", "You could also ask:") in fragments


# --- completion, history, colour ----------------------------------------------------------------


@pytest.mark.parametrize(("typed", "question"), [
    ("How are New Balance sneakers st", "How are New Balance sneakers stitched together?"),
    ("matrials", "What materials are New Balance sneakers made from?"),
    ("wich modles r made in usa", "Which New Balance models are made in the USA?"),
    ("hikng", "Are New Balance hiking boots made in the USA?"),
    ("how are they sti", "How are New Balance sneakers stitched together?"),
])
def test_completion_offers_known_questions_typos_included(bot: Assistant, typed: str, question: str) -> None:
    completions = complete_questions(bot, typed)
    assert completions[0] == question
    assert len(completions) == len(set(completions)) <= 8


@pytest.mark.parametrize(("typed", "expected"), [
    ("/t", ["/topics"]), ("/", ["/help", "/topics", "/reset", "/reload", "/quit"]), ("", []), ("1", []), ("12", []),
    ("are nb made in usa " * 1000, []),
])
def test_completion_of_commands_and_nothing(bot: Assistant, typed: str, expected: list[str]) -> None:
    assert complete_questions(bot, typed) == expected


def test_history_lives_in_the_state_folder(tmp_path: Path) -> None:
    state = tmp_path / "state"
    assert history_path({"XDG_STATE_HOME": str(state)}) == state / "faq-assistant" / "history"
    home = tmp_path / "home"
    expected = home / ".local" / "state" / "faq-assistant" / "history"
    assert history_path({"HOME": str(home)}) == expected
    assert history_path({"HOME": str(home), "XDG_STATE_HOME": "relative/ignored"}) == expected


def test_open_history_creates_the_folder_or_stays_in_memory(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path / "state")}
    assert isinstance(open_history(True, env), FileHistory)
    assert (tmp_path / "state" / "faq-assistant" / "history").is_file()
    assert isinstance(open_history(False, env), InMemoryHistory)
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert isinstance(open_history(True, {"XDG_STATE_HOME": str(blocked)}), InMemoryHistory)


def test_colour_follows_no_color_and_the_terminal() -> None:
    assert use_color({}, TerminalInput())
    assert not use_color({"NO_COLOR": "1"}, TerminalInput())
    assert not use_color({}, io.StringIO())


# --- the prompt-toolkit loop, driven through a pipe ---------------------------------------------


class RecordingOutput(DummyOutput):
    """A DummyOutput that keeps what was written, so the test can read the screen's text."""

    def __init__(self) -> None:
        self.written: list[str] = []

    def write(self, data: str) -> None:
        self.written.append(data)

    write_raw = write

    @property
    def text(self) -> str:
        return "".join(self.written)


def chat_through_pipe(chat: Conversation, keys: str) -> tuple[int, str]:
    output = RecordingOutput()
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        code = interactive(chat, input=pipe, output=output, history=InMemoryHistory(), color=False)
    return code, output.text


def test_prompt_session_answers_numbers_and_commands(chat: Conversation) -> None:
    code, screen = chat_through_pipe(chat, "are nb made in usa\r1\r/topics\r\x04")
    assert code == 0
    greeting, answer, follow_up, topics = (
        screen.index(GREETING), screen.index(MADE_IN_USA.replace("\n", "\r\n")),
        screen.index("only about one-quarter"), screen.index("Questions I can answer, by topic:"),
    )
    assert greeting < answer < follow_up < topics
    assert chat.context.last == "not-all-usa"


def test_ctrl_c_clears_the_line_and_the_chat_goes_on(chat: Conversation) -> None:
    code, screen = chat_through_pipe(chat, "something half typed\x03are nb made in usa\r\x04")
    assert code == 0
    assert "significant number of its sneakers" in screen
    assert "something half typed" not in chat.context.asked
    assert chat.context.last == "made-in-usa"


def test_quit_command_ends_the_session(chat: Conversation) -> None:
    code, screen = chat_through_pipe(chat, "/quit\rare nb made in usa\r")
    assert code == 0
    assert "Bye!" in screen
    assert "significant number" not in screen


# --- piped mode ---------------------------------------------------------------------------------

PIPED_SCRIPT = "hi\nare nb made in usa\n1\n\n7\n/quit\nare nb made in usa\n"


def test_piped_transcript(run_cli) -> None:
    result = run_cli("chat", stdin=PIPED_SCRIPT)
    assert (result.code, result.err) == (0, "")
    assert result.out == transcript(HI, MADE_IN_USA, NOT_ALL, NO_OPTION_7, "Bye!")


def test_piped_transcript_from_a_real_pipe_with_invalid_utf8(tmp_path: Path) -> None:
    script = b"hi\n\xff\xfe\x00 \xc3(\n" + PIPED_SCRIPT.encode()[3:]
    env = {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    done = subprocess.run([str(SCRIPT), "chat"], input=script, capture_output=True, timeout=30, env=env)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.decode() == transcript(HI, NO_MATCH, MADE_IN_USA, NOT_ALL, NO_OPTION_7, "Bye!")
    assert b"\x1b" not in done.stdout


def test_piped_odd_lines_never_crash(run_cli) -> None:
    lines = ["a" * 100_000, "\x1b[2J\x07", "?!?!", "1", "99", "/nope", "tell me more", "💥"]
    result = run_cli("chat", stdin="\n".join(lines) + "\n")
    assert (result.code, result.err) == (0, "")
    assert result.out.count("\n\n") >= len(lines)


class TerminalInput(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_input_with_output_to_a_file_is_plain_text() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["chat", "--no-history"], Streams(TerminalInput("are nb made in usa\n1\n"), out, err))
    assert (code, err.getvalue()) == (0, "")
    assert out.getvalue() == transcript(MADE_IN_USA, NOT_ALL)


def test_a_broken_knowledge_base_is_one_line_and_exit_2(run_cli, write_kb) -> None:
    broken = write_kb("entries:\n  - id: no-answer\n    question: Where is the answer?\n")
    result = run_cli("chat", "--kb", str(broken))
    assert result.code == 2
    assert result.out == ""
    assert result.err.count("\n") == 1 and result.err.startswith("faq-assistant: error: ")


def test_ask_does_not_import_prompt_toolkit() -> None:
    code = "import sys; from assistant.cli import main; main(['ask', 'hi']); print('prompt_toolkit' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.stdout.splitlines()[-1] == "False"


# --- a real pseudo-terminal ---------------------------------------------------------------------


def spawn(args: list[str], tmp_path: Path, **env: str) -> pexpect.spawn:
    environment = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    environment.update(HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"), TERM="xterm-256color", **env)
    return pexpect.spawn(str(SCRIPT), args, env=environment, dimensions=(40, 200), timeout=15, encoding="utf-8")


def expect(child: pexpect.spawn, text: str | type[pexpect.EOF]) -> str:
    """Wait for `text`, answering cursor-position requests the way a real terminal does."""
    seen = []
    while child.expect([CPR_REQUEST, text if text is pexpect.EOF else re.escape(text)]) == 0:
        seen.append(child.before)
        child.send("\x1b[20;1R")
    return "".join([*seen, child.before, child.after if isinstance(child.after, str) else ""])


def ask(child: pexpect.spawn, line: str, answer: str) -> str:
    """Type a line like a person would: once the prompt is back, then wait for the answer."""
    screen = expect(child, TOOLBAR_HINT)
    child.send(line + "\r")
    return screen + expect(child, answer)


def quit_with_ctrl_d(child: pexpect.spawn) -> str:
    screen = expect(child, TOOLBAR_HINT)
    child.sendcontrol("d")
    screen += expect(child, pexpect.EOF)
    child.close()
    return screen


def test_terminal_chat_end_to_end(tmp_path: Path) -> None:
    child = spawn(["chat", "--no-history"], tmp_path)
    screen = expect(child, "What would you like to know?")
    screen += ask(child, "are nb made in usa", "significant number of its sneakers")
    screen += ask(child, "1", "only about one-quarter")
    screen += ask(child, "/topics", "Manufacturing")
    screen += quit_with_ctrl_d(child)
    assert child.exitstatus == 0
    assert COLOUR_CODE.search(screen)
    assert not (tmp_path / "state" / "faq-assistant").exists()  # --no-history


def test_plain_faq_assistant_on_a_terminal_starts_the_chat_without_colour(tmp_path: Path) -> None:
    child = spawn([], tmp_path, NO_COLOR="1")
    screen = expect(child, "What would you like to know?")
    screen += ask(child, "are nb made in usa", "significant number of its sneakers")
    screen += quit_with_ctrl_d(child)
    assert child.exitstatus == 0
    assert not COLOUR_CODE.search(screen)
    assert "are nb made in usa" in (tmp_path / "state" / "faq-assistant" / "history").read_text()


def test_broken_knowledge_on_a_terminal_fails_before_the_screen_opens(tmp_path: Path, write_kb) -> None:
    broken = write_kb("entries: [")
    child = spawn(["chat", "--kb", str(broken)], tmp_path)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert "\x1b" not in child.before
    lines = child.before.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("faq-assistant: error: ")
