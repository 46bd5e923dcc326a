"""Normalisation: what people type becomes the terms the knowledge uses."""

from __future__ import annotations

from assistant.normalise import clean, sentences, words


def test_unicode_quotes_and_contractions():
    assert words("What’s the deal? It DOESN’T matter") == ["what", "the", "deal", "it", "does", "not", "matter"]
    assert words("dont r u") == ["do", "not", "are", "you"]
    assert clean("ｆｕｌｌ　ｗｉｄｔｈ") == "full width"


def test_model_numbers_and_plurals():
    assert words("990s and nb993s") == ["990", "and", "nb", "993"]


def test_lone_surrogates_and_control_characters_are_dropped():
    assert words("made\ud800 in\x00usa\x1b[31m") == ["made", "in", "usa", "31", "m"]


def test_sentences_prefer_the_questions():
    text = "My dad is picky. He loves walking! Are they made in the USA? Thanks."
    assert sentences(text) == ["Are they made in the USA?"]
    assert sentences("one. two") == ["one.", "two"]


def test_spelling_is_corrected_against_the_knowledge(bot):
    fixes = dict(bot.normaliser.normalise("new balnce manufacured strobal heirro").corrections)
    assert fixes == {"balnce": "balance", "manufacured": "manufactured", "strobal": "strobel", "heirro": "hierro"}


def test_model_numbers_and_real_words_are_never_corrected(bot):
    query = bot.normaliser.normalise("is the 991 made at the mall for lunch")
    assert query.corrections == ()
    assert "991" in query.tokens


def test_synonyms_map_to_one_term(bot):
    a = bot.normaliser.normalise("are nb kicks manufactured stateside")
    b = bot.normaliser.normalise("are new balance sneakers made in the united states")
    assert a.tokens == b.tokens
    assert ("kick", "sneaker") in a.synonyms


def test_bare_us_is_not_the_country(bot):
    assert "usa" not in bot.normaliser.normalise("can you tell us more").tokens
    assert "usa" in bot.normaliser.normalise("made in the us").tokens
