"""Study mode as a library and a command: items, next, answer, mastery, prerequisites, records.

Every test uses a real SQLite file and a small corpus written here (four concepts with a prerequisite
chain), so the behaviour under test does not move when the real practice files change.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tutor.config import Settings
from tutor.errors import ConfigError
from tutor.study import DatabaseError, StudyError, StudyService
from tutor.study.db import MIGRATIONS, SCHEMA_VERSION, SqliteRepository
from tutor.study.items import Item, McqItem, load_practice_file

REPO = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------------------------------ a corpus

NOTES = {
    "residual-connections": ("boosting-residual", "Residual connections", "残差连接", []),
    "seq2seq": ("attention", "Sequence to sequence", "序列到序列", []),
    "softmax": ("further", "Softmax", "Softmax 函数", []),
    "bahdanau-attention": ("attention", "Bahdanau attention", "Bahdanau 注意力", ["note-seq2seq", "note-softmax"]),
}
READS = {
    "residual-connections": '{ id = "he2015-resnet", section = "3.1. Residual Learning", page = 3 }',
    "seq2seq": '{ id = "bahdanau2014-nmt", section = "2 Background: Neural Machine Translation", page = 2 }',
    "softmax": '{ id = "vaswani2017-attention", section = "3.4 Embeddings and Softmax", page = 5 }',
    "bahdanau-attention": '{ id = "bahdanau2014-nmt", section = "3.1 Decoder: General Description", page = 3 }',
}


def _mcq(n: int, source: str, right: int = 1) -> str:
    letters = "ABCD"
    why = ", ".join(f'{letters[i]} = "Choice {i} is not it, for reason {i}."' for i in range(4) if i != right)
    return f"""
[[mcq]]
id = "m{n}"
level = "{["beginner", "beginner", "intermediate", "expert"][n % 4]}"
question = "Question {n}: which choice is right?"
choices = ["choice zero", "choice one", "choice two", "choice three"]
answer = "{letters[right]}"
explain = "Choice one is right because of the reading."
why_wrong = {{ {why} }}
source = {source}
"""


RESIDUAL_OPEN_EN = """
[[open]]
id = "o1"
level = "intermediate"
question = "What is the degradation problem, and why is it not overfitting?"
reference = "Deeper plain nets have higher training error, not only test error, so it is not overfitting."
source = { id = "he2015-resnet", section = "1. Introduction (the degradation problem)", page = 1 }

[[open.key_points]]
point = "Training error rises as plain networks get deeper"
terms = [
  ["training error", "training accuracy", "训练误差", "训练错误率", "训练集上的误差"],
  ["deeper", "more layers", "depth", "更深", "层数"],
]

[[open.key_points]]
point = "So it is not overfitting"
terms = [["overfit", "过拟合"]]
polarity = "negative"

[[open]]
id = "o2"
level = "beginner"
question = "What does a residual block learn instead of the full mapping?"
reference = "It learns the residual F(x) = H(x) - x; an identity shortcut adds the input x back."
source = { id = "he2015-resnet", section = "3.1. Residual Learning", page = 3 }

[[open.key_points]]
point = "The layers learn a residual: the difference from the input"
terms = [["residual", "difference", "残差", "差值"]]

[[open.key_points]]
point = "The input is added back through an identity shortcut"
terms = [["shortcut", "skip", "identity", "捷径", "跳跃连接", "恒等"]]
"""


def practice_toml(slug: str, lang: str) -> str:
    source = READS[slug]
    body = f'note = "note-{slug}"\n' + "".join(_mcq(n, source) for n in range(1, 5))
    if slug == "residual-connections" and lang == "en":
        return body + RESIDUAL_OPEN_EN
    for n in (1, 2):
        body += f"""
[[open]]
id = "o{n}"
level = "expert"
question = "Open question {n} about {slug}?"
reference = "A reference answer about {slug} that mentions the key term."
source = {source}

[[open.key_points]]
point = "Mentions {slug}"
terms = [["{slug}", "{slug.replace("-", " ")}"]]
"""
    return body


def build_study_corpus(root: Path, langs: tuple[str, ...] = ("en", "zh")) -> Path:
    """readings and glossary copied from the real corpus; notes and practice files written here."""
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(REPO / "corpus" / "readings.toml", corpus / "readings.toml")
    shutil.copy(REPO / "corpus" / "glossary.toml", corpus / "glossary.toml")
    for lang in ("en", "zh"):
        (corpus / "notes" / lang).mkdir(parents=True)
        (corpus / "practice" / lang).mkdir(parents=True)
        for slug, (stage, en, zh, prereqs) in NOTES.items():
            front = (
                f'+++\nid = "note-{slug}"\nstage = "{stage}"\ntitle_en = "{en}"\ntitle_zh = "{zh}"\n'
                f"readings = [{READS[slug]}]\nprerequisites = {json.dumps(prereqs)}\nterms = []\n+++\n"
            )
            (corpus / "notes" / lang / f"{slug}.md").write_text(front + f"\n# {en}\n", encoding="utf-8")
            if lang in langs:
                (corpus / "practice" / lang / f"{slug}.toml").write_text(practice_toml(slug, lang), encoding="utf-8")
    return corpus


class Clock:
    """A clock the test moves by hand, to make reviews fall due without waiting."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def study_settings(settings: Settings, tmp_path: Path) -> Settings:
    settings.data.corpus = build_study_corpus(tmp_path)
    return settings


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(study_settings: Settings, clock: Clock, embeddings: object) -> StudyService:
    return StudyService.from_settings(study_settings, embeddings=embeddings, clock=clock)  # type: ignore[arg-type]


def right_reply(item: Item) -> str:
    return item.body.answer if isinstance(item.body, McqItem) else item.body.reference


def answer_right(service: StudyService, learner: str, concept: str, times: int = 3) -> float:
    mastery = 0.0
    for _ in range(times):
        item = service.next(learner, concept=concept).item
        mastery = service.answer(learner, item.id, right_reply(item)).mastery
    return mastery


# ------------------------------------------------------------------------------------------ items


def test_practice_files_load_with_full_item_ids(service: StudyService) -> None:
    item = service.item("residual-connections.en.m1")
    assert item.concept == "note-residual-connections" and item.kind == "mcq" and item.lang == "en"
    assert len(service.bank.for_concept("note-softmax", "zh")) == 6


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(('answer = "B"', 'answer = "E"'), "exactly one letter", id="answer-not-a-choice"),
        pytest.param(('answer = "B"', 'answer = "BC"'), "exactly one letter", id="two-answers"),
        pytest.param(
            ('A = "Choice 0 is not it, for reason 0.", ', ""), "lacks an explanation for choice", id="why-wrong"
        ),
        pytest.param(('id = "he2015-resnet"', 'id = "he2099-nothing"'), "unknown reading", id="unknown-reading"),
        pytest.param(('terms = [["softmax"', 'terms = [[], ["softmax"'), "at least one", id="empty-terms"),
        pytest.param(('id = "m2"', 'id = "m1"'), "appears twice", id="duplicate-id"),
    ],
)
def test_a_broken_practice_file_names_the_file_and_the_fix(
    tmp_path: Path, readings: object, change: tuple[str, str], message: str
) -> None:
    slug = "softmax" if "terms" in change[0] else "residual-connections"
    text = practice_toml(slug, "zh").replace(*change, 1)
    if change[0].startswith('id = "he2015'):
        text = practice_toml(slug, "zh").replace(*change)
    path = tmp_path / f"{slug}.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_practice_file(path, "zh", readings)  # type: ignore[arg-type]
    assert str(path) in str(info.value)


# ------------------------------------------------------------------------------------------ next, answer


def test_next_starts_at_the_beginning_of_the_path_and_says_why(service: StudyService) -> None:
    proposal = service.next("ada")
    assert proposal.item.id == "residual-connections.en.m1", "boosting stage first; beginner multiple choice first"
    data = proposal.as_json()
    assert list(data) == ["item_id", "concept", "kind", "question", "choices", "level", "due_reviews", "why"]
    assert data["choices"][1] == "B. choice one" and data["due_reviews"] == 0
    assert "Residual connections" in data["why"] and "He et al. 2015, §3.1. Residual Learning, p. 3" in data["why"]


def test_mastery_rises_after_right_answers_and_falls_after_a_wrong_one(service: StudyService) -> None:
    seen = []
    for _ in range(3):
        item = service.next("ada", concept="softmax").item
        seen.append(service.answer("ada", item.id, "B").mastery)
    assert seen[0] < seen[1] < seen[2] and seen[2] >= 0.8
    fallen = service.answer("ada", "softmax.en.m4", "A")
    assert fallen.mastery < seen[2] and not fallen.grade.correct
    assert fallen.grade.read[0].id == "vaswani2017-attention" and fallen.grade.chosen_wrong.startswith("Choice 0")


def test_prerequisites_unlock_the_next_concept(service: StudyService) -> None:
    assert answer_right(service, "ada", "residual-connections") >= 0.8
    assert service.next("ada").item.concept == "note-seq2seq"
    answer_right(service, "ada", "seq2seq")
    assert not next(c for c in service.progress("ada").concepts if c.id == "note-bahdanau-attention").ready
    assert service.next("ada").item.concept == "note-softmax", "the missing prerequisite comes before what needs it"
    answer_right(service, "ada", "softmax")
    proposal = service.next("ada")
    assert proposal.item.concept == "note-bahdanau-attention" and proposal.reason == "new"
    assert proposal.why.startswith("You know Sequence to sequence and Softmax; next: Bahdanau attention")
    assert "Bahdanau et al. 2014, §3.1 Decoder: General Description, p. 3" in proposal.why
    assert next(c for c in service.progress("ada").concepts if c.id == "note-bahdanau-attention").ready


def test_next_explains_in_chinese_for_chinese_items(service: StudyService) -> None:
    answer_right(service, "li", "seq2seq")
    answer_right(service, "li", "softmax")
    proposal = service.next("li", concept="bahdanau-attention", lang="zh")
    assert proposal.item.id.startswith("bahdanau-attention.zh.")
    assert "你选择了 Bahdanau 注意力" in proposal.why and "第 3 页" in proposal.why


def test_two_learners_interleaved_keep_separate_records(service: StudyService) -> None:
    for _ in range(3):
        a = service.next("ada").item
        b = service.next("bob").item
        service.answer("ada", a.id, right_reply(a))
        service.answer("bob", b.id, "D")
    ada, bob = service.progress("ada"), service.progress("bob")
    assert next(c for c in ada.concepts if c.id == "note-residual-connections").mastery >= 0.8
    assert next(c for c in bob.concepts if c.id == "note-residual-connections").mastery == 0
    assert service.repo.count_attempts() == 6
    assert "D" not in {a["answer"] for a in service.export("ada")["attempts"]}
    assert {a["answer"] for a in service.export("bob")["attempts"]} == {"D"}


def test_a_due_review_comes_before_new_concepts(service: StudyService, clock: Clock) -> None:
    answer_right(service, "ada", "softmax")
    assert service.next("ada").reason == "new"
    clock.advance(days=60)
    proposal = service.next("ada")
    assert proposal.reason == "review" and proposal.item.concept == "note-softmax" and proposal.due_reviews == 1
    assert proposal.why.startswith("Review due since")
    assert next(c for c in service.progress("ada").concepts if c.id == "note-softmax").due


def test_items_rotate_and_a_missed_item_comes_back(service: StudyService) -> None:
    first = service.next("ada", concept="softmax").item
    service.answer("ada", first.id, "C")
    asked = [first.id]
    for _ in range(5):
        item = service.next("ada", concept="softmax").item
        asked.append(item.id)
        service.answer("ada", item.id, right_reply(item))
    assert len(set(asked)) == 6, "every item once before any repeats"
    assert service.next("ada", concept="softmax").item.id == first.id, "then the one answered wrong"


def test_open_answer_is_graded_by_key_points_with_where_to_read(service: StudyService) -> None:
    result = service.answer(
        "ada",
        "residual-connections.en.o1",
        "Deeper plain networks have higher training error, so it is not overfitting but an optimisation problem.",
    )
    assert result.grade.correct and result.grade.score == 1.0 and result.grade.missed == []
    wrong = service.answer(
        "ada",
        "residual-connections.en.o1",
        "It is overfitting: the deeper network memorises the training set, so its training error is lower.",
    )
    assert not wrong.grade.correct
    assert wrong.as_json()["read"] == [
        {"reading_id": "he2015-resnet", "section": "1. Introduction (the degradation problem)", "page": 1}
    ]


@pytest.mark.slow
def test_a_chinese_open_answer_to_an_english_item(service: StudyService) -> None:
    result = service.answer(
        "li", "residual-connections.en.o1", "网络更深以后，训练误差反而上升了，所以这不是过拟合，而是优化更难。"
    )
    assert result.grade.correct, result.grade.points
    assert result.grade.answer_lang == "zh" and result.grade.missed == []
    half = service.answer("li", "residual-connections.en.o2", "它学习的是残差，也就是和输入的差值。")
    assert half.grade.hit == ["The layers learn a residual: the difference from the input"]
    assert half.grade.missed == ["The input is added back through an identity shortcut"] and not half.grade.correct


def test_answer_json_is_the_stable_contract(service: StudyService) -> None:
    data = service.answer("ada", "softmax.en.m1", "b").as_json()
    assert list(data) == ["item_id", "correct", "score", "hit", "missed", "read", "mastery", "next_review"]
    assert data["correct"] is True and data["score"] == 1.0 and data["read"] == []
    assert data["mastery"] == {"note-softmax": pytest.approx(0.588, abs=0.001)}
    assert datetime.fromisoformat(data["next_review"]) > datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


# ------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda s: s.answer("ada", "nope.en.m1", "B"), "Unknown item id 'nope.en.m1'", id="unknown-item"),
        pytest.param(lambda s: s.answer("ada", "softmax.en.m1", "   "), "is empty", id="empty-answer"),
        pytest.param(lambda s: s.answer("ada", "softmax.en.m1", "Z"), "one letter of A, B, C, D", id="bad-letter"),
        pytest.param(lambda s: s.progress("nobody"), "No study record for learner 'nobody'", id="unknown-learner"),
        pytest.param(lambda s: s.export("nobody"), "No study record", id="export-unknown-learner"),
        pytest.param(lambda s: s.reset("nobody"), "No study record", id="reset-unknown-learner"),
        pytest.param(lambda s: s.next("two words"), "not usable", id="bad-learner-name"),
        pytest.param(lambda s: s.next("ada", concept="quantum"), "Unknown concept 'quantum'", id="unknown-concept"),
        pytest.param(lambda s: s.import_record("{}"), "not a tutor study record", id="bad-import"),
        pytest.param(lambda s: s.mark_read("ada", "he2015-resnet", ["9 Nope"]), "has no section", id="bad-section"),
    ],
)
def test_bad_requests_get_clear_errors(
    service: StudyService, call: Callable[[StudyService], object], message: str
) -> None:
    with pytest.raises(StudyError, match=message):
        call(service)


def test_a_corrupt_database_gets_a_clear_error_and_is_left_alone(study_settings: Settings) -> None:
    study_settings.data.dir.mkdir(parents=True)
    db = study_settings.data.dir / "study.sqlite3"
    db.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(DatabaseError, match="damaged or not a tutor database.*mv .*study.sqlite3.bad"):
        StudyService.from_settings(study_settings)
    assert db.read_bytes().startswith(b"this is not sqlite"), "never overwritten"


def test_a_database_from_a_newer_tutor_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "study.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(DatabaseError, match="newer than this tutor understands"):
        SqliteRepository(db)


def test_an_older_schema_is_migrated_and_its_records_kept(tmp_path: Path) -> None:
    db = tmp_path / "study.sqlite3"
    conn = sqlite3.connect(db)
    conn.executescript(MIGRATIONS[0][1])
    conn.execute("INSERT INTO learners (name, created_at) VALUES ('ada', '2025-01-01T00:00:00+00:00')")
    conn.execute(
        "INSERT INTO attempts (learner_id, item_id, concept, kind, answer, correct, score, created_at) "
        "VALUES (1, 'softmax.en.m1', 'note-softmax', 'mcq', 'B', 1, 1.0, '2025-01-01T00:00:00+00:00')"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    repo = SqliteRepository(db)
    assert repo.schema_version() == SCHEMA_VERSION
    assert repo.count_attempts(repo.learner_id("ada")) == 1
    repo.add_exposure(1, "note-softmax", "2025-01-02T00:00:00+00:00")
    assert repo.exposures(1) == [("note-softmax", "2025-01-02T00:00:00+00:00")]
    backup = tmp_path / "study.sqlite3.v1.bak"
    with sqlite3.connect(backup) as copy:
        assert copy.execute("PRAGMA user_version").fetchone()[0] == 1
        assert copy.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 1
    with sqlite3.connect(db) as check:
        assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_foreign_sqlite_file_is_not_taken_over(tmp_path: Path) -> None:
    db = tmp_path / "study.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER)")
    with pytest.raises(DatabaseError, match="not a tutor study database"):
        SqliteRepository(db)


# ------------------------------------------------------------------------------------------ records


def test_export_then_import_elsewhere_rebuilds_the_same_progress(
    service: StudyService, study_settings: Settings, tmp_path: Path, clock: Clock
) -> None:
    answer_right(service, "ada", "softmax")
    service.answer("ada", "seq2seq.en.m1", "A")
    service.record_exposure("ada", "seq2seq")
    service.mark_read("ada", "he2015-resnet", ["3.1. Residual Learning"])
    record = service.export("ada")
    elsewhere = study_settings.model_copy(deep=True)
    elsewhere.data.dir = tmp_path / "elsewhere"
    other = StudyService.from_settings(elsewhere, clock=clock)
    assert other.import_record(json.dumps(record), learner="ada-laptop") == "ada-laptop"
    assert other.import_record(record, learner="ada-laptop") == "ada-laptop"
    assert other.progress("ada-laptop").as_json() == service.progress("ada").as_json()
    assert other.repo.count_attempts() == 4, "importing twice adds nothing"
    assert other.progress("ada-laptop").read == {("he2015-resnet", "3.1. Residual Learning")}
    assert next(c for c in other.progress("ada-laptop").concepts if c.id == "note-seq2seq").exposures == 1


def test_chat_questions_count_as_exposure_not_mastery(service: StudyService) -> None:
    for _ in range(5):
        service.record_exposure("ada", "note-softmax")
    softmax = next(c for c in service.progress("ada").concepts if c.id == "note-softmax")
    assert softmax.exposures == 5 and softmax.mastery == 0 and softmax.attempts == 0


def test_sections_read_show_per_stage_and_can_be_unmarked(service: StudyService) -> None:
    service.mark_read("ada", "he2015-resnet", ["3.1. Residual Learning", "3.2. Identity Mapping by Shortcuts"])
    stage = next(s for s in service.progress("ada").stages if s.stage == "boosting-residual")
    assert stage.sections_read == 2 and stage.sections_total >= 3
    service.mark_read("ada", "he2015-resnet", ["3.1. Residual Learning"])
    assert service.progress("ada").read == {("he2015-resnet", "3.1. Residual Learning")}


def test_reset_forgets_everything_but_the_name(service: StudyService) -> None:
    answer_right(service, "ada", "softmax")
    service.reset("ada")
    assert service.progress("ada").as_json()["stages"][4] == {"stage": "further", "mastered": 0, "total": 1}
    assert service.repo.count_attempts() == 0


def test_progress_json_is_the_stable_contract(service: StudyService) -> None:
    answer_right(service, "ada", "softmax")
    data = service.progress("ada").as_json()
    assert list(data) == ["stages", "concepts"]
    assert [s["stage"] for s in data["stages"]] == ["foundations", "boosting-residual", "attention", "llms", "further"]
    assert data["stages"][4] == {"stage": "further", "mastered": 1, "total": 1}
    first = data["concepts"][0]
    assert list(first) == ["id", "mastery", "ready", "due"]
    assert [c["id"] for c in data["concepts"]] == [
        "note-residual-connections",
        "note-seq2seq",
        "note-softmax",
        "note-bahdanau-attention",
    ]


def test_fifty_threads_answering_at_once_lose_nothing(service: StudyService) -> None:
    errors: list[BaseException] = []

    def learner(n: int) -> None:
        try:
            service.answer(f"learner{n % 10}", f"softmax.en.m{n % 4 + 1}", "B")
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=learner, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert service.repo.count_attempts() == 50
    states = [service.repo.concept_states(service.repo.learner_id(f"learner{n}") or 0) for n in range(10)]
    assert all(s["note-softmax"].attempts == 5 for s in states), "no lost updates of the schedule"


def test_several_worker_processes_share_one_database(tmp_path: Path) -> None:
    """Four processes open (and migrate) a fresh file at the same moment, then write 25 attempts each."""
    script = (
        "import sys; from pathlib import Path; from tutor.study.db import Attempt, ConceptState, SqliteRepository\n"
        "repo = SqliteRepository(Path(sys.argv[1]))\n"
        "lid = repo.ensure_learner(sys.argv[2], '2026-01-01T00:00:00+00:00')\n"
        "for n in range(25):\n"
        "    at = f'2026-01-01T00:00:{n:02d}+00:00'\n"
        "    a = Attempt(f'softmax.en.m{n % 4 + 1}', 'note-softmax', 'mcq', 'B', True, 1.0, at)\n"
        "    repo.record_attempt(lid, a, lambda s, p: ConceptState('note-softmax', 1.0, len(s), '{}', a.created_at))\n"
    )
    db = tmp_path / "study.sqlite3"
    procs = [subprocess.Popen([sys.executable, "-c", script, str(db), f"worker{n}"]) for n in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    repo = SqliteRepository(db)
    assert repo.count_attempts() == 100 and repo.schema_version() == SCHEMA_VERSION
    assert sorted(repo.learners()) == ["worker0", "worker1", "worker2", "worker3"]


# ------------------------------------------------------------------------------------------ the command


@pytest.fixture
def cli(study_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Callable[..., object]:
    from tutor.cli import main

    monkeypatch.setenv("TUTOR_DATA_CORPUS", str(study_settings.data.corpus))
    runner = CliRunner()

    def run(*args: str) -> object:
        return runner.invoke(main, ["study", *args], catch_exceptions=False)

    return run


def test_cli_next_answer_progress_speak_stable_json(cli: Callable[..., object]) -> None:
    proposal = json.loads(cli("next", "--learner", "ada", "--json").output)  # type: ignore[attr-defined]
    assert proposal["item_id"] == "residual-connections.en.m1" and proposal["kind"] == "mcq"
    result = json.loads(cli("answer", proposal["item_id"], "B", "--learner", "ada", "--json").output)  # type: ignore[attr-defined]
    assert result["correct"] is True and result["mastery"] == {"note-residual-connections": 0.588}
    progress = json.loads(cli("progress", "--learner", "ada", "--json").output)  # type: ignore[attr-defined]
    assert progress["concepts"][0] == {"id": "note-residual-connections", "mastery": 0.588, "ready": True, "due": False}


def test_cli_errors_are_one_line_messages(study_settings: Settings) -> None:
    env = dict(os.environ)
    env["TUTOR_DATA_CORPUS"] = str(study_settings.data.corpus)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "tutor", "study", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    out = run("answer", "nope.en.m1", "B", "--learner", "ada", "--json")
    assert out.returncode == 1 and "Unknown item id 'nope.en.m1'" in out.stderr and out.stdout == ""
    out = run("progress", "--learner", "ghost", "--json")
    assert out.returncode == 1 and "No study record for learner 'ghost'" in out.stderr
    out = run("answer", "softmax.en.m1", "", "--learner", "ada")
    assert out.returncode == 1 and "is empty" in out.stderr and "Traceback" not in out.stderr


def test_cli_export_import_reset(cli: Callable[..., object], tmp_path: Path) -> None:
    cli("answer", "softmax.en.m1", "B", "--learner", "ada")
    target = tmp_path / "ada.json"
    assert cli("export", "--learner", "ada", "-o", str(target)).exit_code == 0  # type: ignore[attr-defined]
    assert json.loads(target.read_text(encoding="utf-8"))["attempts"][0]["item_id"] == "softmax.en.m1"
    assert cli("import", str(target), "--learner", "ada2").exit_code == 0  # type: ignore[attr-defined]
    assert cli("reset", "--learner", "ada", "--yes").exit_code == 0  # type: ignore[attr-defined]
    after = json.loads(cli("progress", "--learner", "ada", "--json").output)  # type: ignore[attr-defined]
    moved = json.loads(cli("progress", "--learner", "ada2", "--json").output)  # type: ignore[attr-defined]
    assert after["concepts"][2]["mastery"] == 0 and moved["concepts"][2]["mastery"] == 0.588
