"""Issue 20 without a browser: the placement check on the real practice items, starting mastery, prerequisites as
advice, progress that moves with every answer, items about the tool kept out of the quiz, review dates in the
learner's language and time zone, and feedback whose ticks agree with its verdict."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tutor.config import Settings
from tutor.study import StudyService
from tutor.study.grading import Grade, PointResult
from tutor.study.items import Item, McqItem, OpenItem
from tutor.study.mastery import MASTERED, PLACED, mastery_from
from tutor.ui import study_view as sv

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def service(settings: Settings) -> StudyService:
    """The real corpus (notes, practice items) and a fresh database; multiple choice needs no model."""
    settings.data.corpus = REPO / "corpus"
    return StudyService.from_settings(settings, embeddings=None)


def right_answers(items: list[Item]) -> dict[str, str]:
    return {i.id: i.body.answer for i in items if isinstance(i.body, McqItem)}


def wrong_answers(items: list[Item]) -> dict[str, str]:
    return {i.id: next(x for x in i.body.letters if x != i.body.answer) for i in items if isinstance(i.body, McqItem)}


# ------------------------------------------------------------------------------------------ placement


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_placement_check_is_about_eight_items_across_the_stages_in_the_learners_language(
    service: StudyService, lang: str
) -> None:
    items = service.placement_items(lang)
    assert 6 <= len(items) <= 10
    assert all(i.lang == lang and i.kind == "mcq" and i.quiz for i in items)
    stages = [service.path.by_id[i.concept].stage for i in items]
    assert stages == sorted(stages, key=service.path.stage_order.__getitem__), "in path order"
    assert {"foundations", "boosting-residual", "attention", "llms"} <= set(stages)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_learner_who_gets_the_foundations_right_starts_at_stage_2(service: StudyService, lang: str) -> None:
    items = service.placement_items(lang)
    foundations = [i for i in items if service.path.by_id[i.concept].stage == "foundations"]
    answers = right_answers(foundations) | wrong_answers([i for i in items if i not in foundations])
    result = service.place("ada", answers, lang)
    assert result.stage == "foundations" and result.score == len(foundations)
    report = service.progress("ada")
    first = next(s for s in report.stages if s.stage == "foundations")
    assert first.mastered == first.total > 0, "the foundations count as known"
    assert report.current_stage == "boosting-residual"
    proposal = service.next("ada", lang=lang)
    assert service.path.by_id[proposal.item.concept].stage == "boosting-residual"
    assert service.repo.count_attempts() == 0, "placement answers are not practice attempts (no reviews due)"


def test_knowing_attention_but_not_the_foundations_places_nowhere(service: StudyService) -> None:
    items = service.placement_items("en")
    foundations = [i for i in items if service.path.by_id[i.concept].stage == "foundations"]
    result = service.place("bob", wrong_answers(foundations[:1]) | right_answers(items[1:]), "en")
    assert result.stage == "" and not result.placed
    assert service.progress("bob").current_stage in ("", "foundations")
    assert service.path.by_id[service.next("bob").item.concept].stage == "foundations"


def test_skipping_the_placement_starts_at_the_beginning_and_is_remembered(service: StudyService) -> None:
    service.skip_placement("cy")
    placement = service.placement("cy")
    assert placement is not None and placement.stage == ""
    assert service.progress("cy").stages[0].mastered == 0
    service.reset("cy")
    assert service.placement("cy") is None, "a reset offers the check again"


def test_placement_survives_export_and_import(service: StudyService, settings: Settings, tmp_path: Path) -> None:
    items = service.placement_items("en")
    service.place("ada", right_answers(items[:5]), "en")
    service.answer("ada", items[0].id, wrong_answers(items[:1])[items[0].id])
    record = service.export("ada")
    assert record["placement"]["stage"] == "boosting-residual"
    other = tmp_path / "elsewhere"
    settings.data.dir = other
    elsewhere = StudyService.from_settings(settings, embeddings=None)
    elsewhere.import_record(json.dumps(record))
    before = {c.id: c.mastery for c in service.progress("ada").concepts}
    after = {c.id: c.mastery for c in elsewhere.progress("ada").concepts}
    assert after == before


def test_a_placed_concept_starts_mastered_and_the_learners_answers_soon_outweigh_it() -> None:
    assert mastery_from([], PLACED) == PLACED >= MASTERED
    assert mastery_from([0.0], PLACED) < 0.4, "one wrong answer: no longer mastered"
    assert mastery_from([1.0], PLACED) > PLACED
    assert mastery_from([1.0, 1.0, 1.0]) == mastery_from([1.0, 1.0, 1.0], 0.0), "no placement: as before"


# ------------------------------------------------------------------------------------------ quiz and progress


def test_items_about_the_tool_are_never_proposed_nor_counted(service: StudyService) -> None:
    proposal = service.next("dee", lang="en")
    assert proposal.item.concept != "note-orientation"
    assert "reading path" not in proposal.item.question.lower()
    report = service.progress("dee")
    orientation = next(c for c in report.concepts if c.id == "note-orientation")
    assert not orientation.quiz
    foundations = next(s for s in report.stages if s.stage == "foundations")
    assert foundations.total == sum(1 for c in report.concepts if c.stage == "foundations" and c.quiz)
    chosen = service.next("dee", "orientation", "en")
    assert chosen.item.concept == "note-orientation", "it can still be practised when chosen"


def test_progress_moves_with_every_right_answer_and_the_stage_count_follows(service: StudyService) -> None:
    concept = "note-model-evaluation"
    items = [i for i in service.bank.for_concept(concept, "en") if isinstance(i.body, McqItem)]
    seen, counts = [], []
    for item in (items * 3)[:10]:
        service.answer("eve", item.id, item.body.answer)
        report = service.progress("eve")
        seen.append(next(c.mastery for c in report.concepts if c.id == concept))
        counts.append(next(s for s in report.stages if s.stage == "foundations").mean_mastery)
    assert all(b > a for a, b in zip(seen, seen[1:], strict=False)), seen
    assert all(b > a for a, b in zip(counts, counts[1:], strict=False)), "the stage's bar moves every time"
    assert next(s for s in service.progress("eve").stages if s.stage == "foundations").mastered == 1


def test_prerequisites_are_advice_never_a_lock(service: StudyService) -> None:
    report = service.progress("fay", empty_if_new=True)
    kv = next(c for c in report.concepts if c.id == "note-kv-cache")
    assert kv.advice == "review_first" and kv.review_first
    first = next(c for c in report.concepts if c.id == "note-model-evaluation")
    assert first.advice == "ready"
    assert service.next("fay", "kv-cache", "zh").item.concept == "note-kv-cache"
    titles = {c.id: c.title_en for c in report.concepts}
    assert sv.advice(kv, titles, "en").startswith("review ") and "first" in sv.advice(kv, titles, "en")
    html = sv.progress_html(report, "zh", service.path.stage_order)
    assert "locked" not in html and "建议先复习" in html and "可以开始" in html


# ------------------------------------------------------------------------------------------ dates and feedback


@pytest.mark.parametrize(
    ("delta", "lang", "expected"),
    [
        pytest.param(timedelta(minutes=10), "en", "in 10 minutes", id="minutes-en"),
        pytest.param(timedelta(minutes=10), "zh", "10 分钟后", id="minutes-zh"),
        pytest.param(timedelta(days=2, hours=1), "en", "in 2 days (Tue 3 Mar, 18:00)", id="days-en"),
        pytest.param(timedelta(days=2, hours=1), "zh", "2 天后（3月3日 周二 18:00）", id="days-zh"),
        pytest.param(timedelta(hours=14), "en", "tomorrow (Mon 2 Mar, 07:00)", id="tomorrow-by-the-learners-clock"),
    ],
)
def test_review_dates_are_relative_in_the_learners_language_and_zone(
    delta: timedelta, lang: str, expected: str
) -> None:
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
    shown = sv.when(now + delta, now, lang, sv.zone("Asia/Shanghai"))
    assert shown == expected
    assert "UTC" not in shown and "T" not in shown.replace("Tue", "")


def test_an_unknown_zone_falls_back_to_utc() -> None:
    assert str(sv.zone("Mars/Olympus")) == "UTC" and str(sv.zone("../../etc/passwd")) == "UTC"


def _open_grade(item: Item, hits: list[bool], correct: bool) -> Grade:
    assert isinstance(item.body, OpenItem)
    points = [
        PointResult(kp.point, hit, 1, 1, 0.5, False, "") for kp, hit in zip(item.body.key_points, hits, strict=False)
    ]
    return Grade(
        item.id,
        correct,
        sum(hits) / len(points),
        [p.point for p in points if p.hit],
        [p.point for p in points if not p.hit],
        [],
        item.body.reference,
        points=points,
    )


def test_free_text_ticks_agree_with_the_verdict(service: StudyService) -> None:
    item = next(i for i in service.bank.items if isinstance(i.body, OpenItem) and len(i.body.key_points) == 3)
    links = sv.Links(service.readings, service.where, lambda _: False)
    passing = sv.feedback_markdown(
        item, "…", _open_grade(item, [True, True, False], True), "X", (0, 0.6), "now", links, "en"
    )
    assert "✓ Right in the main · 2 of 3 key points" in passing and "✗" not in passing and "○" in passing
    failing = sv.feedback_markdown(
        item, "…", _open_grade(item, [True, False, False], False), "X", (0, 0.3), "now", links, "en"
    )
    assert "✗ Not yet · 1 of 3 key points" in failing and failing.count("- ✗") == 2


def test_a_wrong_choice_is_shown_as_the_choice_then_why_it_is_wrong(service: StudyService) -> None:
    item = service.item("model-evaluation.zh.p1")
    assert isinstance(item.body, McqItem)
    grade = service.grader.grade(item, "A")
    links = sv.Links(service.readings, service.where, lambda _: False)
    text = sv.feedback_markdown(item, "A", grade, "模型评估", (0, 0), "现在", links, "zh")
    assert f"**你的选择：** A. {item.body.choices[0]} ✗" in text
    assert f"**为什么不对：** {item.body.why_wrong['A']}" in text
    assert "正确答案：** B." in text and "ask-about" in text and "#ask:" in text
