"""Which sentences of a document to quote for a question.

A document answers by being quoted, so the quote must hold the answer, not merely sound like the question.
Each sentence is described by a few numbers and scored by a logistic model fitted on the labelled questions
about learners' documents (a sentence is right when what is quoted of it, the sentence with its neighbours in its
section, holds one of the question's facts):
`python -m tutor.select.fit` fits it with the selector. Without fitted weights the closest sentences are quoted.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from tutor.glossary import Term
from tutor.lang.numbers import numbers_in, same_number
from tutor.lang.tokens import tokenize
from tutor.lang.units import asked_kinds, states_kind
from tutor.retrieve import Sentence
from tutor.select.model import Linear

QUOTE_FEATURES = (
    "similarity",
    "similarity_gap",
    "words_shared",
    "rare_words_shared",
    "heading_words",
    "numbers_shared",
    "length",
    "states_asked_kind",
    "opening",
)
POOL = 40  # the document's sentences nearest the question that are scored
QUOTED = 3  # sentences picked; each is quoted with its neighbours (BEFORE, AFTER) in its section
BEFORE, AFTER = 1, 1
MOST_SENTENCES = 7  # a document's quoted stretches stop growing past this many sentences
_LONG = 300  # characters: longer sentences count as this long


def quote_rows(question: str, sentences: Sequence[Sentence], terms: Sequence[Term] = ()) -> np.ndarray:
    """QUOTE_FEATURES of each sentence for one question (a row per sentence).

    `terms`: the glossary terms the question names. Their forms in both languages count as asked words, so a
    Chinese question shares "KV cache" with an English page (and an English one 显存 with a Chinese page).

    Some are relative to the pool: how far below the closest sentence it is, and the shared words weighted by
    how few of the pool's sentences use them (a word every sentence of the document repeats tells nothing). Two
    say where an answer is unlikely or likely: the document's opening passage (what the notes are about, seldom a
    result), and a sentence stating the kind of quantity asked (a cost, a duration, a size, a share)."""
    asked = set(tokenize(question)).union(*(tokenize(form) for t in terms for form in (t.en, *t.zh, *t.variants)))
    kinds = asked_kinds(question)
    numbers = numbers_in(question)
    words = [set(tokenize(s.text)) for s in sentences]
    used = Counter(w for ws in words for w in ws & asked)
    rarity = {w: math.log((len(sentences) + 1) / (used[w] + 1)) + 1 for w in used}
    closest = max((s.similarity for s in sentences), default=0.0)
    rows = []
    for sentence, have in zip(sentences, words, strict=True):
        found = numbers_in(sentence.text)
        heading = set(tokenize(str(sentence.meta.get("section") or "")))
        rows.append(
            [
                sentence.similarity,
                sentence.similarity - closest,
                len(asked & have) / len(asked) if asked else 0.0,
                sum(rarity[w] for w in asked & have) / sum(rarity.values()) if rarity else 0.0,
                len(asked & heading) / len(asked) if asked else 0.0,
                sum(any(same_number(a, b) for b in found) for a in numbers) / len(numbers) if numbers else 0.0,
                min(len(sentence.text), _LONG) / _LONG,
                float(bool(kinds) and states_kind(sentence.text, kinds)),
                float(sentence.meta.get("chunk") == 0),
            ]
        )
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), len(QUOTE_FEATURES))


def candidates(sentences: Sequence[Sentence]) -> list[Sentence]:
    """The sentences that may be quoted at all: whole sentences, not headings or fragments, and not questions (a
    document's "What dropout rate should I use?" sounds like the learner's question and answers nothing)."""
    return [s for s in sentences if s.quotable and not s.text.rstrip().endswith(("?", "？"))]


def pick(
    question: str,
    sentences: Sequence[Sentence],
    model: Linear | None,
    terms: Sequence[Term] = (),
    k: int = QUOTED,
) -> list[Sentence]:
    """The k sentences best worth quoting, best first: by the fitted model, else by closeness."""
    pool = candidates(sentences)
    if not pool:
        return []
    if model is None:
        return sorted(pool, key=lambda s: -s.similarity)[:k]
    scores = model.probability(quote_rows(question, pool, terms))
    return [pool[int(i)] for i in np.argsort(-scores)[:k]]
