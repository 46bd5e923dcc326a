"""Whatever people type, `ask` answers with a valid reply and never raises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant import Assistant
from assistant.core import STATUSES

BOT = Assistant.load()  # built once: hypothesis runs the test many times

text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(blacklist_categories=())),  # includes lone surrogates and controls
    st.lists(st.sampled_from(["nb", "990", "made", "usa", "hi", "?", "\u202e", "🙂", "strobel", "ß"])).map(" ".join),
)


@settings(max_examples=300, deadline=None)
@given(text)
def test_ask_never_raises(question: str):
    reply = BOT.ask(question)
    assert reply.status in STATUSES
    assert 0.0 <= reply.confidence <= 1.0
    assert isinstance(reply.text, str) and reply.text
    assert (reply.entry_id is None) == (reply.status in ("no_match", "clarify"))
    reply.to_dict()
