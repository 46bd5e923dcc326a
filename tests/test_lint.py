"""`faq-assistant check`: each rule on a small broken knowledge base, with its exact line."""

from __future__ import annotations

import pytest

from assistant.errors import KnowledgeError
from assistant.knowledge import bundled_path, load
from assistant.lint import check
from assistant.variants import variants

# Three well-separated FAQ entries that pass every rule; broken fixtures add to it.
CLEAN = """\
entries:
  - id: soles
    question: How are the soles attached?
    alternates: [sole attachment, how is the outsole fixed, are soles glued on]
    answer: Glued and stitched.
    follow_ups: [uppers]
  - id: uppers
    question: What materials are the uppers made of?
    alternates: [upper materials, what are uppers made from, leather or mesh uppers]
    answer: Leather and mesh.
    follow_ups: [laces]
  - id: laces
    question: What kind of laces come with them?
    alternates: [lace type, are the laces flat or round, which shoelaces]
    answer: Flat cotton laces.
    follow_ups: [soles]
"""


def lines_for(run_cli, write_kb, text: str) -> tuple[int, list[str]]:
    path = write_kb(text)
    result = run_cli("check", "--kb", str(path))
    return result.code, result.out.replace(str(path), "KB").splitlines()


def test_a_clean_knowledge_base_passes(run_cli, write_kb):
    code, lines = lines_for(run_cli, write_kb, CLEAN)
    assert code == 0
    assert lines == [
        "check: 0 errors, 0 warnings in 3 entries; robustness 100% (15 of 15 question variants answered right)"
    ]


def test_load_errors_are_reported_as_the_loader_words_them(run_cli, write_kb):
    path = write_kb("entries:\n  - id: one\n    question: Q?\n")
    with pytest.raises(KnowledgeError) as caught:
        load(path)
    result = run_cli("check", "--kb", str(path))
    assert result.code == 1
    assert result.out.splitlines() == [str(caught.value), "check: 1 error: the knowledge does not load"]
    assert result.out.startswith(f"{path}:2: one: 'answer' is missing or empty")


def test_phrasings_that_normalise_alike_collide(run_cli, write_kb):
    broken = CLEAN.replace("[lace type,", "[lace type, materials of the uppers,")
    code, lines = lines_for(run_cli, write_kb, broken)
    assert code == 1
    assert (
        "KB:12: laces: error: collision: alternate 'materials of the uppers' normalises to the same words as "
        "alternate 'upper materials' of uppers (KB:7)"
    ) in lines


def test_a_phrasing_answered_by_another_entry_collides(run_cli, write_kb):
    # A long message is matched on its question sentence, which belongs to another entry.
    story = (
        "I bought a pair last month and wore them hiking every weekend through mud and rain and snow "
        "and sleet. Do they have a warranty?"
    )
    broken = CLEAN.replace("[upper materials,", f"[{story!r},") + (
        "decline:\n  - id: warranty\n    question: Do the shoes have a warranty?\n"
        "    answer: I don't know about warranties.\n"
    )
    code, lines = lines_for(run_cli, write_kb, broken)
    assert code == 1
    assert lines[0] == f"KB:7: uppers: error: collision: alternate {story!r} is declined by warranty (0.64)"


def test_small_talk_must_come_back_as_small_talk_and_declines_as_no_match(run_cli, write_kb):
    story = (
        "My friend told me these are the best shoes ever made for walking on rocky mountain trails, city pavement, "
        "muddy fields and sandy beaches alike. What kind of laces come with them?"
    )
    extra = (
        "smalltalk:\n  - id: hello\n    question: Hello\n    alternates: [ok then]\n    answer: Hi!\n"
        f"decline:\n  - id: price\n    question: How much do they cost?\n    alternates: [{story!r}]\n"
        "    answer: No prices.\n"
    )
    code, lines = lines_for(run_cli, write_kb, CLEAN + extra)
    assert code == 1
    assert lines[:2] == [
        "KB:18: hello: error: self-retrieval: alternate 'ok then' gets no match (no entry shares a word)",
        f"KB:23: price: error: collision: alternate {story!r} is answered by laces (1.00)",
    ]


def test_weak_variants_are_warnings_with_a_score(run_cli, write_kb):
    kb = CLEAN + (
        "  - id: padded\n    question: Are the heels padded?\n    alternates: [padding, padded heels, heel padding]\n"
        "    answer: Yes.\n    follow_ups: [soles]\n"
        "  - id: stiff\n    question: Are the heels stiff?\n"
        "    alternates: [stiffness, stiff heels, heel counter stiffness]\n    answer: Also.\n    follow_ups: [soles]\n"
    )
    code, lines = lines_for(run_cli, write_kb, kb)
    assert code == 0
    clarify = "gets a clarify question between padded, stiff"
    assert lines == [
        f"KB:17: padded: warning: robustness: dropped word 'Are the heels' {clarify}",
        "KB:17: padded: warning: robustness 80% (4 of 5 variants of the question answered right)",
        f"KB:22: stiff: warning: robustness: dropped word 'Are the heels' {clarify}",
        "KB:22: stiff: warning: robustness 80% (4 of 5 variants of the question answered right)",
        "check: 0 errors, 4 warnings in 5 entries; robustness 92% (23 of 25 question variants answered right)",
    ]


def test_thin_entries_and_dead_ends_are_warnings(run_cli, write_kb):
    thin = CLEAN.replace("[lace type, are the laces flat or round, which shoelaces]", "[lace type]")
    code, lines = lines_for(run_cli, write_kb, thin.replace("    follow_ups: [soles]\n", ""))
    assert code == 0
    assert "KB:12: laces: warning: 1 alternate: add at least 3 other ways people ask this" in lines
    assert "KB:12: laces: warning: no follow_ups (suggest what to ask next)" in lines


def test_an_entry_nothing_leads_to_is_unreachable(run_cli, write_kb):
    orphan = CLEAN + (
        "  - id: orphan\n    question: Is it so?\n    alternates: [is it, was it, it is]\n"
        "    answer: Maybe.\n    follow_ups: [soles]\n"
    )
    code, lines = lines_for(run_cli, write_kb, orphan)
    assert code == 1
    assert "KB:17: orphan: warning: unreachable: no phrasing retrieves it and no entry has it as a follow-up" in lines


def test_a_term_in_two_synonym_groups_is_a_warning(run_cli, write_kb):
    code, lines = lines_for(run_cli, write_kb, CLEAN + "synonyms:\n  - [sole, outsole]\n  - [tread, Outsole]\n")
    assert code == 0
    assert "KB:19: synonyms: warning: synonym 'outsole' is in two groups (also KB:18)" in lines


def test_variants_are_seeded_and_cover_every_kind():
    first = variants("Are New Balance sneakers made in the USA?", "made-in-usa")
    assert first == variants("Are New Balance sneakers made in the USA?", "made-in-usa")
    assert [kind for kind, _ in first] == [
        "one typo", "two typos", "dropped word", "reordered words", "lower case without punctuation"
    ]
    assert dict(first)["lower case without punctuation"] == "are new balance sneakers made in the usa"


@pytest.mark.skipif(not bundled_path().is_dir(), reason="no bundled knowledge folder")
def test_the_bundled_knowledge_is_clean():
    report = check(str(bundled_path()))
    assert report.errors == 0, "\n".join(report.lines())
    assert report.overall >= 0.9
