"""Grading: multiple choice exactly, open answers by key-point coverage.

One similarity threshold cannot grade a short answer (measured, see ENVIRONMENT.md): a fluent answer
that states the misconception scores almost as high as the right one, and a Chinese answer to an
English point scores ~0.2 lower than an English one. So each key point is judged on explicit signals:

1. its term groups, in either language (each group is one idea; the glossary adds the other
   language's wordings of any glossary term listed);
2. polarity: a positive point whose terms the answer denies, or a negative point ("not overfitting")
   whose term the answer asserts, is a *contradiction*, and an answer with a contradiction fails;
3. direction: a point that says something rises, where the answer says it falls, is a contradiction;
4. multilingual USE similarity between the point and the answer's closest clause, with thresholds per
   (answer language, item language) pair: too low vetoes a point made only of matched words; high
   enough accepts a paraphrase that matched most, not all, term groups.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tutor.glossary import Glossary
from tutor.lang.direction import direction_spans
from tutor.lang.negation import negation_spans
from tutor.lang.script import CJK, detect_language
from tutor.lang.sentences import CLAUSE_SPLIT, sentences_of, statements
from tutor.lang.tokens import normalise
from tutor.study.errors import StudyError
from tutor.study.items import Item, KeyPoint, McqItem, OpenItem, Source
from tutor.vectors import cosine

# ------------------------------------------------------------------------------------------ windows

_DIRECTION_WINDOW_EN = 4  # words between a term and the direction word that describes it
_DIRECTION_WINDOW_ZH = 6  # characters, likewise
_NEG_WINDOW_EN = 3  # words between a negator and the term it negates
_NEG_WINDOW_ZH = 4  # characters between a Chinese negator and its term


# ------------------------------------------------------------------------------------------ terms


def _term_pattern(term: str) -> re.Pattern[str]:
    t = normalise(term)
    if CJK.search(t):
        return re.compile(re.escape(t).replace(r"\ ", r"\s*"))
    # Latin: match at a word start; allow inflections (overfit → overfitting, recompute → recomputing)
    # unless the term is tiny.
    tail = r"(?![a-z0-9])" if len(t) <= 2 else ""
    if len(t) >= 6 and t.endswith("e") and t[-2].isalpha():
        t, tail = t[:-1], "(?:e|ing|ed|es|ation)"
    return re.compile(r"(?<![a-z0-9])" + re.escape(t).replace(r"\ ", r"\s*") + tail)


_FORMS: dict[int, list[tuple[list[str], list[str]]]] = {}


def _glossary_forms(glossary: Glossary) -> list[tuple[list[str], list[str]]]:
    """Each glossary term's forms and their normalised spelling, computed once per glossary."""
    key = id(glossary)
    if key not in _FORMS:
        _FORMS[key] = [
            (forms, [normalise(f) for f in forms]) for t in glossary.terms for forms in [[t.en, *t.variants, *t.zh]]
        ]
    return _FORMS[key]


def expand_with_glossary(group: Sequence[str], glossary: Glossary | None) -> list[str]:
    """The group's wordings plus every form of a glossary term one of them names (both languages)."""
    wordings = list(dict.fromkeys(group))
    if glossary is None:
        return wordings
    for forms, normal in _glossary_forms(glossary):
        for wording in group:
            w = normalise(wording)
            named = w in normal or (
                len(w) >= 5 and not CJK.search(w) and any(f.startswith(w) and " " not in f[len(w) :] for f in normal)
            )
            if named:
                for form in forms:
                    short = len(form) < 2 if CJK.search(form) else len(form) <= 2
                    if not short and form not in wordings:
                        wordings.append(form)
                break
    return wordings


def _gap(clause: str, start: int, end: int) -> int:
    """How far apart two positions are: words for Latin text, characters for Chinese."""
    between = clause[start:end]
    if CJK.search(between) or not between.strip():
        return len(between.replace(" ", ""))
    return len(between.split())


def _precedes(clause: str, cue_end: int, target_start: int) -> bool:
    if cue_end > target_start:
        return False
    window = _NEG_WINDOW_ZH if CJK.search(clause[cue_end:target_start] or "x") else _NEG_WINDOW_EN
    return _gap(clause, cue_end, target_start) <= window


def _is_negated(clause: str, start: int, end: int) -> bool:
    """A term is denied by a cue shortly before it ("not overfitting", "不是过拟合"), or by one after it
    when no direction word follows that cue ("overfitting is not the reason", "与过拟合无关");
    "training error does not go down" negates the direction, not the term."""
    cues = negation_spans(clause, implicit=False)
    if any(_precedes(clause, ce, start) for _, ce in cues):
        return True
    directions = direction_spans(clause)
    for cs, ce in cues:
        if cs >= end and _gap(clause, end, cs) <= _NEG_WINDOW_EN + 1 and not any(ds >= ce for ds, _, _ in directions):
            return True
    return False


def direction_near(clause: str, start: int, end: int) -> int:
    """+1 / -1 if the direction word nearest to a term (within a few words) says it goes up / down, else 0.

    A negation just before the direction word flips it ("does not go down" is up)."""
    best: tuple[int, int] | None = None
    for ds, de, sign in direction_spans(clause):
        if de <= start:
            gap = _gap(clause, de, start)
        elif ds >= end:
            gap = _gap(clause, end, ds)
        else:
            continue
        window = (
            _DIRECTION_WINDOW_ZH if CJK.search(clause[min(de, end) : max(ds, start)] or "x") else _DIRECTION_WINDOW_EN
        )
        if gap > window or (best is not None and gap >= best[0]):
            continue
        flipped = any(_precedes(clause, ce, ds) for _, ce in negation_spans(clause, implicit=False))
        best = (gap, -sign if flipped else sign)
    return best[1] if best else 0


# ------------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class PointResult:
    point: str
    hit: bool
    groups_matched: int
    groups_total: int
    similarity: float
    contradicted: bool
    why: str  # one line on the decision, for calibration and debugging


@dataclass(frozen=True)
class Grade:
    """What a learner gets back: `read` lists where to read for every missed point."""

    item_id: str
    correct: bool
    score: float
    hit: list[str]
    missed: list[str]
    read: list[Source]
    feedback: str  # the explanation for an MCQ, the reference answer for an open item
    chosen_wrong: str = ""  # why the chosen MCQ choice is wrong
    points: list[PointResult] = field(default_factory=list)
    answer_lang: str = "en"


@dataclass(frozen=True)
class Thresholds:
    """Similarity thresholds for one (answer language, item language) pair."""

    floor: float  # below this, term matches alone do not make a point (keyword stuffing, wrong context)
    paraphrase: float  # at or above this, a point with most term groups matched counts as made


@dataclass(frozen=True)
class Calibration:
    """Fitted on eval/grading.jsonl with `tutor study calibrate --fit` (see README for the numbers)."""

    pairs: dict[str, Thresholds]
    pass_mark: float = 0.6  # share of key points an answer must make to count as correct

    def for_pair(self, answer_lang: str, item_lang: str) -> Thresholds:
        return self.pairs.get(f"{answer_lang}-{item_lang}") or self.pairs["default"]


DEFAULT_CALIBRATION = Calibration(
    pairs={
        "en-en": Thresholds(floor=0.15, paraphrase=0.70),
        "zh-zh": Thresholds(floor=0.15, paraphrase=0.70),
        "zh-en": Thresholds(floor=0.08, paraphrase=0.55),
        "en-zh": Thresholds(floor=0.08, paraphrase=0.55),
        "default": Thresholds(floor=0.10, paraphrase=0.65),
    }
)


class Embedder(Protocol):
    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...


class Grader:
    """Grades answers to practice items; the embedding model is loaded on the first open answer."""

    def __init__(
        self,
        embeddings: Callable[[], Embedder] | Embedder | None,
        glossary: Glossary | None = None,
        calibration: Calibration = DEFAULT_CALIBRATION,
        max_chars: int = 2000,
    ) -> None:
        self._embeddings_factory = embeddings
        self._embedder: Embedder | None = None
        self.glossary = glossary
        self.calibration = calibration
        self.max_chars = max_chars
        self._lock = threading.Lock()
        self._point_vectors: dict[str, list[float]] = {}
        self._patterns: dict[tuple[str, ...], list[re.Pattern[str]]] = {}
        self._directions: dict[tuple[str, ...], list[int]] = {}

    def with_calibration(self, calibration: Calibration) -> Grader:
        """The same grader (model, glossary, caches) with other thresholds."""
        other = Grader(self.embedder, self.glossary, calibration, self.max_chars)
        other._point_vectors = self._point_vectors
        return other

    # -------------------------------------------------------------------------------- embeddings

    def warm_up(self, items: Sequence[Item]) -> int:
        """Load the model and embed every key point once (the web app does this in the background)."""
        embedder = self.embedder
        if embedder is None:
            return 0
        points = list(
            dict.fromkeys(
                kp.point
                for i in items
                if isinstance(i.body, OpenItem)
                for kp in i.body.key_points
                if kp.point not in self._point_vectors
            )
        )
        for start in range(0, len(points), 64):
            batch = points[start : start + 64]
            self._point_vectors.update(zip(batch, embedder.embed_documents(batch), strict=True))
        return len(points)

    @property
    def embedder(self) -> Embedder | None:
        if self._embedder is None and self._embeddings_factory is not None:
            with self._lock:
                if self._embedder is None:
                    factory = self._embeddings_factory
                    self._embedder = factory() if callable(factory) else factory
        return self._embedder

    def _similarity(
        self, point: str, texts: list[str], cache: dict[str, list[float]], also: Sequence[str] = ()
    ) -> float | None:
        """Best cosine between the point and any of the texts (cut into short chunks); None without a model.

        Only the sentences that name the point's terms are embedded, and each once per answer: USE is
        the slow part of grading (~25 ms per short chunk on a busy 2-core machine)."""
        embedder = self.embedder
        if embedder is None:
            return None
        chunks = list(dict.fromkeys(c for t in texts for c in _chunks(t)))
        if not chunks:
            return 0.0
        points = [p for p in dict.fromkeys([point, *also]) if p not in self._point_vectors]
        need = points + [c for c in chunks if c not in cache]
        if need:
            vectors = embedder.embed_documents(need)
            for text, vec in zip(need, vectors, strict=True):
                if text in points:
                    self._point_vectors[text] = vec
                if text in chunks:
                    cache[text] = vec
        return max(cosine(self._point_vectors[point], cache[c]) for c in chunks)

    # -------------------------------------------------------------------------------- grading

    def check_answer(self, item: Item, answer: str) -> str:
        text = answer.strip()
        if not text:
            raise StudyError(f"The answer to {item.id} is empty: give a choice letter or a few sentences.")
        if len(text) > self.max_chars:
            raise StudyError(f"The answer to {item.id} is {len(text)} characters; keep it under {self.max_chars}.")
        if isinstance(item.body, McqItem):
            letter = _choice_letter(text, item.body)
            if letter is None:
                raise StudyError(
                    f"{item.id} is multiple choice: answer with one letter of {', '.join(item.body.letters)}."
                )
            return letter
        return text

    def grade(self, item: Item, answer: str) -> Grade:
        text = self.check_answer(item, answer)
        if isinstance(item.body, McqItem):
            return self._grade_mcq(item, item.body, text)
        assert isinstance(item.body, OpenItem)
        return self._grade_open(item, item.body, text)

    def _grade_mcq(self, item: Item, body: McqItem, letter: str) -> Grade:
        right = letter == body.answer
        return Grade(
            item_id=item.id,
            correct=right,
            score=1.0 if right else 0.0,
            hit=[body.explain] if right else [],
            missed=[] if right else [body.explain],
            read=[] if right else [body.source],
            feedback=body.explain,
            chosen_wrong="" if right else body.why_wrong.get(letter, ""),
            answer_lang=item.lang,
        )

    def _patterns_for(self, group: list[str]) -> list[re.Pattern[str]]:
        key = tuple(group)
        if key not in self._patterns:
            self._patterns[key] = [_term_pattern(t) for t in expand_with_glossary(group, self.glossary)]
        return self._patterns[key]

    def _mentions(self, group: list[str], sentences: list[str]) -> list[Mention]:
        found: dict[tuple[int, int], Mention] = {}
        for n, sentence in enumerate(sentences):
            for pattern in self._patterns_for(group):
                for m in pattern.finditer(sentence):
                    if (n, m.start()) not in found:
                        found[(n, m.start())] = Mention(n, m.start(), m.end(), sentence)
        return sorted(found.values(), key=lambda x: (x.sentence, x.start))

    def _expected_directions(self, kp: KeyPoint) -> list[int]:
        """For each term group, the direction the point itself gives it ("training error *rises*"), else 0."""
        key = (kp.point, *(t for g in kp.terms for t in g))
        cached = self._directions.get(key)
        if cached is None:
            point_sentences = statements(kp.point)
            cached = []
            for group in kp.terms:
                signs = [m.direction() for m in self._mentions(group, point_sentences)]
                cached.append(next((d for d in signs if d), 0))
            self._directions[key] = cached
        return cached

    def _grade_open(self, item: Item, body: OpenItem, answer: str) -> Grade:
        answer_lang = detect_language(answer)
        limits = self.calibration.for_pair(answer_lang, item.lang)
        parts = statements(answer)
        subjects = subject_groups(body.key_points)
        cache: dict[str, list[float]] = {}
        # One model call per answer: every sentence naming any point's terms, and points not seen before.
        named = sorted({m.sentence for kp in body.key_points for g in kp.terms for m in self._mentions(g, parts)})
        if named and self.embedder is not None:
            first, *rest = body.key_points
            self._similarity(first.point, [parts[n] for n in named], cache, also=[kp.point for kp in rest])

        def similar(kp: KeyPoint, sentence_numbers: list[int]) -> float | None:
            return self._similarity(kp.point, [parts[n] for n in dict.fromkeys(sentence_numbers)], cache)

        results = [self._judge_point(kp, parts, limits, subjects, similar) for kp in body.key_points]
        made = sum(r.hit for r in results)
        score = round(made / len(results), 3)
        contradiction = any(r.contradicted for r in results)
        return Grade(
            item_id=item.id,
            correct=score >= self.calibration.pass_mark and not contradiction,
            score=score,
            hit=[r.point for r in results if r.hit],
            missed=[r.point for r in results if not r.hit],
            read=[body.source] if made < len(results) else [],
            feedback=body.reference,
            points=results,
            answer_lang=answer_lang,
        )

    def _judge_point(
        self,
        kp: KeyPoint,
        parts: list[str],
        limits: Thresholds,
        subjects: list[tuple[str, ...]],
        similar: Callable[[KeyPoint, list[int]], float | None],
    ) -> PointResult:
        """Without a model (similarity None) the floor is not applied and paraphrases are not accepted."""
        groups = [self._mentions(g, parts) for g in kp.terms]
        own = next((tuple(g) for g in kp.terms if tuple(g) in subjects), None)
        if own is not None:  # "BERT masks …" must not count for GPT: a mention belongs to its nearest subject
            others = [(self._mentions(list(s), parts), s == own) for s in subjects]
            groups = [
                ms if tuple(g) == own else [m for m in ms if _belongs(m, others)]
                for g, ms in zip(kp.terms, groups, strict=True)
            ]
        total = len(kp.terms)
        matched = sum(bool(ms) for ms in groups)
        mentioned = sorted({m.sentence for ms in groups for m in ms})
        sim = 0.0

        def result(hit: bool, contradicted: bool, why: str) -> PointResult:
            return PointResult(kp.point, hit, matched, total, round(sim, 3), contradicted, why)

        if kp.polarity == "negative":
            if matched < total:
                return result(False, False, "does not address the point")
            if any(m.negated() or m.hypothetical() for ms in groups for m in ms):
                return result(True, False, "denies the term, as the point requires")
            return result(False, True, "asserts what the point denies")

        wants = self._expected_directions(kp)
        # Sentences where every group is mentioned: the point is made there unless denied or reversed.
        together = [n for n in range(len(parts)) if all(any(m.sentence == n for m in ms) for ms in groups)]
        verdicts = [_contradiction([[m for m in ms if m.sentence == n] for ms in groups], wants) for n in together]
        if together and all(verdicts):
            return result(False, True, verdicts[0])
        if together:
            found = similar(kp, [n for n, v in zip(together, verdicts, strict=True) if not v])
            sim = found or 0.0
            if found is not None and found < limits.floor:
                return result(False, False, f"terms present but unrelated (similarity {sim:.2f})")
            return result(True, False, "all term groups in one sentence")
        if matched and (why := _contradiction(groups, wants)):
            return result(False, True, why)
        if not matched:
            return result(False, False, f"0/{total} term groups")
        found = similar(kp, mentioned)
        sim = found or 0.0
        if matched == total and (found is None or found >= limits.floor):
            return result(True, False, "all term groups, across sentences")
        if matched * 2 >= total and found is not None and found >= limits.paraphrase:
            return result(True, False, f"paraphrase: {matched}/{total} groups, similarity {sim:.2f}")
        return result(False, False, f"{matched}/{total} term groups, similarity {sim:.2f}")


@dataclass(frozen=True)
class Mention:
    """One place a term group is named in the answer, with the sentence around it."""

    sentence: int
    start: int
    end: int
    text: str

    def _clause(self) -> tuple[str, int, int]:
        cs, ce = 0, len(self.text)
        for b in CLAUSE_SPLIT.finditer(self.text):
            if b.end() <= self.start:
                cs = b.end()
            elif b.start() >= self.end:
                ce = b.start()
                break
        return self.text[cs:ce], self.start - cs, self.end - cs

    def negated(self) -> bool:
        return _is_negated(*self._clause())

    def direction(self) -> int:
        return direction_near(*self._clause())

    def hypothetical(self) -> bool:
        """'Overfitting *would* mean low training error', '如果是过拟合…': named only to be ruled out."""
        clause = self._clause()[0]
        return bool(_HYPOTHETICAL.search(clause))


_HYPOTHETICAL = re.compile(r"\b(?:if|would|were|suppose|supposing)\b|如果|假如|假设|要是|若是|若")


def _contradiction(groups: list[list[Mention]], wants: list[int]) -> str:
    """Why these mentions contradict a positive point ('' if they do not)."""
    mentioned = [ms for ms in groups if ms]
    if mentioned and all(all(m.negated() for m in ms) for ms in mentioned):
        return "denies the point's terms"
    for ms, want in zip(groups, wants, strict=True):
        said = {m.direction() for m in ms} - {0} if want else set()
        if said == {-want}:
            return "says the opposite direction"
    return ""


def _belongs(mention: Mention, subjects: list[tuple[list[Mention], bool]]) -> bool:
    """A mention belongs to the nearest subject named before it in its sentence (or after, if none before)."""
    before = [
        (mention.start - m.end, own)
        for ms, own in subjects
        for m in ms
        if m.sentence == mention.sentence and m.end <= mention.start
    ]
    if before:
        return min(before)[1]
    after = [
        (m.start - mention.end, own)
        for ms, own in subjects
        for m in ms
        if m.sentence == mention.sentence and m.start >= mention.end
    ]
    return min(after)[1] if after else True


_NAME = re.compile(r"^[A-Z][A-Za-z0-9.\- ]*$")


def subject_groups(points: list[KeyPoint]) -> list[tuple[str, ...]]:
    """Term groups that are names (["BERT"], ["GPT", "GPT-2"]), when two or more points each name a different one.

    Those points compare named things, so an answer that swaps the names must not get credit."""
    named = [
        tuple(g)
        for kp in points
        for g in kp.terms
        if all(_NAME.match(t) and sum(ch.isupper() for ch in t) >= 2 for t in g)
    ]
    distinct = list(dict.fromkeys(named))
    return distinct if len(distinct) >= 2 else []


def _chunks(text: str, longest: int = 90) -> list[str]:
    """Sentences, and long sentences cut at commas: USE's cost grows faster than the text's length
    (one 180-character sentence takes ~7x as long as its two halves), and a point is made in a clause."""
    out: list[str] = []
    lines = [" ".join(line.split()) for line in text.splitlines()]
    pieces = [p for line in lines for s in sentences_of(line) for p in re.split(r"[;；]", s)]
    for sentence in pieces:
        sentence = sentence.strip()
        if len(sentence) <= longest:
            out.append(sentence)
            continue
        piece = ""
        for part in re.split(r"(?<=[,，、:：])\s*", sentence):
            if piece and len(piece) + len(part) > longest:
                out.append(piece)
                piece = ""
            piece = f"{piece} {part}".strip() if piece and not CJK.search(part[:1]) else piece + part
        out.append(piece)
    return [c for c in out if len(c) > 3] or [text.strip()]


def _choice_letter(answer: str, body: McqItem) -> str | None:
    """'B', 'b', 'B.', '(B)' or the exact text of a choice → its letter."""
    a = answer.strip()
    m = re.fullmatch(r"[\(\[]?([A-Ha-h])[\)\].:：、]?", a)
    if m and m.group(1).upper() in body.letters:
        return m.group(1).upper()
    for letter, choice in zip(body.letters, body.choices, strict=True):
        if normalise(choice) == normalise(a):
            return letter
    return None
