"""Candidates for the answer and the features that describe how well each fits the question.

Every candidate competes in one table: the tutor's Q&A pairs (each by every phrasing), the concepts'
overviews, and passages of the readings and the learner's own documents. Features are numbers a fitted
model weighs (tutor/select/model.py); none of them decides anything alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from tutor.conversation import Turn, is_ellipsis, points_back, refers_back
from tutor.facets import OVERVIEW, FacetIndex, numbered_names
from tutor.glossary import Glossary, Term
from tutor.lang.docref import named_document, refers_to_document
from tutor.lang.numbers import numbers_in, same_number
from tutor.lang.tokens import tokenize
from tutor.lang.verdict import verdict_opening
from tutor.qa import QA
from tutor.retrieve import Hit, Retrieval, Retriever
from tutor.select.aspect import ASPECTS, Aspect, aspect_of, definition_subject, grid_subject, strip_persona
from tutor.select.question_map import QuestionMap

PAIR_CANDIDATES = 24  # closest pairs by their phrasings, the rest come from BM25, the context and named concepts
FITTED_CANDIDATES = 8  # closest pairs after the fitted question map (tutor/select/question_map.py)
LEXICAL_CANDIDATES = 8
CONTEXT_CANDIDATES = 8
PREVIOUS_CONCEPT_CANDIDATES = 6
DOC_CANDIDATES = 6
CONCEPT_TEMPERATURE = 0.05  # softmax temperature over concepts' best pair similarities

# The columns of the candidate table, in order; tutor/select/weights.json holds one weight for each.
CANDIDATE_FEATURES = (
    "bias_pair",
    "bias_overview",
    "bias_doc",
    "bias_user_doc",
    "bias_term",
    "similarity",
    "main_similarity",
    "similarity_gap",
    "similarity_rank",
    "fitted_similarity",
    "fitted_gap",
    "answer_similarity",
    "context_similarity",
    "lexical",
    "lexical_question",
    "concept_similarity",
    "concept_lexical",
    "terms_in_question",
    "terms_in_answer",
    "terms_only_in_candidate",
    "concept_named",
    "concept_prior",
    "concept_is_top",
    "aspect_match",
    "specific_aspect_mismatch",
    "aspect_mismatch",
    "overview_not_definition",
    "question_words_covered",
    "definition_overview",
    "definition_named_overview",
    "explain_analogy",
    "verdict",
    "verdict_unasked",
    "yesno_both",
    "name_same",
    "name_sibling",
    "numbers_shared",
    "previous_concept",
    "previous_concept_refers",
    "previous_concept_pronoun",
    "previous_concept_ellipsis",
    "previous_question_similarity",
    "previous_answer_closeness",
    "doc_similarity",
    "doc_sentence_similarity",
    "doc_lexical",
    "doc_title_match",
    "doc_terms",
    "doc_words_covered",
    "doc_words_exclusive",
    "user_doc_unnamed",
    "doc_title_similarity",
    "doc_title_gap",
    "document_named",
    "document_named_elsewhere",
)
# The question-level table the decision (answer / closest / decline) is fitted on: what the ranker concluded,
# then what the question and its retrieval look like on their own (QUESTION_BASE).
RANKER_SUMMARY = ("top_probability", "top_margin", "top_is_doc", "top_is_user_doc")
QUESTION_BASE = (
    "bias",
    "best_similarity",
    "best_passage",
    "best_sentence",
    "strong_terms",
    "weak_terms",
    "no_terms",
    "foreign_share",
    "foreign_any",
    "named_reading",
    "has_history",
    "refers_back",
    "previous_known_share",
    "persona",
    "short",
    "user_doc_words",
    "names_document",
    *(f"aspect_{a}" for a in ASPECTS),
)
QUESTION_FEATURES = (*RANKER_SUMMARY, "off_path", *QUESTION_BASE)  # off_path: tutor/select/topic.py
_ANALOGY_WORDS = ("analogy", "analogies", "like a", "类比", "比喻", "好比", "就像")
# Aspects a pair must share to answer: a "why" is not answered by a "how many".
_SPECIFIC_ASPECTS = frozenset({"reason", "quantity", "comparison", "yesno", "mechanism", "history", "example"})


@dataclass(frozen=True)
class Candidate:
    """One possible answer: a Q&A pair (or a concept's overview), or a passage of a document."""

    kind: str  # "pair", "overview", "term" or "doc"
    ref: str  # how labels name it: "note-x:pair-id", "note-x:overview", "term:<glossary key>", "doc:<reading id>"
    note: str  # the concept it is about ("" for a document)
    pair: QA | None = None
    row: int = -1  # the pair's row in the FacetIndex
    hit: Hit | None = None
    term: Term | None = None  # a glossary term a definition question names exactly: its definition answers

    @property
    def user_doc(self) -> bool:
        return self.hit is not None and self.hit.own


@dataclass
class Question:
    """What the features need to know about the question itself, computed once."""

    text: str
    lang: str
    aspect: Aspect
    persona: bool
    core: str  # the question without a persona
    strong_terms: frozenset[str]
    weak_terms: frozenset[str]
    named_notes: frozenset[str]
    names: frozenset[tuple[str, str]]
    subject_terms: list[Term]  # glossary terms a definition question asks about by exactly their name
    numbers: set[float]
    tokens: set[str]
    previous: Turn | None
    refers_back: bool
    pronoun: bool
    ellipsis: bool
    names_document: bool  # "the chapter says…", "笔记里…": it asks about a document (tutor/lang/docref.py)
    document_name: str  # the words it names that document by ("奖励模型训练笔记"), or ""


@dataclass
class Table:
    """The candidates of one question and their features, before and after scoring."""

    question: Question
    candidates: list[Candidate]
    matrix: np.ndarray  # candidates × CANDIDATE_FEATURES
    retrieval: Retrieval
    probabilities: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))


class Featurizer:
    """Builds the candidate table for a question from a retrieval."""

    def __init__(
        self, facets: FacetIndex, glossary: Glossary, retriever: Retriever, question_map: QuestionMap | None = None
    ) -> None:
        self.facets = facets
        self.glossary = glossary
        self.retriever = retriever
        self.question_map = question_map if question_map is not None else QuestionMap.load()
        self._doc_token_cache: dict[tuple[int, str], frozenset[str]] = {}
        self._title_vectors: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------------------------------ per corpus

    @cached_property
    def _rows_by_lang(self) -> dict[str, np.ndarray]:
        langs = np.asarray([p.lang for p in self.facets.pairs])
        return {lang: np.flatnonzero(langs == lang) for lang in ("en", "zh")}

    @cached_property
    def _note_of_row(self) -> np.ndarray:
        return np.asarray([p.note for p in self.facets.pairs])

    @cached_property
    def _note_codes(self) -> dict[str, tuple[list[str], np.ndarray]]:
        """Per language: the concepts, in the order they first appear, and each pair row's concept index."""
        out = {}
        for lang, rows in self._rows_by_lang.items():
            notes = list(dict.fromkeys(self._note_of_row[rows].tolist()))
            index = {note: i for i, note in enumerate(notes)}
            out[lang] = (notes, np.asarray([index[n] for n in self._note_of_row[rows]], dtype=np.int64))
        return out

    @cached_property
    def _overview_row(self) -> dict[tuple[str, str], int]:
        return {(p.note, p.lang): i for i, p in enumerate(self.facets.pairs) if p.id == OVERVIEW}

    @cached_property
    def _pair_aspects(self) -> list[Aspect]:
        return [_pair_aspect(p) for p in self.facets.pairs]

    @cached_property
    def _verdicts(self) -> np.ndarray:
        return np.asarray([bool(verdict_opening(p.a)) for p in self.facets.pairs])

    @cached_property
    def _analogies(self) -> np.ndarray:
        return np.asarray(
            [any(w in f"{p.id} {p.search_text}".lower() for w in _ANALOGY_WORDS) for p in self.facets.pairs]
        )

    @cached_property
    def _question_tokens(self) -> list[set[str]]:
        return [set(tokenize(p.search_text)) for p in self.facets.pairs]

    @cached_property
    def _bank_tokens(self) -> frozenset[str]:
        """Every token the Q&A bank uses: a question word only a learner's document uses points to that document."""
        return frozenset(t for p in self.facets.pairs for t in tokenize(f"{p.search_text} {p.a}"))

    def defines_subject(self, table: Table) -> np.ndarray:
        """Which candidates define the term a "What is X?" question names exactly: the term's glossary entry, its
        concept's overview, and that concept's definition pairs (all False for any other question)."""
        q = table.question
        out = np.zeros(len(table.candidates), dtype=bool)
        if q.aspect != "definition" or not q.subject_terms:
            return out
        keys = {t.key for t in q.subject_terms}
        notes = {t.note for t in q.subject_terms if t.note}
        for i, c in enumerate(table.candidates):
            if c.term is not None:
                out[i] = c.term.key in keys
            elif c.pair is not None and c.note in notes:
                out[i] = c.kind == "overview" or self._pair_aspects[c.row] == "definition"
        return out

    def off_subject(self, table: Table) -> np.ndarray:
        """Which of the bank's candidates name none of the field terms the question names, when some candidate does:
        a pair about choosing one of many code samples does not answer "dropout 在测试时怎么处理？", however alike
        "测试时" reads. A learner's document is never set aside (its notes may use none of the glossary's words).
        All False when the question names no field term, or no candidate names one."""
        q = table.question
        out = np.zeros(len(table.candidates), dtype=bool)
        if not q.strong_terms or not len(table.candidates):
            return out
        m = table.matrix
        col = CANDIDATE_FEATURES.index
        names = (
            (m[:, col("terms_in_question")] > 0)
            | (m[:, col("terms_in_answer")] > 0)
            | (m[:, col("concept_named")] > 0)
            | (m[:, col("doc_terms")] > 0)
        )
        own = np.asarray([c.user_doc for c in table.candidates])
        return ~names & ~own if names.any() else out

    def others_analogies(self, table: Table) -> np.ndarray:
        """Which candidates are an analogy or a systems comparison about something else, for an analogy request
        that names what it wants explained: the pair's phrasings share none of the field terms the request names
        ("explain PagedAttention with a storage analogy" is not answered by the bias-variance analogy, however
        alike the two requests read). All False for any other question."""
        q = table.question
        out = np.zeros(len(table.candidates), dtype=bool)
        if aspect_of(q.core) != "explain" or not q.strong_terms:
            return out  # a persona alone ("I'm an FPGA engineer, what will feel familiar?") asks for no analogy
        phrasing_terms = self.facets.term_sets[0]
        for i, c in enumerate(table.candidates):
            if c.pair is not None and c.kind == "pair":
                analogy = self._pair_aspects[c.row] == "explain" or c.pair.kind == "systems"
                out[i] = analogy and not (phrasing_terms[c.row] & q.strong_terms)
        return out

    def _title_similarity(self, title: str, q: Question, r: Retrieval) -> float:
        vector = self._title_vector(title)
        whole = float(vector @ r.vector)
        return max(whole, float(vector @ self._title_vector(q.document_name))) if q.document_name else whole

    def _title_vector(self, title: str) -> np.ndarray:
        """A document title's (or a document name's) embedding, kept for the life of the process (titles are few;
        questions are many)."""
        found = self._title_vectors.get(title)
        if found is None:
            found = self.retriever.embed(title)
            if len(self._title_vectors) > 1024:
                self._title_vectors.clear()
            self._title_vectors[title] = found
        return found

    def _doc_tokens(self, reading_id: str) -> frozenset[str]:
        """The tokens of one document's passages, remembered per committed version of the index."""
        docs = self.retriever.passage_index.load()
        key = (id(docs), reading_id)
        found = self._doc_token_cache.get(key)
        if found is None:
            found = frozenset(
                t for d in docs if str(d.metadata.get("reading_id")) == reading_id for t in tokenize(d.page_content)
            )
            if len(self._doc_token_cache) > 256:
                self._doc_token_cache.clear()
            self._doc_token_cache[key] = found
        return found

    @cached_property
    def _numbers(self) -> list[set[float]]:
        return [numbers_in(f"{p.search_text} {p.a}") for p in self.facets.pairs]

    # ------------------------------------------------------------------------------------------ per question

    def question(self, text: str, lang: str, history: Sequence[Turn]) -> Question:
        core, persona = strip_persona(text)
        matches = self.glossary.matches_in(core)
        strong = frozenset(m.term.key for m in matches if not m.everyday)
        weak = frozenset(m.term.key for m in matches if m.everyday)
        previous = history[-1] if history and history[-1].topic else None
        return Question(
            text=text,
            lang=lang,
            aspect=aspect_of(text),
            persona=persona,
            core=core,
            strong_terms=strong,
            weak_terms=weak,
            named_notes=frozenset(m.term.note for m in matches if not m.everyday and m.term.note),
            names=numbered_names(core),
            subject_terms=self._subject_terms(text),
            numbers=numbers_in(core),
            tokens=set(tokenize(core)),
            previous=previous,
            # a follow-up naming nothing of the field ("which one should I pick, then?") is about what came before
            refers_back=(refers_back(text) or not (strong or weak)) if previous else False,
            pronoun=points_back(text) if previous else False,
            ellipsis=is_ellipsis(text) if previous else False,
            names_document=refers_to_document(core),
            document_name=named_document(core),
        )

    def grid_terms(self, question: str) -> list[Term]:
        """The terms a bare grid question ("How does X work?", "为什么需要X？", "What is X?") names as exactly X."""
        return self._subject_terms(question, grid_subject)

    def _subject_terms(self, question: str, subject_of: Callable[[str], str] = definition_subject) -> list[Term]:
        """The terms a "What is X?" question names as exactly X; everyday forms too ("嵌入是什么？", "What is a
        prompt?"): asked about alone, on a tutor of this field, they mean the field's term."""
        subject = subject_of(question)
        folded = _folded(subject)
        if not folded:
            return []
        return [m.term for m in self.glossary.matches_in(subject) if _folded(m.form) in (folded, folded.rstrip("s"))]

    def table(self, text: str, retrieval: Retrieval, history: Sequence[Turn] = ()) -> Table:
        q = self.question(text, retrieval.lang, history)
        fitted = self.facets.phrase_similarity(self.question_map.apply(retrieval.vector))[0]
        candidates = self._candidates(q, retrieval, fitted)
        prior = self._concept_prior(retrieval.pairs.similarity, q.lang)
        repeats = self.facets.answer_closeness(q.previous.facet) if q.previous is not None else None
        rows = [
            self._doc_row(q, c, retrieval)
            if c.kind == "doc"
            else self._term_row(c, prior)
            if c.kind == "term"
            else self._pair_row(q, c, retrieval, prior, float(fitted[c.row]), repeats)
            for c in candidates
        ]
        matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), len(CANDIDATE_FEATURES))
        if len(rows):
            sims = matrix[:, CANDIDATE_FEATURES.index("similarity")]
            pairs = np.asarray([c.kind in ("pair", "overview") for c in candidates])
            if pairs.any():
                best = float(sims[pairs].max())
                order = np.argsort(-np.where(pairs, sims, -np.inf))
                rank = np.empty(len(rows), dtype=np.float32)
                rank[order] = np.arange(1, len(rows) + 1)
                matrix[pairs, CANDIDATE_FEATURES.index("similarity_gap")] = sims[pairs] - best
                matrix[pairs, CANDIDATE_FEATURES.index("similarity_rank")] = 1.0 / rank[pairs]
                mapped = matrix[:, CANDIDATE_FEATURES.index("fitted_similarity")]
                matrix[pairs, CANDIDATE_FEATURES.index("fitted_gap")] = mapped[pairs] - float(mapped[pairs].max())
            # a question that names a document points at the learner's files, away from everything else
            user_docs = np.asarray([c.user_doc for c in candidates])
            if user_docs.any():
                # which of the learner's documents the question's words fit best by title, in any language: the
                # other features favour a document written in the question's own language
                titles = matrix[user_docs, CANDIDATE_FEATURES.index("doc_title_similarity")]
                matrix[user_docs, CANDIDATE_FEATURES.index("doc_title_gap")] = titles - titles.max()
            if q.names_document and user_docs.any():
                matrix[user_docs, CANDIDATE_FEATURES.index("document_named")] = 1.0
                matrix[~user_docs, CANDIDATE_FEATURES.index("document_named_elsewhere")] = 1.0
        return Table(q, candidates, matrix, retrieval)

    def _concept_prior(self, signals_similarity: np.ndarray, lang: str) -> dict[str, float]:
        """A softmax over concepts of their best pair's similarity: how likely each concept is the topic."""
        rows = self._rows_by_lang[lang]
        if not len(rows):
            return {}
        notes, codes = self._note_codes[lang]
        values = np.full(len(notes), -1.0)
        np.maximum.at(values, codes, signals_similarity[rows])
        weights = np.exp((values - values.max()) / CONCEPT_TEMPERATURE)
        weights /= weights.sum()
        return dict(zip(notes, weights.tolist(), strict=True))

    def _candidates(self, q: Question, r: Retrieval, fitted: np.ndarray) -> list[Candidate]:
        rows = self._rows_by_lang[q.lang]
        picked: dict[int, None] = {}
        signals = r.pairs
        if len(rows):
            for values, k in (
                (signals.similarity, PAIR_CANDIDATES),
                (fitted, FITTED_CANDIDATES),
                (signals.lexical, LEXICAL_CANDIDATES),
                *(
                    ((signals.context_similarity, CONTEXT_CANDIDATES),)
                    if signals.context_similarity is not None
                    else ()
                ),
            ):
                sub = values[rows]
                top = rows[np.argsort(-sub)[:k]]
                picked.update((int(i), None) for i in top if values[i] > 0 or values is signals.similarity)
            for note in q.named_notes:
                row = self._overview_row.get((note, q.lang))
                if row is not None:
                    picked[row] = None
            if q.previous is not None:
                mine = rows[self._note_of_row[rows] == q.previous.topic]
                for i in mine[np.argsort(-signals.similarity[mine])[:PREVIOUS_CONCEPT_CANDIDATES]]:
                    picked[int(i)] = None
        previous_pair = q.previous.facet if q.previous else ""
        out: list[Candidate] = []
        for i in picked:
            pair = self.facets.pairs[i]
            if pair.key == previous_pair:
                continue  # a follow-up asks for something new
            kind = "overview" if pair.id == OVERVIEW else "pair"
            out.append(Candidate(kind, f"{pair.note}:{pair.id}", pair.note, pair=pair, row=i))
        for term in q.subject_terms:
            out.append(Candidate("term", f"term:{term.key}", term.note, term=term))
        seen_docs: set[str] = set()
        readings = 0
        for hit in r.passages:  # the best passage of each reading, a few readings; every learner's document
            if hit.is_note or hit.reading_id in seen_docs or (not hit.own and readings >= DOC_CANDIDATES):
                continue
            readings += not hit.own
            seen_docs.add(hit.reading_id)
            out.append(Candidate("doc", f"doc:{hit.reading_id}", "", hit=hit))
        out.extend(Candidate("doc", f"doc:{hit.reading_id}", "", hit=hit) for hit in r.own)
        return out

    # ------------------------------------------------------------------------------------------ rows

    def _pair_row(
        self,
        q: Question,
        c: Candidate,
        r: Retrieval,
        prior: dict[str, float],
        fitted: float,
        repeats: np.ndarray | None,
    ) -> list[float]:
        """`repeats`: every pair's answer's closeness to the answer just given, in a conversation."""
        i = c.row
        pair = self.facets.pairs[i]
        s = r.pairs
        q_terms, a_terms = self.facets.term_sets
        strong = q.strong_terms
        in_q = len(strong & q_terms[i]) / len(strong) if strong else 0.0
        in_a = len(strong & a_terms[i]) / len(strong) if strong else 0.0
        extra = min(3, len(q_terms[i] - strong - q.weak_terms)) / 3
        named = float(pair.note in q.named_notes)
        overview = c.kind == "overview"
        definition = q.aspect == "definition"
        verdict = bool(self._verdicts[i])
        names = self.facets.names[i]
        same = bool(names & q.names)
        sibling = not same and any(stem in {s_ for s_, _ in q.names} for stem, _ in names)
        numbers = (
            sum(any(same_number(x, y) for y in self._numbers[i]) for x in q.numbers) / len(q.numbers)
            if q.numbers
            else 0.0
        )
        previous = float(q.previous is not None and pair.note == q.previous.topic)
        values = {
            "bias_pair": float(not overview),
            "bias_overview": float(overview),
            "similarity": float(s.similarity[i]),
            "main_similarity": float(s.main_similarity[i]),
            "fitted_similarity": fitted,
            "answer_similarity": float(s.answer_similarity[i]),
            "context_similarity": float(s.context_similarity[i]) if s.context_similarity is not None else 0.0,
            "lexical": float(s.lexical[i]),
            "lexical_question": float(s.lexical_question[i]),
            "concept_similarity": float(s.concept_similarity[i]),
            "concept_lexical": float(s.concept_lexical[i]),
            "terms_in_question": in_q,
            "terms_in_answer": in_a,
            "terms_only_in_candidate": extra,
            "concept_named": named,
            "concept_prior": prior.get(pair.note, 0.0),
            "concept_is_top": float(bool(prior) and max(prior, key=prior.__getitem__) == pair.note),
            "aspect_match": float(self._pair_aspects[i] == q.aspect),
            "specific_aspect_mismatch": float(q.aspect in _SPECIFIC_ASPECTS and self._pair_aspects[i] != q.aspect),
            "aspect_mismatch": float(
                "explain" not in (q.aspect, self._pair_aspects[i]) and self._pair_aspects[i] != q.aspect
            ),
            "overview_not_definition": float(overview and q.aspect not in ("definition", "explain")),
            "question_words_covered": len(q.tokens & self._question_tokens[i]) / len(q.tokens) if q.tokens else 0.0,
            "definition_overview": float(definition and overview),
            "definition_named_overview": float(definition and overview and named),
            "explain_analogy": float(q.aspect == "explain" and bool(self._analogies[i])),
            "verdict": float(verdict),
            "verdict_unasked": float(verdict and q.aspect != "yesno"),
            "yesno_both": float(q.aspect == "yesno" and self._pair_aspects[i] == "yesno"),
            "name_same": float(same),
            "name_sibling": float(sibling),
            "numbers_shared": numbers,
            "previous_concept": previous,
            "previous_concept_refers": previous * q.refers_back,
            "previous_concept_pronoun": previous * q.pronoun,
            "previous_concept_ellipsis": previous * q.ellipsis,
            "previous_question_similarity": float(s.previous_similarity[i])
            if s.previous_similarity is not None
            else 0.0,
            "previous_answer_closeness": float(repeats[i]) if repeats is not None else 0.0,
        }
        return [values.get(name, 0.0) for name in CANDIDATE_FEATURES]

    def _term_row(self, c: Candidate, prior: dict[str, float]) -> list[float]:
        values = {
            "bias_term": 1.0,
            "concept_named": 1.0,
            "concept_prior": prior.get(c.note, 0.0),
            "concept_is_top": float(bool(prior) and max(prior, key=prior.__getitem__) == c.note),
            "aspect_match": 1.0,
        }
        return [values.get(name, 0.0) for name in CANDIDATE_FEATURES]

    def _doc_row(self, q: Question, c: Candidate, r: Retrieval) -> list[float]:
        assert c.hit is not None
        hit = c.hit
        best_sentence = max(
            (
                s.similarity
                for s in self.retriever.sentences(r.vector, k=2, reading_ids=[hit.reading_id], roles=r.roles())
            ),
            default=0.0,
        )
        heading = " ".join(str(hit.meta.get(k) or "") for k in ("title", "section"))
        heading_tokens = set(tokenize(heading))
        title = len(q.tokens & heading_tokens) / len(q.tokens) if q.tokens else 0.0
        body_terms = self.glossary.field_terms(hit.body)  # remembered by the glossary
        terms = len(q.strong_terms & body_terms) / len(q.strong_terms) if q.strong_terms else 0.0
        lexical = max((h.score for h in r.passages), default=0.0)
        doc_tokens = self._doc_tokens(hit.reading_id)
        exclusive = len((q.tokens & doc_tokens) - self._bank_tokens) / len(q.tokens) if q.tokens else 0.0
        values = {
            "bias_doc": 1.0,
            "bias_user_doc": float(c.user_doc),
            "doc_similarity": hit.similarity,
            "doc_sentence_similarity": best_sentence,
            "doc_lexical": hit.score / lexical if lexical else 0.0,
            "doc_title_match": title,
            "doc_terms": terms,
            "doc_words_covered": len(q.tokens & doc_tokens) / len(q.tokens) if q.tokens else 0.0,
            "doc_words_exclusive": exclusive,
            # a learner's document the question names nothing of (no word of its own, no title word, not "my
            # notes"): a general question, which the bank answers at the learner's level
            "user_doc_unnamed": float(c.user_doc and not exclusive and not title and not q.names_document),
            # the title across languages ("约束解码那份笔记" and "constrained decoding notes"), against the words the
            # question names a document by when it has them
            "doc_title_similarity": self._title_similarity(str(hit.meta["title"]), q, r)
            if hit.meta.get("title")
            else 0.0,
        }
        return [values.get(name, 0.0) for name in CANDIDATE_FEATURES]

    # ------------------------------------------------------------------------------------------ question row

    def question_base(self, table: Table) -> np.ndarray:
        """The question-level features that do not depend on the ranker (QUESTION_BASE)."""
        q, r = table.question, table.retrieval
        rows = self._rows_by_lang[q.lang]
        best = float(r.pairs.similarity[rows].max()) if len(rows) else 0.0
        foreign, content = self.retriever.vocabulary().foreign(q.core)
        exclusive = CANDIDATE_FEATURES.index("doc_words_exclusive")
        user_docs = [i for i, c in enumerate(table.candidates) if c.user_doc]
        previous_share = 0.0
        if q.previous is not None:
            previous_share = self.retriever.topic_vocabulary(q.previous.topic, q.lang).share_known(q.text)
        values = {
            "bias": 1.0,
            "best_similarity": best,
            "best_passage": r.best_passage,
            "best_sentence": r.best_sentence,
            "strong_terms": min(3, len(q.strong_terms)) / 3,
            "weak_terms": min(2, len(q.weak_terms)) / 2,
            "no_terms": float(not q.strong_terms and not q.weak_terms),
            "foreign_share": foreign / max(1, content),
            "foreign_any": float(foreign > 0),
            "named_reading": float(any(h.named for h in r.readings[:1])),
            "has_history": float(q.previous is not None),
            "refers_back": float(q.refers_back),
            "previous_known_share": previous_share,
            "persona": float(q.persona),
            "short": float(len(q.tokens) <= 2),
            # the question's words that only a learner's document uses (the bank never does): it asks about it
            "user_doc_words": float(table.matrix[user_docs, exclusive].max()) if user_docs else 0.0,
            "names_document": float(q.names_document and bool(user_docs)),
            **{f"aspect_{a}": float(q.aspect == a) for a in ASPECTS},
        }
        return np.asarray([values[name] for name in QUESTION_BASE], dtype=np.float32)


def question_row(base: np.ndarray, probabilities: np.ndarray, kinds: Sequence[str], off_path: float) -> np.ndarray:
    """QUESTION_FEATURES: the ranker's conclusion (best probability, its margin, whether a document won), the
    topic model's log-odds that the question is off the path, and the question's own features. `kinds` are the
    candidates' kinds with "user-doc" for the learner's files."""
    if len(probabilities):
        order = np.argsort(-probabilities)
        top = float(probabilities[order[0]])
        margin = top - float(probabilities[order[1]]) if len(order) > 1 else top
        kind = kinds[int(order[0])]
    else:
        top, margin, kind = 0.0, 0.0, ""
    summary = [top, margin, float(kind in ("doc", "user-doc")), float(kind == "user-doc"), off_path]
    return np.concatenate([np.asarray(summary, dtype=np.float32), base])


def kinds_of(candidates: Sequence[Candidate]) -> list[str]:
    return ["user-doc" if c.user_doc else c.kind for c in candidates]


def _folded(text: str) -> str:
    """Lower case, hyphens and runs of spaces as one space: "Self-Attention" meets "self attention"."""
    return " ".join(text.lower().replace("-", " ").split())


def _pair_aspect(pair: QA) -> Aspect:
    """A pair's aspect: its question's, as the learner's is classified; a verdict makes it a yes/no pair."""
    if verdict_opening(pair.a):
        return "yesno"
    if pair.id == OVERVIEW:
        return "definition"
    return aspect_of(pair.q)
