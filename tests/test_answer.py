"""Retrieval and answers over a real index built from test documents."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus_fixture import build_index

from tutor.answer import Answer, Tutor, _hold_back_sentinel
from tutor.citations import drop_unknown_markers, markers_in
from tutor.config import Settings
from tutor.context import AnswerContext
from tutor.prompts import CANNOT_ANSWER

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_index(tmp_path_factory.mktemp("answer-index"))


@pytest.fixture(scope="module")
def tutor(indexed: Settings) -> Tutor:
    return Tutor.from_settings(indexed, backend="extractive")


def assert_markers_resolve(answer: Answer) -> None:
    cited = {c.n for c in answer.citations}
    assert set(markers_in(answer.text)) <= cited, answer.text


# ------------------------------------------------------------------------------------------ retrieval


def test_the_section_that_answers_comes_first(tutor: Tutor) -> None:
    found = tutor.retriever.retrieve("Why divide the dot products by the square root of d_k?")
    top = found.passages[0]
    assert (top.reading_id, top.meta["section"], top.meta["page"]) == (
        "vaswani2017-attention",
        "3.2.1 Scaled Dot-Product Attention",
        5,
    )


def test_chinese_question_finds_the_english_passage(tutor: Tutor) -> None:
    found = tutor.retriever.retrieve("残差连接为什么能解决深层网络的退化问题？")
    assert found.lang == "zh"
    assert "residual connection" in found.english_terms
    assert found.passages[0].reading_id == "he2015-resnet"


def test_a_follow_up_stays_on_the_concept_and_gets_a_new_answer(tutor: Tutor) -> None:
    first = tutor.ask("Why divide the scores by the square root of d_k?")
    found = tutor.retriever.retrieve("and why does that help training?", [first.as_turn()])
    assert found.context_vector is not None, "the question is also read with the one before it"
    answer = tutor.ask("and why does that help training?", history=[first.as_turn()])
    assert answer.follow_up and answer.topic == first.topic
    assert answer.facet != first.facet, "a new answer on the same concept, not the same one"
    standalone = tutor.ask("What does BERT's masked language model predict?", history=[first.as_turn()])
    assert standalone.topic != first.topic
    # the BERT paper answers; its Background is not whichever note ranked next (this corpus has no BERT note)
    assert standalone.decision["chosen"] == "doc:devlin2018-bert" and standalone.background is None


def test_a_session_follows_up_changes_topic_and_still_refuses_off_topic_questions(tutor: Tutor) -> None:
    turns = []
    for question, expected, follow_up in [
        ("Why divide the scores by the square root of d_k?", "SQRT-ANSWER", False),
        ("and why does that help training?", "TRAINING-ANSWER", True),
        ("Is the degradation problem caused by overfitting?", "DEGRADATION-ANSWER", False),
    ]:
        answer = tutor.ask(question, history=turns)
        assert answer.direct.startswith(expected) and answer.follow_up is follow_up, (question, answer.direct)
        turns.append(answer.as_turn())
    for off_topic in (
        "And how do I bake bread?",
        "How do I plant an apple tree in my garden?",
        "Can you recommend a good pizza place near me?",
    ):
        assert not tutor.ask(off_topic, history=turns).covered, off_topic


def test_a_chinese_follow_up_gets_the_new_aspect(tutor: Tutor) -> None:
    first = tutor.ask("注意力为什么要除以根号 d_k？")
    follow = tutor.ask("那为什么这样有助于训练？", history=[first.as_turn()])
    assert first.direct.startswith("根号答案") and follow.direct.startswith("训练答案") and follow.follow_up
    assert not tutor.ask("那附近有什么好吃的餐厅？", history=[first.as_turn(), follow.as_turn()]).covered


def test_a_reading_without_a_file_is_found_cited_and_pointed_to(tutor: Tutor) -> None:
    answer = tutor.ask("Which chapters of the watermelon book should I read first?")
    assert answer.covered and "Ch. 2 Model evaluation" in answer.direct
    cited = answer.citations[0]
    assert (cited.reading_id, cited.kind) == ("zhou2016-ml-book", "reading-list")
    assert answer.read_next[0].reading_id == "zhou2016-ml-book"
    chinese = tutor.ask("西瓜书应该先读哪几章？")
    assert chinese.language == "zh" and chinese.citations[0].reading_id == "zhou2016-ml-book"


def test_one_paper_cannot_crowd_out_the_rest(tutor: Tutor) -> None:
    found = tutor.retriever.retrieve("attention query key value softmax positional encoding")
    per_reading = [h.reading_id for h in found.passages]
    assert max(per_reading.count(r) for r in per_reading) <= tutor.settings.retrieval.per_reading
    assert len(set(per_reading)) >= 3


# ------------------------------------------------------------------------------------------ extractive


def test_extractive_card_answers_first_then_the_note_at_the_chosen_level_then_quotes(tutor: Tutor) -> None:
    answer = tutor.ask("Why divide by the square root of d_k in attention?", level="expert")
    assert answer.covered and answer.backend == "extractive" and answer.language == "en"
    assert answer.text.startswith("SQRT-ANSWER") and "SQRT-DEEPER" in answer.direct, "answer first, detail at expert"
    assert answer.background is not None and answer.background.text.startswith("EXPERT-EN")
    assert "BEGINNER-EN" not in answer.text
    assert (
        answer.text.index("SQRT-ANSWER") < answer.text.index("EXPERT-EN") < answer.text.index("What the readings say")
    )
    assert_markers_resolve(answer)
    vaswani = [c for c in answer.citations if c.reading_id == "vaswani2017-attention"]
    assert vaswani[0].n == 1 and vaswani[0].url == "https://arxiv.org/pdf/1706.03762v5#page=5"
    assert (vaswani[0].section, vaswani[0].page) == ("3.2.1 Scaled Dot-Product Attention", 5)
    assert "square root of d_k" in vaswani[0].quote, "the quote supports the answer"
    assert answer.read_next and answer.read_next[0].reading_id == "vaswani2017-attention"
    assert all(r.why for r in answer.read_next) and len(answer.read_next) <= 3


def test_beginner_gets_the_short_answer_without_the_deeper_detail(tutor: Tutor) -> None:
    answer = tutor.ask("Why divide by the square root of d_k in attention?", level="beginner")
    assert answer.direct.startswith("SQRT-ANSWER") and "SQRT-DEEPER" not in answer.text
    assert answer.background is not None and answer.background.text.startswith("BEGINNER-EN")


def test_chinese_question_gets_a_chinese_card(tutor: Tutor) -> None:
    answer = tutor.ask("为什么缩放点积注意力要除以根号 d_k？", level="beginner")
    assert answer.language == "zh"
    assert answer.direct.startswith("根号答案") and "入门-中文" in answer.text and "原文怎么说" in answer.text
    assert answer.read_next[0].why == tutor.readings.get(answer.read_next[0].reading_id).why_zh


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        pytest.param("Is the degradation problem caused by overfitting?", "DEGRADATION-ANSWER", id="en"),
        pytest.param("深层网络的退化问题是过拟合造成的吗？", "退化答案", id="zh"),
        pytest.param("Is ResNet's degradation problem just overfitting, 过拟合?", "DEGRADATION-ANSWER", id="mixed"),
    ],
)
def test_a_misconception_gets_its_own_answer_not_the_concept_overview(
    tutor: Tutor, question: str, expected: str
) -> None:
    answer = tutor.ask(question, level="intermediate")
    assert answer.direct.startswith(expected), answer.text
    assert answer.facet.endswith(":degradation-not-overfitting")
    source = answer.citations[0]
    assert (source.reading_id, source.section, source.page) == ("he2015-resnet", "1. Introduction", 2)


def test_language_can_be_overridden(tutor: Tutor) -> None:
    answer = tutor.ask("Why divide by the square root of d_k in attention?", level="intermediate", lang="zh")
    assert answer.language == "zh" and "进阶-中文" in answer.text


def test_chinese_with_english_terms_is_answered_in_chinese(tutor: Tutor) -> None:
    answer = tutor.ask("Transformer 里的 attention 为什么要除以根号 d_k？")
    assert answer.language == "zh" and answer.direct.startswith("根号答案")


def test_question_off_the_path_is_refused_and_shown_what_the_path_covers(tutor: Tutor) -> None:
    answer = tutor.ask("How do I bake sourdough bread at home?")
    assert not answer.covered
    assert "do not cover" in answer.text
    assert answer.citations == [] and answer.read_next == []  # no reading is "nearest" to a bread recipe
    stages = [s.title("en") for s in tutor.readings.ordered_stages()]
    assert stages and all(f"- {title}" in answer.text for title in stages), answer.text
    chinese = tutor.ask("红烧肉怎么做才好吃？")
    assert not chinese.covered and "没有涵盖" in chinese.text
    assert all(f"- {s.title('zh')}" in chinese.text for s in tutor.readings.ordered_stages()), chinese.text


def test_a_refused_question_that_names_the_field_points_to_the_nearest_readings(tutor: Tutor) -> None:
    answer = tutor.ask("What is the best transformer for my guitar amp?")
    assert not answer.covered and "do not cover" in answer.text
    assert answer.read_next and "nearest readings" in answer.text, answer.text


@pytest.mark.parametrize(
    "question",
    [
        pytest.param("How do I plant an apple tree in my garden?", id="tree"),
        pytest.param("What is the attention span of a goldfish?", id="attention"),
        pytest.param("What is the best transformer for my guitar amp?", id="transformer"),
        pytest.param("如何提高注意力，上课不走神？", id="注意力"),
        pytest.param("浏览器缓存怎么清理？", id="缓存"),
    ],
)
def test_everyday_words_the_field_shares_do_not_make_a_question_on_topic(tutor: Tutor, question: str) -> None:
    assert not tutor.ask(question).covered


def test_planted_instructions_in_a_document_are_only_quoted(tutor: Tutor) -> None:
    answer = tutor.ask("What does the KV cache store during decoding?")
    hostile = [c for c in answer.citations if c.reading_id == "user-serving-notes"]
    assert hostile, "the hostile document is retrieved like any other"
    assert answer.covered
    for line in answer.text.splitlines():
        for planted in ("PWNED", "developer mode"):
            if planted in line:
                before = line[: line.index(planted)]
                assert line.startswith("> ") or before.count("“") > before.count("”"), line


def test_reference_lists_are_never_quoted(tutor: Tutor) -> None:
    answer = tutor.ask("Which Advances in Neural Information Processing Systems paper says attention is all you need?")
    quotes = [c.quote for c in answer.citations] + [q.text for q in answer.evidence]
    assert not [q for q in quotes if "Advances in Neural Information Processing Systems" in q]
    assert all(c.section != "References" for c in answer.citations)


@pytest.mark.parametrize(
    ("question", "message"),
    [
        pytest.param("   ", "type a question", id="empty"),
        pytest.param("why " * 600, "the limit is 2,000", id="overlong"),
    ],
)
def test_empty_and_overlong_questions_are_refused(tutor: Tutor, question: str, message: str) -> None:
    from tutor.errors import QuestionError

    with pytest.raises(QuestionError, match=message):
        tutor.ask(question)


# ------------------------------------------------------------------------------------------ citations


def test_markers_that_point_nowhere_are_removed() -> None:
    text = "Scaling keeps gradients alive [2]. Positions use sinusoids [7][1]. Also [12] ."
    assert drop_unknown_markers(text, {1, 2}) == "Scaling keeps gradients alive [2]. Positions use sinusoids [1]. Also."


def test_sentinel_is_never_shown_while_streaming() -> None:
    pieces = list(_hold_back_sentinel(iter(["NOT_COV", "ERED_BY_", "READINGS"])))
    assert pieces == [CANNOT_ANSWER]
    assert list(_hold_back_sentinel(iter(["NOT", " really"]))) == ["NOT really"]


class SentinelBackend:
    """Stands in for a model that decides the sources do not answer (the part under test is the tutor)."""

    name = "openai"

    def stream(self, ctx: AnswerContext) -> Iterator[str]:
        yield from [CANNOT_ANSWER[:5], CANNOT_ANSWER[5:]]


def test_model_saying_not_covered_becomes_a_refusal(tutor: Tutor) -> None:
    pieces = list(tutor.stream("Why divide by the square root of d_k?", backend=SentinelBackend()))
    answer = pieces[-1]
    assert isinstance(answer, Answer) and not answer.covered
    assert all(CANNOT_ANSWER not in p for p in pieces[:-1] if isinstance(p, str))


# The LLM backends (openai, local) are tested in tests/test_llm_*.py with a real model.


# ------------------------------------------------------------------------------------------ CLI


def run_cli(indexed: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTOR_")}
    env |= {"TUTOR_DATA_DIR": str(indexed.data.dir), "TUTOR_DATA_CORPUS": str(indexed.data.corpus)}
    return subprocess.run([sys.executable, "-m", "tutor", *args], capture_output=True, text=True, env=env, timeout=300)


def test_ask_json_is_exactly_one_object_in_the_documented_shape(indexed: Settings) -> None:
    done = run_cli(indexed, "ask", "为什么要除以根号 d_k？", "--level", "intermediate", "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert {
        "id",
        "question",
        "level",
        "language",
        "backend",
        "covered",
        "answer",
        "direct",
        "background",
        "evidence",
        "topic",
        "facet",
        "follow_up",
        "citations",
        "read_next",
        "retrieved",
        "timings_ms",
    } <= set(payload)
    assert (payload["level"], payload["language"], payload["backend"]) == ("intermediate", "zh", "extractive")
    assert payload["covered"] is True and payload["answer"].startswith(payload["direct"])
    assert set(payload["citations"][0]) == {
        "n",
        "reading_id",
        "title",
        "authors",
        "section",
        "page",
        "url",
        "quote",
        "kind",
        "ocr",
    }
    assert [c["n"] for c in payload["citations"]] == list(range(1, len(payload["citations"]) + 1))
    assert set(payload["read_next"][0]) == {"reading_id", "title", "section", "why", "question"}
    assert set(payload["retrieved"][0]) == {"reading_id", "section", "page", "score"}
    assert set(payload["timings_ms"]) == {"retrieve", "generate", "total"}
    assert {c["n"] for c in payload["citations"]} >= set(markers_in(payload["answer"]))


def test_ask_without_json_prints_the_answer_and_its_sources(indexed: Settings) -> None:
    done = run_cli(indexed, "ask", "What is the degradation problem?")
    assert done.returncode == 0, done.stderr
    assert "Sources" in done.stdout and "Deep Residual Learning" in done.stdout and "Read next" in done.stdout
    assert "(tutor notes)" in done.stdout and "“”" not in done.stdout  # a cited note has no quote to show


@pytest.mark.parametrize("question", [pytest.param("", id="empty"), pytest.param("x" * 2001, id="overlong")])
def test_ask_rejects_bad_questions_with_a_non_zero_exit(indexed: Settings, question: str) -> None:
    done = run_cli(indexed, "ask", question)
    assert done.returncode != 0
    assert "Error:" in done.stderr and "Traceback" not in done.stderr


def test_eval_scores_answers_with_history_and_facts(indexed: Settings, tmp_path: Path) -> None:
    rows = [
        {
            "id": "a",
            "question": "Why scale by the square root of d_k?",
            "lang": "en",
            "level": "expert",
            "expected": ["vaswani2017-attention"],
            "facts": [["softmax"], ["variance", "no such word"]],
        },
        {
            "id": "b",
            "question": "退化问题是过拟合造成的吗？",
            "lang": "zh",
            "level": "beginner",
            "expected": ["he2015-resnet", "note-residual-connections"],
            "facts": [["训练误差"], ["this fact is missing"]],
        },
        {
            "id": "c",
            "question": "and why does that help training?",
            "lang": "en",
            "level": "beginner",
            "expected": ["note-scaled-dot-product-attention"],
            "facts": [["gradient"]],
            "history": ["Why divide the scores by the square root of d_k?"],
            "tags": ["conversation", "follow-up"],
        },
        {
            "id": "d",
            "question": "How do I fix a leaking kitchen tap?",
            "lang": "en",
            "level": "beginner",
            "expected": [],
            "history": ["Why divide the scores by the square root of d_k?"],
            "tags": ["conversation", "off-topic"],
        },
    ]
    questions = tmp_path / "q.jsonl"
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    done = run_cli(indexed, "eval", str(questions), "--json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line.get("id") for line in lines[:4]] == ["a", "b", "c", "d"]
    assert lines[1]["facts_covered"] == [True, False]
    assert lines[2]["follow_up"] and lines[2]["facet"].endswith(":why-helps-training")
    summary = lines[-1]
    assert summary["all"]["hit@5"] == 1.0 and summary["all"]["refusals"] == 1.0
    assert summary["all"]["facts_coverage"] == pytest.approx((1 + 0.5 + 1) / 3, abs=0.01)
    assert summary["all"]["facts_full"] == pytest.approx(2 / 3, abs=0.01)
    assert summary["conversation_on_topic"] == 1.0 and summary["all"]["junk_quote_rate"] == 0.0
    assert set(summary["by_language"]) == {"en", "zh"}
    table = run_cli(indexed, "eval", str(questions))
    assert "facts full" in table.stdout and "Conversation cases on the right topic" in table.stdout


def test_eval_rejects_a_wrong_field_with_a_clear_message(indexed: Settings, tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    row = {"id": "a", "question": "Why?", "lang": "en", "level": "beginner", "expected": [], "fact": [["x"]]}
    questions.write_text(json.dumps(row) + "\n", encoding="utf-8")
    done = run_cli(indexed, "eval", str(questions))
    assert done.returncode != 0 and "q.jsonl:1" in done.stderr and "fact" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_library_answers_like_the_command(indexed: Settings) -> None:
    import tutor

    answer = tutor.ask("Why divide by the square root of d_k in attention?", level="expert", settings=indexed)
    assert answer.covered and "SQRT-DEEPER" in answer.text and answer.backend == "extractive"
