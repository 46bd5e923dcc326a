"""What a shopper sees: answers, clarifications, small talk and honest declines."""

from __future__ import annotations

import pytest
from conftest import DATA

from assistant import Assistant, Context, Reply
from assistant.evaluate import evaluate, rates, read_cases


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("are new balance shoes made in the usa", "made-in-usa"),
        ("r nb shoes american made", "made-in-usa"),
        ("are ALL new balance made in america?", "not-all-usa"),
        ("which models are made in the US", "usa-models"),
        ("990 usa", "usa-models"),
        ("strobal stitching", "stitching"),
        ("heirro boots", "hiking-boots"),
        ("new factory massachusets", "massachusetts-factory"),
        ("eva midsole", "soles"),
        ("what does heat welding do", "heat-welding"),
        ("how do i know if my pair is made in usa", "usa-label"),
        ("is nb good for the environment", "environment"),
    ],
)
def test_questions_get_the_right_answer(bot: Assistant, question: str, entry_id: str):
    reply = bot.ask(question)
    assert (reply.status, reply.entry_id) == ("answered", entry_id)
    assert reply.text == bot.entry(entry_id).answer
    assert 0.0 < reply.confidence <= 1.0


def test_a_question_buried_in_a_long_message_is_found(bot: Assistant):
    message = (
        "Hi there! My husband has worn the same brand of running shoes for twenty years and he is "
        "very loyal to it, but his brother keeps telling him to switch. He only buys things that are "
        "produced by American workers. So my question is simple: are New Balance sneakers actually "
        "manufactured in the United States? Thanks so much for your help."
    )
    assert bot.ask(message).entry_id == "made-in-usa"


@pytest.mark.parametrize(
    "question",
    [
        "how much do 990s cost",
        "what is your return policy",
        "do you ship to canada",
        "who founded new balance",
        "are nike made in the usa",
        "what's the weather like today",
        "what size should i get",
    ],
)
def test_out_of_scope_questions_are_declined(bot: Assistant, question: str):
    reply = bot.ask(question)
    assert reply.status == "no_match"
    assert reply.entry_id is None
    assert "which New Balance shoes are made in the USA" in reply.text  # names topics it can answer


@pytest.mark.parametrize("question", ["hi", "thanks!", "bye", "who are you", "what can you do"])
def test_small_talk(bot: Assistant, question: str):
    assert bot.ask(question).status == "smalltalk"


def test_greeting_does_not_swallow_the_question(bot: Assistant):
    assert bot.ask("hi, are new balance made in the usa?").entry_id == "made-in-usa"


def test_close_candidates_ask_which_one(write_kb):
    kb = write_kb(
        "entries:\n"
        "  - {id: red, question: How do I clean red shoes?, answer: Soap.}\n"
        "  - {id: blue, question: How do I clean blue shoes?, answer: Water.}\n"
    )
    reply = Assistant.load(kb).ask("how do i clean shoes")
    assert reply.status == "clarify"
    assert {i for i, _ in reply.options} == {"red", "blue"}


def test_suggestions_follow_ups_first_never_self_or_asked(bot: Assistant):
    entry = bot.entry("made-in-usa")
    reply = bot.ask("are new balance made in the usa")
    assert [i for i, _ in reply.suggestions][:2] == list(entry.follow_ups[:2])
    assert "made-in-usa" not in dict(reply.suggestions)
    asked = Context(asked=(entry.follow_ups[0],))
    later = bot.ask("are new balance made in the usa", context=asked)
    assert entry.follow_ups[0] not in dict(later.suggestions)
    assert len(later.suggestions) == bot.settings.max_suggestions


def test_reply_is_frozen_and_json_ready(bot: Assistant):
    reply = bot.ask("990 made in usa")
    with pytest.raises(AttributeError):
        reply.status = "no_match"  # type: ignore[misc]
    data = reply.to_dict()
    assert data["status"] == "answered" and data["entry_id"] == "usa-models"
    assert data["suggestions"][0].keys() == {"id", "question"}


def test_matcher_best_returns_none_below_cutoff(bot: Assistant):
    query = bot.normaliser.normalise("hierro")
    assert bot.matcher.best(query, cutoff=0.3).entry_id == "hiking-boots"
    assert bot.matcher.best(query, cutoff=1.01) is None
    assert bot.matcher.best(bot.normaliser.normalise("zzzz qqqq"), cutoff=0.0) is None


def test_ask_many_equals_ask(bot: Assistant):
    questions = [c.question for c in read_cases(str(DATA / "dev_set.csv"))]
    assert bot.ask_many(questions, workers=2) == [bot.ask(q) for q in questions]


def test_assistant_pickles_and_is_rebuilt(bot: Assistant):
    import pickle

    copy = pickle.loads(pickle.dumps(bot))
    assert copy.ask("strobel").entry_id == bot.ask("strobel").entry_id


def test_empty_and_huge_questions_are_answered_in_bounded_time(bot: Assistant):
    assert bot.ask("").status == "no_match"
    assert bot.ask("?!?! ...").status == "no_match"
    huge = "are new balance made in the usa " + "blah " * 20_000
    assert isinstance(bot.ask(huge), Reply)


# The dev set is labelled by hand (tests/data/dev_set.csv); these floors catch regressions.
MIN_RIGHT = {"overall": 0.90, "paraphrase": 0.85, "typo": 0.85, "keyword": 0.9, "long": 0.8, "out_of_scope": 0.75}
MAX_WRONG = 0.06


def test_dev_set_accuracy_stays_above_the_floor(bot: Assistant):
    outcomes = evaluate(bot, read_cases(str(DATA / "dev_set.csv")))
    assert rates(outcomes)["wrong"] <= MAX_WRONG
    for kind, floor in MIN_RIGHT.items():
        group = [o for o in outcomes if kind in ("overall", o.case.kind)]
        assert rates(group)["right"] >= floor, kind
