"""Large knowledge bases: the shortlist ranks exactly like full scoring; a bad index cache is never trusted."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from assistant import Assistant, Context, index_cache, matcher, postings
from benchmarks import synthetic

SAMPLE = 120  # derived questions per size


@pytest.fixture(scope="module", params=[300, 2000, "crowded"])
def synthetic_bot(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    if request.param == "crowded":
        return crowded(tmp_path_factory.mktemp("crowded"))
    size = request.param
    entries = synthetic.generate(size)
    folder = synthetic.write(tmp_path_factory.mktemp(f"kb{size}"), size)
    questions = [q for q, _ in synthetic.questions(entries, SAMPLE)]
    generic = ["how do i order", "order", "where can i find the password", "refund not working", "zzzz"]
    return Assistant.load(folder), questions + generic + [entries[0].phrasings[0]]


def crowded(folder: Path) -> tuple[Assistant, list[str]]:
    """600 entries over 15 look-alike words: many near ties, where pruning is closest to the bar."""
    rng = random.Random(3)
    vocabulary = "alpha alpine alps beta bet betting gamma gamut delta deltas delt omega omen sigma kappa".split()
    lines = ["entries:"]
    for i in range(600):
        phrasings = [" ".join(rng.sample(vocabulary, rng.randint(1, 4))) for _ in range(3)]
        lines += [f"  - id: e{i}", f"    question: {phrasings[0]}", f"    alternates: [{', '.join(phrasings[1:])}]"]
        lines.append(f"    answer: Answer {i}.")
    (folder / "kb.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    questions = [" ".join(rng.sample(vocabulary, rng.randint(1, 5))) for _ in range(SAMPLE)]
    return Assistant.load(folder), questions


@pytest.fixture
def cache_everything(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Cache even small knowledge, and keep the fallback cache folder inside the test."""
    monkeypatch.setattr(index_cache, "MIN_PHRASINGS", 0)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(index_cache.ENV_VAR, raising=False)
    return tmp_path / "xdg"


def test_the_generator_is_deterministic(tmp_path: Path):
    assert synthetic.to_yaml(synthetic.generate(500, seed=3)) == synthetic.to_yaml(synthetic.generate(500, seed=3))
    assert synthetic.to_yaml(synthetic.generate(500, seed=3)) != synthetic.to_yaml(synthetic.generate(500, seed=4))
    first = synthetic.write(tmp_path / "a", 200).joinpath("kb.yaml").read_bytes()
    assert first == synthetic.write(tmp_path / "b", 200).joinpath("kb.yaml").read_bytes()
    entries = synthetic.generate(200)
    assert synthetic.questions(entries, 50) == synthetic.questions(entries, 50)
    assert len({e.id for e in entries}) == 200 and all(len(e.phrasings) == 5 for e in entries)


def test_synthetic_knowledge_loads_and_answers(tmp_path: Path):
    entries = synthetic.generate(300)
    bot = Assistant.load(synthetic.write(tmp_path, 300))
    right = [bot.ask(q).entry_id == expected for q, expected in synthetic.questions(entries, 100)]
    assert sum(right) >= 90


@pytest.mark.parametrize("limit", [1, 5, 8])
def test_shortlist_ranks_exactly_like_scoring_every_phrasing(synthetic_bot, monkeypatch, limit: int):
    monkeypatch.setattr(matcher, "SHORTLIST_FROM", 0)  # prune even small knowledge
    bot, questions = synthetic_bot
    boost = {bot.knowledge.entries[3].id: 0.12, bot.knowledge.entries[7].id: 0.06}
    for question in questions:
        query = bot.normaliser.normalise(question)
        for extra in (None, boost):
            full = bot.matcher.rank(query, limit=limit, boost=extra, shortlist=False)
            assert bot.matcher.rank(query, limit=limit, boost=extra) == full, question


def test_shortlist_with_precomputed_similarities_is_the_same(synthetic_bot, monkeypatch):
    monkeypatch.setattr(matcher, "SHORTLIST_FROM", 0)
    bot, questions = synthetic_bot
    queries = [bot.normaliser.normalise(q) for q in questions]
    rows = bot.matcher.similarities(queries)
    for query, row in zip(queries, rows, strict=True):
        assert bot.matcher.rank(query, limit=8, similarity=row) == bot.matcher.rank(query, limit=8, shortlist=False)


def test_replies_are_the_same_with_and_without_the_shortlist(synthetic_bot, monkeypatch):
    bot, questions = synthetic_bot
    context = Context(last=bot.knowledge.entries[0].id)
    monkeypatch.setattr(matcher, "SHORTLIST_FROM", 10**9)
    full = [(bot.explain(q), bot.ask(q, context=context)) for q in questions]
    assert bot.ask_many(questions) == [reply.reply for reply, _ in full]  # precomputed similarities
    monkeypatch.setattr(matcher, "SHORTLIST_FROM", 0)
    assert [(bot.explain(q), bot.ask(q, context=context)) for q in questions] == full
    assert bot.ask_many(questions) == [reply.reply for reply, _ in full]  # shortlisted


def cache_file(folder: Path) -> Path:
    return folder / ".faq-index.json"


def small_kb(tmp_path: Path, size: int = 150) -> Path:
    return synthetic.write(tmp_path / "kb", size)


def answers(bot: Assistant) -> list[dict]:
    entries = synthetic.generate(150)
    return [bot.ask(q).to_dict() for q, _ in synthetic.questions(entries, 40)]


def test_a_warm_cache_is_read_and_gives_the_same_answers(tmp_path, cache_everything, monkeypatch):
    folder = small_kb(tmp_path)
    cold = Assistant.load(folder)
    data = json.loads(cache_file(folder).read_text(encoding="utf-8"))
    assert data["format"] == index_cache.FORMAT and data["version"] == index_cache.VERSION
    assert len(data["canonicals"]) == 5 * 150

    def no_normalising(*args, **kwargs):
        raise AssertionError("a valid cache must be used")

    monkeypatch.setattr(index_cache, "analyse", no_normalising)
    warm = Assistant.load(folder)
    assert answers(warm) == answers(cold)
    assert warm.matcher.canonicals == cold.matcher.canonicals
    assert warm.matcher.weights == cold.matcher.weights
    assert np.array_equal(warm.matcher.phrasing_weight, cold.matcher.phrasing_weight)


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut short
        lambda text: "not json at all",
        lambda text: "[" * 100_000,  # too deep to parse
        lambda text: text.replace('"version":1', '"version":99'),
        lambda text: text.replace('"canonicals":[', '"canonicals":["extra",'),
        lambda text: text.replace('"counts":[', '"counts":["x",'),
        lambda text: json.dumps({**json.loads(text), "key": "0" * 64}),
    ],
)
def test_a_corrupt_or_foreign_cache_is_ignored_and_rebuilt(tmp_path, cache_everything, damage):
    folder = small_kb(tmp_path)
    expected = answers(Assistant.load(folder))
    cache = cache_file(folder)
    cache.write_text(damage(cache.read_text(encoding="utf-8")), encoding="utf-8")
    assert answers(Assistant.load(folder)) == expected
    assert json.loads(cache.read_text(encoding="utf-8"))["version"] == index_cache.VERSION  # rewritten


def test_a_stale_cache_is_ignored_when_the_knowledge_changes(tmp_path, cache_everything):
    folder = small_kb(tmp_path)
    Assistant.load(folder)
    key = json.loads(cache_file(folder).read_text(encoding="utf-8"))["key"]
    kb = folder / "kb.yaml"
    text = kb.read_text(encoding="utf-8")
    kb.write_text(text.replace('question: "', 'question: "Quokka ', 1), encoding="utf-8")
    bot = Assistant.load(folder)
    assert bot.explain("quokka").candidates[0].entry_id == bot.knowledge.entries[0].id  # the new word is indexed
    assert json.loads(cache_file(folder).read_text(encoding="utf-8"))["key"] != key
    assert bot.matcher.canonicals == Assistant(bot.knowledge).matcher.canonicals


def test_a_single_file_gets_its_own_cache_beside_it(tmp_path, cache_everything):
    kb = small_kb(tmp_path) / "kb.yaml"
    Assistant.load(kb)
    assert (kb.parent / ".kb.yaml.faq-index.json").is_file()


def test_an_unwritable_knowledge_folder_uses_the_user_cache_or_none(tmp_path, cache_everything, monkeypatch):
    folder = small_kb(tmp_path)
    expected = answers(Assistant(Assistant.load(folder).knowledge))
    cache_file(folder).unlink()
    real_write = index_cache._write_atomically

    def read_only(place: Path, text: bytes) -> None:
        if place.parent == folder or os.environ.get("NO_HOME"):
            raise PermissionError(13, "Read-only file system", str(place))
        real_write(place, text)

    monkeypatch.setattr(index_cache, "_write_atomically", read_only)
    assert answers(Assistant.load(folder)) == expected
    assert not cache_file(folder).exists() and len(list(cache_everything.rglob("*.json"))) == 1
    monkeypatch.setenv("NO_HOME", "1")
    for stale in cache_everything.rglob("*.json"):
        stale.unlink()
    assert answers(Assistant.load(folder)) == expected  # nowhere to write: still loads


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_a_read_only_knowledge_folder_still_loads(tmp_path, cache_everything):
    folder = small_kb(tmp_path)
    expected = answers(Assistant.load(folder))
    cache_file(folder).unlink()
    folder.chmod(0o555)
    try:
        assert answers(Assistant.load(folder)) == expected
        assert not cache_file(folder).exists()
    finally:
        folder.chmod(0o755)


def test_small_knowledge_writes_no_cache(tmp_path, monkeypatch):
    monkeypatch.delenv(index_cache.ENV_VAR, raising=False)
    folder = small_kb(tmp_path)
    Assistant.load(folder)
    assert not cache_file(folder).exists()


def test_the_cache_can_be_turned_off(tmp_path, cache_everything, monkeypatch):
    monkeypatch.setenv(index_cache.ENV_VAR, "0")
    folder = small_kb(tmp_path)
    Assistant.load(folder)
    assert not cache_file(folder).exists()


def test_the_similarity_bound_is_never_below_the_real_similarity():
    rng = random.Random(11)
    alphabet = "abcdeé _9z"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(400)]
    texts += ["a" * 300 + " b", "e" * 260]  # more than 8 bits can count
    counts, lengths = postings.letters(texts), np.array([len(t) for t in texts])
    for query in ["abc de", "é_9 zz a", "a" * 40, "e" * 5 + " b"]:
        bound = postings.most_similar(query, counts, lengths)
        real = process.cdist([query], texts, scorer=fuzz.ratio, dtype=np.float64)[0] / 100
        assert bound is not None and np.all(bound >= real - 1e-12)
    assert postings.most_similar("x" * 300, counts, lengths) is None  # too long to count: no bound
