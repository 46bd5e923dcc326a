"""The conversation object: numbers, clarify options, short follow-ups in context, no repeats, reset."""

from __future__ import annotations

import time

import pytest

from assistant import Assistant, Context, Reply
from assistant.conversation import Conversation, advance


@pytest.fixture
def chat(bot: Assistant) -> Conversation:
    return Conversation(bot)


def offered_ids(reply: Reply) -> list[str]:
    return [entry_id for entry_id, _ in (reply.options or reply.suggestions)]


@pytest.mark.parametrize("typed", ["1", " 1 ", "1.", "1)"])
def test_a_number_asks_the_offered_question(chat: Conversation, typed: str) -> None:
    first = chat.ask("are nb made in usa")
    assert first.entry_id == "made-in-usa"
    reply = chat.ask(typed)
    assert reply.status == "answered"
    assert reply.entry_id == first.suggestions[0][0]
    assert reply.matched_question == first.suggestions[0][1]


def test_each_number_picks_its_own_question(bot: Assistant) -> None:
    for n in (1, 2, 3):
        chat = Conversation(bot)
        first = chat.ask("what materials are they made from")
        assert chat.ask(str(n)).entry_id == first.suggestions[n - 1][0]


@pytest.mark.parametrize("typed", ["7", "0", "99999"])
def test_an_out_of_range_number_repeats_the_choices(chat: Conversation, typed: str) -> None:
    first = chat.ask("are nb made in usa")
    reply = chat.ask(typed)
    assert reply.status == "clarify"
    assert f"no option {int(typed)}" in reply.text
    assert "1 to 3" in reply.text
    assert reply.options == first.suggestions
    # The choices stay on offer, so the next number still works.
    assert chat.ask("2").entry_id == first.suggestions[1][0]


def test_a_number_with_nothing_offered_is_just_a_question(chat: Conversation) -> None:
    reply = chat.ask("2")
    assert reply.status == "no_match"
    assert reply.suggestions  # starters, so the next number means something


def test_a_number_after_small_talk_picks_a_starter(chat: Conversation) -> None:
    hello = chat.ask("hi")
    assert hello.status == "smalltalk"
    assert chat.ask("1").entry_id == hello.suggestions[0][0]


TWINS_KB = """\
entries:
  - id: shoes-waterproof
    question: Are the shoes waterproof?
    answer: The shoes are not waterproof.
  - id: boots-waterproof
    question: Are the boots waterproof?
    answer: The boots are waterproof.
  - id: colours
    question: Which colours are there?
    answer: Grey, navy and black.
"""


def test_clarify_options_are_numbered_choices(write_kb) -> None:
    chat = Conversation(Assistant.load(write_kb(TWINS_KB)))
    reply = chat.ask("waterproof?")
    assert reply.status == "clarify"
    assert {i for i, _ in reply.options} == {"shoes-waterproof", "boots-waterproof"}
    assert chat.context.offered == tuple(offered_ids(reply))
    picked = chat.ask("2")
    assert picked.status == "answered"
    assert picked.entry_id == reply.options[1][0]


def test_what_about_the_993_after_the_models_answer(bot: Assistant, chat: Conversation) -> None:
    assert chat.ask("which models are made in the usa").entry_id == "usa-models"
    reply = chat.ask("what about the 993?")
    alone = bot.ask("what about the 993?")
    assert reply.status == "answered"
    assert reply.entry_id in {"usa-models", "models-history"}
    assert reply.confidence > alone.confidence  # the previous answer's neighbourhood counted


def test_and_the_soles_after_the_materials_answer(bot: Assistant, chat: Conversation) -> None:
    assert chat.ask("what materials are they made from").entry_id == "materials"
    reply = chat.ask("and the soles?")
    assert reply.entry_id == "soles"
    assert reply.confidence > bot.ask("and the soles?").confidence


def test_a_vague_follow_up_leans_on_the_previous_answer(bot: Assistant, chat: Conversation) -> None:
    # "how long?" alone is about how long the shoes last; after the models answer
    # it is most likely about how long those models have been made in the USA.
    assert bot.ask("how long?").entry_id != "models-history"
    chat.ask("which models are made in the usa")
    reply = chat.ask("how long?")
    best = reply.options[0][0] if reply.status == "clarify" else reply.entry_id
    assert best == "models-history"


def test_long_questions_get_no_context_boost(bot: Assistant, chat: Conversation) -> None:
    chat.ask("which models are made in the usa")
    explanation = bot.explain("how can i tell whether my pair of new balance came from an american factory",
                              context=chat.context)
    assert all(m.boost == 0 for m in explanation.candidates)


@pytest.mark.parametrize("more", ["tell me more", "Tell me more!", "why?", "go on"])
def test_tell_me_more_continues_with_a_fresh_follow_up(chat: Conversation, more: str) -> None:
    first = chat.ask("which models are made in the usa")
    reply = chat.ask(more)
    assert reply.status == "answered"
    assert reply.entry_id == first.suggestions[0][0]


def test_tell_me_more_walks_on_without_repeating(chat: Conversation) -> None:
    seen = [chat.ask("how are new balance sneakers made").entry_id]
    for _ in range(6):
        seen.append(chat.ask("tell me more").entry_id)
    assert len(set(seen)) == len(seen)


def test_suggestions_never_repeat_what_was_answered(chat: Conversation) -> None:
    reply = chat.ask("are nb made in usa")
    answered = [reply.entry_id]
    for _ in range(12):
        ids = offered_ids(reply)
        assert len(ids) == len(set(ids))
        assert not set(ids) & set(answered)
        if not ids:
            break
        reply = chat.ask("1")
        answered.append(reply.entry_id)
    assert len(set(answered)) == len(answered)


def test_reset_forgets_everything(chat: Conversation) -> None:
    chat.ask("are nb made in usa")
    chat.reset()
    assert chat.context == Context()
    assert chat.ask("1").status == "no_match"
    assert chat.ask("tell me more").entry_id != "not-all-usa"


def test_a_pasted_100_kb_line_is_answered_quickly(chat: Conversation) -> None:
    chat.ask("which models are made in the usa")
    for text in ("x" * 100_000, "é" * 100_000, ("are new balance shoes made in the usa " * 3000)[:100_000]):
        started = time.perf_counter()
        reply = chat.ask(text)
        assert reply.status in {"answered", "no_match", "clarify"}
        assert time.perf_counter() - started < 1.0


def test_advance_keeps_the_choices_when_a_clarify_offers_none(bot: Assistant) -> None:
    context = Context(asked=("made-in-usa",), offered=("usa-label", "usa-models"), last="made-in-usa")
    after = advance(context, Reply("clarify", "which one?"))
    assert after == context


def test_advance_remembers_answers_once_and_in_order(bot: Assistant) -> None:
    context = Context()
    for entry_id in ("made-in-usa", "usa-models", "made-in-usa"):
        context = advance(context, bot.answer(entry_id, context=context))
    assert context.asked == ("usa-models", "made-in-usa")
    assert context.last == "made-in-usa"
