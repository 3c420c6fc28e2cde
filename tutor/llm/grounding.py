"""Grounding checked in code: every generated sentence is matched to the source sentence that best supports it.

A small model states wrong things fluently ("网络层数越深效果越差，这是过拟合", when the reading says the
opposite), and embedding similarity barely notices: a negated or re-numbered sentence stays about as close
to its source as a faithful one. So similarity only picks the source sentence a generated sentence is
about; two explicit signals then decide whether they agree:

- negation: a negation word ("not", "no", "never", "不是", "并非", "没有" …) in one and none in the other;
- numbers: a number in the generated sentence that its source does not state (Arabic, English number
  words and Chinese numerals are normalised, so "八" meets "8" and "70 亿" meets "7 billion").

A sentence is *supported* when it is close enough to a source sentence (calibrated per language pair on
eval/grounding.jsonl) and agrees with it; *conflict* when it is close but disagrees; *unsupported* when no
source sentence is close, or when it brings in a field term that no source and not the question mentions
("the KV cache stores gradient statistics").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from tutor.glossary import Glossary
from tutor.lang.direction import swapped_opposite
from tutor.lang.negation import negated, negation_flipped
from tutor.lang.numbers import blank, new_numbers, number_spans, numbers_in, same_number
from tutor.lang.script import CJK_CLASS, detect_language
from tutor.lang.sentences import sentences_of
from tutor.lang.verdict import verdict_opening
from tutor.vectors import normalise

Verdict = Literal["supported", "unsupported", "conflict"]

# Calibrated on eval/grounding.jsonl (see tests/test_llm_grounding.py and the README table).
SUPPORT_SAME = 0.55  # cosine above which a sentence states what a source sentence in its language states
SUPPORT_CROSS = 0.45  # the same across English and Chinese (multilingual USE sits lower there)
CONFLICT_MIN = 0.28  # cosine above which a sentence is about a source sentence, so disagreement is a conflict

_MARKERS = re.compile(r"\s*(?:\[\d{1,2}\])+")
_MARKER_NUMBER = re.compile(r"\[(\d{1,2})\]")


@dataclass(frozen=True)
class Source:
    """One sentence the answer may rest on, and the citation number it carries."""

    text: str
    n: int
    lang: str = ""


@dataclass(frozen=True)
class Check:
    """One generated sentence and the source sentence it was checked against."""

    sentence: str
    verdict: Verdict
    n: int | None  # citation number of the source sentence, None when nothing was close
    source: str  # that source sentence
    similarity: float
    reason: str = ""  # why it is not supported: "negation", "number 12", "new term: gradient", "no close source"

    @property
    def shown(self) -> bool:
        return self.verdict == "supported"

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "shown": self.shown}


# ------------------------------------------------------------------------------------------ numbers

_LOOSE = re.compile(r"\b(?:two|three|twice|double|half)\b|[两二三](?=[个种类者])|一半", re.I)


def stated_numbers(sentence: str, source: str) -> set[float]:
    """The sentence's numbers; 'two vectors' or '两个' count only against a source that states numbers itself."""
    if numbers_in(source):
        return numbers_in(sentence)
    return numbers_in(_LOOSE.sub(lambda m: " " * len(m.group(0)), sentence))


_FILLER_EN = frozenset(
    [
        "of",
        "is",
        "are",
        "was",
        "were",
        "be",
        "to",
        "the",
        "a",
        "an",
        "about",
        "around",
        "roughly",
        "approximately",
        "nearly",
        "almost",
        "than",
        "by",
        "at",
        "equal",
        "equals",
        "only",
        "just",
        "over",
        "under",
        "up",
        "some",
        "exactly",
    ]
)
_FILLER_ZH = re.compile(r"(?:约为|大约是|大约|大概|约|为|是|等于|达到|有|了|的|在|共|仅|只有|只)+$")
_ANCHOR_WINDOW = 24  # characters after an anchor in which the source states its number


def _anchor(text: str, start: int) -> str:
    """The word right before a number, past fillers: 'deviation' in 'deviation of 64', '准差' in '标准差约为 8'."""
    before = text[:start]
    while True:
        stripped = _FILLER_ZH.sub("", re.sub(r"[\s=≈()（）]+$", "", before))
        word = re.search(r"[A-Za-z]+$", stripped)
        if word and word.group(0).lower() in _FILLER_EN:
            stripped = stripped[: word.start()]
        if stripped == before:
            break
        before = stripped
    cjk = re.search(f"[{CJK_CLASS}]{{2}}$", before)
    if cjk:
        return cjk.group(0)
    latin = re.search(r"[A-Za-z_*^'][A-Za-z0-9_*^'-]*$", before)
    if latin and (len(latin.group(0)) > 1 or latin.group(0) in "nNkKdDhLwWx"):
        return latin.group(0)
    return ""


def misplaced_numbers(sentence: str, source: str) -> list[float]:
    """Numbers of the sentence that the source states, but for another quantity.

    'standard deviation of 64' against 'd_k = 64 … a standard deviation of 8': 64 is in the source, but
    the source's standard deviation is 8. Judged only where the sentence's word before the number appears
    in the source with a number shortly after it.
    """
    spans = number_spans(source)
    wrong = []
    for value, start, _ in number_spans(sentence):
        word = _anchor(sentence, start)
        if not word:
            continue
        after = [
            v
            for m in re.finditer(re.escape(word), source, flags=re.I)
            for v, s0, _ in spans
            if m.end() <= s0 <= m.end() + _ANCHOR_WINDOW
        ]
        if after and not any(same_number(value, v) for v in after):
            wrong.append(value)
    return wrong


# ------------------------------------------------------------------------------------------ the checker


def strip_markers(text: str) -> str:
    return _MARKERS.sub("", text).strip()


def split_answer(text: str) -> list[str]:
    """Text cut into sentences, keeping our [n] markers (a marker after the full stop moves before it)."""
    text = re.sub(r"([.!?。！？])[ \t]*((?:\[\d{1,2}\])+)", r"\2\1", text)
    out: list[str] = []
    for line in re.split(r"\n+", text):
        pieces = sentences_of(re.sub(r"\s+", " ", line.strip().lstrip("-*•").strip()))
        out.extend(p for p in pieces if strip_markers(p))
    return out


def sources_from(texts: Sequence[tuple[str, int]]) -> list[Source]:
    """Source sentences from (text, citation number) pairs; markers inside a text override its number."""
    out: list[Source] = []
    for text, n in texts:
        for sentence in split_answer(text):
            marked = [int(x) for x in _MARKER_NUMBER.findall(sentence)]
            bare = strip_markers(sentence)
            if len(re.findall(f"[A-Za-z]+|[{CJK_CLASS}]", bare)) >= 4:  # "No." alone is a verdict, see below
                out.append(Source(bare, marked[0] if marked else n, detect_language(bare)))
    return out


def verdict_source(direct: str, question: str, n: int) -> Source | None:
    """An answer that opens with "No." or "不是。" answers the question itself: the question with that verdict
    is what a generated "X is not Y" restates, so it is a source to check against (never shown to the model)."""
    opening = verdict_opening(strip_markers(direct)).strip().rstrip(".,;:!。，；：！—").strip()
    if not opening or not question.strip():
        return None
    asked = re.sub(r"[吗呢]?\s*[?？]*$", "", question.strip())
    text = f"{opening}, {asked}."
    return Source(text, n, detect_language(question))


_ENTITY = re.compile(r"\b([A-Za-z]{2,})-?(\d+(?:\.\d+)?[A-Za-z]?)\b")


def swapped_entity(sentence: str, source: str) -> str:
    """A numbered name the source does not use where it uses a sibling: GPT-1 for GPT-2, ResNet-34 for ResNet-18,
    fp16 for fp32 ('' if none). A small model moves a fact to the wrong member of a family."""
    named = {(m.group(1).lower(), m.group(2).lower()) for m in _ENTITY.finditer(source)}
    for m in _ENTITY.finditer(sentence):
        stem, number = m.group(1).lower(), m.group(2).lower()
        if (stem, number) not in named and any(s == stem for s, _ in named):
            return m.group(0)
    return ""


def disagreement(sentence: str, source: str) -> str:
    """Why a sentence contradicts the source sentence it is about; '' when negation, names and numbers agree."""
    if negated(sentence) != negated(source) or negation_flipped(sentence, source):
        return "negation"
    entity = swapped_entity(sentence, source)
    if entity:
        return f"name: {entity}"
    opposite = swapped_opposite(sentence, source)
    if opposite:
        return f"opposite: {opposite}"
    wrong = new_numbers(stated_numbers(sentence, source), numbers_in(source)) or misplaced_numbers(sentence, source)
    if wrong:
        return "number " + ", ".join(f"{x:g}" for x in wrong)
    return ""


def judge(sentence: str, source: str, similarity: float, cross_lingual: bool) -> tuple[Verdict, str]:
    """The verdict on one sentence against its closest source sentence.

    Disagreement is looked for in a wider band than support: a negated or re-numbered sentence drifts
    further from its source than a faithful paraphrase does, but not as far as an unrelated one.
    """
    if similarity < CONFLICT_MIN:
        return "unsupported", "no close source"
    reason = disagreement(sentence, source)
    if reason:
        return "conflict", reason
    if similarity < (SUPPORT_CROSS if cross_lingual else SUPPORT_SAME):
        return "unsupported", "no close source"
    return "supported", ""


class Grounder:
    """Checks generated sentences against the source sentences of one answer."""

    def __init__(
        self,
        embed: Callable[[list[str]], list[list[float]]],
        sources: Sequence[Source],
        glossary: Glossary | None = None,
        question: str = "",
    ) -> None:
        self.embed = embed
        self.sources = [s for s in sources if s.text]
        self.glossary = glossary
        texts = [s.text for s in self.sources]
        self._vectors = normalise(np.asarray(embed(texts), dtype=np.float32)) if texts else None
        self._known_terms = self._terms(" ".join([question, *texts]))
        self._question_numbers = numbers_in(question)

    def _terms(self, text: str) -> set[str]:
        if self.glossary is None:
            return set()
        return set(self.glossary.field_terms(text))

    def check(self, sentence: str) -> Check:
        bare = strip_markers(sentence)
        if self._vectors is None or not bare:
            return Check(bare, "unsupported", None, "", 0.0, "no sources")
        vector = normalise(np.asarray(self.embed([bare]), dtype=np.float32))[0]
        lang = detect_language(bare)
        sims = self._vectors @ vector
        # Rank by similarity over the support threshold of the language pair: cross-lingual scores run lower.
        margins = [
            float(sims[i]) - (SUPPORT_SAME if s.lang == lang else SUPPORT_CROSS) for i, s in enumerate(self.sources)
        ]
        best = int(np.argmax(margins))
        source, similarity = self.sources[best], round(float(sims[best]), 3)
        verdict, reason = judge(
            self._without_question_numbers(bare, source.text), source.text, similarity, source.lang != lang
        )
        if verdict == "supported":
            novel = sorted(self._terms(bare) - self._known_terms)
            if novel:
                verdict, reason = "unsupported", f"new term: {', '.join(novel)}"
        return Check(bare, verdict, source.n if similarity >= CONFLICT_MIN else None, source.text, similarity, reason)

    def _without_question_numbers(self, sentence: str, source: str) -> str:
        """Numbers the learner's own question states may be repeated (GPT-3, CIFAR-10) without a source."""
        if not self._question_numbers:
            return sentence
        keep = numbers_in(source)
        for value, start, end in reversed(number_spans(sentence)):
            if any(same_number(value, q) for q in self._question_numbers) and not any(
                same_number(value, k) for k in keep
            ):
                sentence = blank(sentence, start, end)
        return sentence


def share_supported(checks: Sequence[Check]) -> float:
    return round(sum(c.shown for c in checks) / len(checks), 3) if checks else 0.0


def score_pairs(rows: Sequence[dict[str, Any]], embed: Callable[[list[str]], list[list[float]]]) -> dict[str, Any]:
    """Precision and recall of the conflict detector on labelled sentence/source pairs (eval/grounding.jsonl).

    Each row: sentence, source, label (support | conflict | unsupported), lang, kind, optional split.
    Also counts contradictions that would be shown (labelled conflict, judged supported) and the share of
    faithful sentences kept, per split and per language.
    """
    vectors = normalise(
        np.asarray(embed([r["sentence"] for r in rows] + [r["source"] for r in rows]), dtype=np.float32)
    )
    verdicts = []
    for i, row in enumerate(rows):
        similarity = float(vectors[i] @ vectors[len(rows) + i])
        cross = detect_language(row["sentence"]) != detect_language(row["source"])
        verdicts.append(judge(row["sentence"], row["source"], similarity, cross)[0])

    def scores(picked: list[int]) -> dict[str, Any]:
        labels = [rows[i]["label"] for i in picked]
        said = [verdicts[i] for i in picked]
        tp = sum(a == "conflict" and b == "conflict" for a, b in zip(labels, said, strict=True))
        fp = sum(a != "conflict" and b == "conflict" for a, b in zip(labels, said, strict=True))
        fn = sum(a == "conflict" and b != "conflict" for a, b in zip(labels, said, strict=True))
        faithful = [b for a, b in zip(labels, said, strict=True) if a == "support"]
        return {
            "n": len(picked),
            "conflicts": tp + fn,
            "conflict_precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "conflict_recall": round(tp / (tp + fn), 3) if tp + fn else None,
            "contradictions_shown": sum(
                a == "conflict" and b == "supported" for a, b in zip(labels, said, strict=True)
            ),
            "unsupported_shown": sum(
                a == "unsupported" and b == "supported" for a, b in zip(labels, said, strict=True)
            ),
            "faithful_kept": round(sum(b == "supported" for b in faithful) / len(faithful), 3) if faithful else None,
        }

    everything = list(range(len(rows)))
    out: dict[str, Any] = {"all": scores(everything)}
    for split in sorted({r.get("split", "calibration") for r in rows}):
        out[split] = scores([i for i in everything if rows[i].get("split", "calibration") == split])
    for lang in ("en", "zh"):
        out[lang] = scores([i for i in everything if rows[i]["lang"] == lang])
    return out
