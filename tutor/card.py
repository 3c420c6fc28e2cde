"""The offline study card: a direct answer to *this* question, the concept's note as background, and evidence.

Where the direct answer comes from, in order:
1. the Q&A pair that matches the question (its short answer, plus the deeper detail above beginner),
   cited to the reading, section and page it rests on;
2. the reading-list entry, when the question is about a reading itself (which chapters, how big);
3. otherwise the one to three sentences of the notes and readings closest to the question, each cited.
Evidence is the sentences of the readings that best support the direct answer: whole sentences, never
from references or front matter, and from appendices, figures or code only when the question asks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tutor.catalog import CatalogHit
from tutor.citations import Citation, CitationBook, ReadNext
from tutor.config import Settings
from tutor.facets import OVERVIEW, FacetIndex
from tutor.lang.script import close_cjk_gaps
from tutor.lang.sentences import split_sentences
from tutor.lang.tokens import content_words, tokenize
from tutor.lang.verdict import without_verdict
from tutor.library import is_own_document
from tutor.notes import NoteFile, Notes
from tutor.qa import QA, Pointer
from tutor.readings import ReadingList
from tutor.retrieve import Retrieval, Retriever, Sentence
from tutor.select import quotes
from tutor.select.aspect import aspect_of
from tutor.select.model import Linear
from tutor.select.selector import Decision
from tutor.vectors import normalise

WORDS = {
    "en": {
        "background": "Background",
        "evidence": "What the readings say",
        "notes": "tutor notes",
        "page": "p. {page}",
        "reading_list": "The article points to",
        "beginner": "beginner",
        "intermediate": "intermediate",
        "expert": "expert",
        "analogy": "systems analogy",
        "ask_about": "What does {section} of “{title}” explain?",
        "glossary": "glossary",
        "from_document": "Your document “{title}” says:",
        "from_reading": "“{title}” says:",
        "closest": "The readings cover {title}, but they do not answer this exact point. What they do say:",
        "closest_untitled": "The readings do not answer this exact point. The closest they come:",
        "also": "If you meant “{question}”",
    },
    "zh": {
        "background": "背景",
        "evidence": "原文怎么说",
        "notes": "导师笔记",
        "page": "第 {page} 页",
        "reading_list": "原文推荐读",
        "beginner": "入门",
        "intermediate": "进阶",
        "expert": "专家",
        "analogy": "系统类比",
        "ask_about": "《{title}》中“{section}”一节讲了什么？",
        "glossary": "术语表",
        "from_document": "你的文档《{title}》中写道：",
        "from_reading": "《{title}》中写道：",
        "closest": "阅读材料讲到了{title}，但没有直接回答这个具体问题。它们讲的是：",
        "closest_untitled": "阅读材料没有直接回答这个具体问题。最接近的内容是：",
        "also": "如果你问的是“{question}”",
    },
}


def document_lead(doc_id: str, title: str, lang: str) -> str:
    """What introduces a document's quotes: a passage of a reading can answer too, and only the learner's own file
    is "your document"."""
    return WORDS[lang]["from_document" if is_own_document(doc_id) else "from_reading"].format(title=title)


EVIDENCE_MIN = 0.35  # cosine between a quoted sentence and what it supports, below which it is not quoted
EVIDENCE_RELATIVE = 0.85  # and a second quote must be nearly as close as the first


@dataclass(frozen=True)
class Background:
    note_id: str
    title: str
    level: str
    text: str
    n: int


@dataclass(frozen=True)
class Quote:
    n: int
    text: str
    reading_id: str
    ocr: bool = False


@dataclass
class Card:
    direct: str  # the direct answer, with [n] markers
    background: Background | None
    evidence: list[Quote]
    citations: list[Citation]
    read_next: list[ReadNext]
    facet: QA | None = None
    topic: str = ""
    lang: str = "en"
    also: str = ""  # a runner-up pair's answer under its own question, with its [n] marker

    def rest_markdown(self) -> str:
        """Everything after the direct answer: a runner-up reading of the question, the background note and the
        quoted evidence."""
        words = WORDS[self.lang]
        parts = [self.also] if self.also else []
        if self.background is not None:
            b = self.background
            parts.append(f"**{words['background']} · {b.title} · {words[b.level]}**\n\n{b.text} [{b.n}]")
        if self.evidence:
            quotes = "\n\n".join(f"> {q.text} [{q.n}]" for q in self.evidence)
            parts.append(f"**{words['evidence']}**\n\n{quotes}")
        return "\n\n".join(parts)

    def markdown(self, direct: str | None = None) -> str:
        rest = self.rest_markdown()
        return f"{direct if direct is not None else self.direct}" + (f"\n\n{rest}" if rest else "")


class CardMaker:
    def __init__(
        self,
        settings: Settings,
        readings: ReadingList,
        notes: Notes,
        facets: FacetIndex,
        retriever: Retriever,
        quote_model: Callable[[], Linear | None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.readings = readings
        self.notes = notes
        self.facets = facets
        self.retriever = retriever
        self.quote_model = quote_model  # the fitted model that picks a document's sentences (read when needed)

    # ------------------------------------------------------------------------------------------ the card

    def make(self, decision: Decision, level: str, lang: str) -> Card:
        """The card for an answer or a closest decision (a declined question gets no card)."""
        retrieval = decision.retrieval
        words = WORDS[lang]
        book = CitationBook(self.readings, words["notes"])
        # An analogy or a persona's request is answered as to a beginner: the plain answer and the analogy.
        level = "beginner" if decision.aspect == "explain" else level
        about = ""  # a reading the question is about, pointed to first
        rest_of_note = ""
        also = ""
        key_terms = {t for m in retrieval.matches for t in tokenize(m.term.en)}
        evidence: list[Sentence] = []
        candidate = decision.candidate if decision.kind == "answer" else None
        pair: QA | None = None
        topic = decision.concept
        if decision.kind == "answer" and decision.numbers is not None:
            markers = [self._cite_place(book, place, None) for place in decision.numbers.sources]
            direct = f"{decision.numbers.text} {''.join(f'[{n}]' for n in dict.fromkeys(markers))}"
        elif decision.reading is not None:
            direct = self._reading_answer(decision.reading, book, lang)
            about = decision.reading.reading.id
        elif candidate is not None and candidate.pair is not None:
            pair = self.facets.sibling(candidate.pair, lang)
            target = normalise(retrieval.vector + self.facets.answer_vector(candidate.pair))
            places = [pair.source, *pair.more]
            evidence = self._evidence(
                retrieval, target, [p.id for p in places], key_terms, places, f"{retrieval.question} {candidate.pair.a}"
            )
            markers = []
            for place in places[:2]:
                quote = next((s for s in evidence if _same_place(s, place)), None)
                markers.append(self._cite_place(book, place, quote))
            text, rest_of_note = self._answer_text(pair, level, lang)
            if not decision.keep_verdict:
                text = without_verdict(text)
            direct = f"{text} {''.join(f'[{n}]' for n in dict.fromkeys(markers))}"
            topic = pair.note
            if decision.aspect == "explain" and aspect_of(candidate.pair.q) != "explain":
                # a pair written as an analogy carries its own
                direct += self._analogy(_asked_concept(retrieval, pair.note), lang, book)
            if decision.also is not None and decision.also.pair is not None:
                also = self._also_answer(decision.also.pair, decision.also_keeps_verdict, level, lang, book)
        elif candidate is not None and candidate.term is not None:
            term = candidate.term
            note = self.notes.get(term.note, lang)
            name = term.zh[0] if lang == "zh" and term.zh else term.en
            definition = term.def_zh if lang == "zh" else term.def_en
            n = book.cite(term.note, words["glossary"], title=note.title if note else term.note)
            direct = f"**{name}**: {definition} [{n}]" if lang == "en" else f"**{name}**：{definition} [{n}]"
        elif candidate is not None and candidate.hit is not None:
            direct = self._document_answer(retrieval, candidate.hit.reading_id, book, lang)
        else:
            if decision.aspect == "explain":  # the concept the learner asked to have explained
                topic = _explained_concept(retrieval) or topic
            direct, evidence, rest_of_note = self._closest_answer(decision, topic, book, level, lang, key_terms)

        # A learner's document that answers is the answer: no note of the bank's is its background.
        own_document = candidate is not None and candidate.user_doc
        note = self.notes.get(topic, lang) if topic and not own_document else None
        background = None
        told = decision.kind == "closest" or (pair is not None and pair.id == OVERVIEW)  # the note's opening
        section = rest_of_note if told else (note.sections.get(level) if note else "")
        if note is not None and section:
            n = book.cite(note.id, words[level], title=note.title)
            background = Background(note.id, note.title, level, section, n)

        # A number or a term's definition is backed by the readings' sentences; a quoted document is its own evidence.
        quoted_document = candidate is not None and candidate.hit is not None
        unbacked = pair is None and decision.reading is None and not quoted_document
        if not evidence and decision.kind == "answer" and unbacked:
            target = normalise(retrieval.vector)
            readings = [h.reading_id for h in retrieval.passages]
            evidence = self._evidence(retrieval, target, readings, key_terms, [], retrieval.question)
        quotes = []
        for sentence in evidence[:2]:
            n = _cite_sentence(book, sentence)
            quotes.append(Quote(n, close_cjk_gaps(sentence.text), sentence.reading_id, bool(sentence.meta.get("ocr"))))
        return Card(
            direct=direct,
            background=background,
            evidence=quotes,
            citations=book.citations,
            read_next=self.read_next(retrieval, pair, note, lang, level, about),
            facet=pair,
            topic=topic,
            lang=lang,
            also=also,
        )

    def _also_answer(self, runner_up: QA, keep_verdict: bool, level: str, lang: str, book: CitationBook) -> str:
        """A runner-up pair's answer at the level, headed by its own question so the learner sees which reading
        of theirs it answers."""
        pair = self.facets.sibling(runner_up, lang)
        text, _ = self._answer_text(pair, level, lang)
        if not keep_verdict:
            text = without_verdict(text)
        n = self._cite_place(book, pair.source, None)
        return f"**{WORDS[lang]['also'].format(question=pair.q)}**\n\n{text} [{n}]"

    def _answer_text(self, pair: QA, level: str, lang: str) -> tuple[str, str]:
        """The pair's answer at the level; for a concept asked by name, the note's own overview at the level
        (its first sentences; the rest becomes the background)."""
        if pair.id != OVERVIEW:
            return pair.answer_at(level), ""
        note = self.notes.get(pair.note, lang)
        sentences = split_sentences(note.sections.get(level, "")) if note else []
        if not sentences:
            return pair.a, ""
        return _joined(sentences[:3]), _joined(sentences[3:])

    def _cite_place(self, book: CitationBook, place: Pointer, quote: Sentence | None) -> int:
        reading = self.readings.by_id.get(place.id)
        if reading is None and place.id.startswith("note-"):
            note = self.notes.get(place.id, "en")
            return book.cite(place.id, place.section, title=note.title if note else place.id)
        indexed = place.id in self.retriever.store.manifest.docs
        return book.cite(
            place.id,
            place.section,
            place.page,
            quote.text if quote else "",
            kind=None if indexed else "reading-list",
            ocr=bool(quote.meta.get("ocr")) if quote else False,
        )

    # ------------------------------------------------------------------------------------------ evidence

    def _evidence(
        self,
        retrieval: Retrieval,
        target: np.ndarray,
        reading_ids: Sequence[str],
        key_terms: set[str],
        places: Sequence[Pointer],
        supports: str = "",
    ) -> list[Sentence]:
        """Up to two sentences of the readings that support `target`, best first; with `supports` (the answer or
        the question), only sentences that share a field term or two words with it: a quote must be about what
        the answer says, not merely near it."""
        ids = [r for r in dict.fromkeys(reading_ids) if not r.startswith("note-")]
        if not ids:
            return []
        found = self.retriever.sentences(target, k=16, reading_ids=ids, roles=retrieval.roles(), notes=False)
        glossary = self.retriever.glossary
        support_terms, support_words = glossary.field_terms(supports), set(content_words(supports))
        scored = []
        for s in found:
            if not s.quotable:
                continue  # an index built before a quoting rule changed
            if supports and not (
                glossary.field_terms(s.text) & support_terms or len(set(content_words(s.text)) & support_words) >= 2
            ):
                continue  # no field term in common (either language, through the glossary), nor two English words
            bonus = 0.04 * min(2, len(key_terms & set(tokenize(s.text))))
            if any(_same_place(s, p) for p in places):
                bonus += 0.05
            scored.append((s.similarity + bonus, s))
        scored.sort(key=lambda pair: -pair[0])
        picked: list[Sentence] = []
        best = scored[0][0] if scored else 0.0
        for score, s in scored:
            if score < max(EVIDENCE_MIN, EVIDENCE_RELATIVE * best) or any(_overlaps(s.text, p.text) for p in picked):
                continue
            picked.append(s)
            if len(picked) == 2:
                break
        return picked

    # ------------------------------------------------------------------------------------------ fallbacks

    def _reading_answer(self, hit: CatalogHit, book: CitationBook, lang: str) -> str:
        r = hit.reading
        sections = "; ".join(s.name for s in r.sections)
        n = book.cite(r.id, "", None, kind="reading-list" if r.id not in self.retriever.store.manifest.docs else None)
        if lang == "zh":
            lines = f"《{r.title}》（{r.short_authors}，{r.year}）：{r.why_zh}"
            return f"{lines}{WORDS['zh']['reading_list']}：{sections}。[{n}]" if sections else f"{lines} [{n}]"
        lines = f"*{r.title}* ({r.short_authors}, {r.year}): {r.why_en}"
        return f"{lines} {WORDS['en']['reading_list']}: {sections}. [{n}]" if sections else f"{lines} [{n}]"

    def _analogy(self, note_id: str, lang: str, book: CitationBook) -> str:
        """The concept's systems analogy (its note's own section), for a learner who asked for one."""
        note = self.notes.get(note_id, lang)
        found = note.sections.get("analogy", "").strip() if note is not None else ""
        if note is None or not found:
            return ""
        return f" {found} [{book.cite(note.id, WORDS[lang]['analogy'], title=note.title)}]"

    def _document_answer(self, retrieval: Retrieval, doc_id: str, book: CitationBook, lang: str) -> str:
        """A document answers: the sentences most worth quoting for the question, each with its neighbours in its
        section (a number or a name often sits in the next sentence), best first, each stretch cited once."""
        found = self.retriever.sentences(retrieval.vector, k=quotes.POOL, reading_ids=[doc_id], roles=retrieval.roles())
        chosen = quotes.pick(retrieval.question, found, self.quote_model(), [m.term for m in retrieval.matches])
        if not chosen:
            return ""
        stretches: list[tuple[Sentence, list[Sentence]]] = []
        shown: set[str] = set()
        for sentence in chosen:
            if (sentence.id or sentence.text) in shown:
                continue
            around = self.retriever.around(sentence, quotes.BEFORE, quotes.AFTER)
            window = [s for s in around if (s.id or s.text) not in shown]
            if stretches and len(shown) + len(window) > quotes.MOST_SENTENCES:
                break
            stretches.append((sentence, window))
            shown.update(s.id or s.text for s in window)
        pieces = [
            f"“{close_cjk_gaps(' '.join(s.text for s in window))}” [{_cite_sentence(book, best)}]"
            for best, window in stretches
        ]
        title = str(chosen[0].meta.get("title") or doc_id)
        lead = document_lead(doc_id, title, lang)
        return f"{lead} {' '.join(pieces)}"

    def _closest_answer(
        self, decision: Decision, concept: str, book: CitationBook, level: str, lang: str, key_terms: set[str]
    ) -> tuple[str, list[Sentence], str]:
        """The readings cover the topic, not the point asked: say so, define the concept at the learner's level,
        and quote the closest sentences (as evidence, each cited); last, the rest of the note at the level (the
        background, without the definition already given)."""
        retrieval = decision.retrieval
        note = self.notes.get(concept, lang) if concept else None
        words = WORDS[lang]
        sentences = split_sentences(note.sections.get(level, "")) if note is not None else []
        rest = _joined(sentences[2:])
        definition = ""
        if note is not None and sentences:
            definition = f"{_joined(sentences[:2])} [{book.cite(note.id, words[level], title=note.title)}]"
        if definition and note is not None and decision.aspect == "explain":
            # an explanation or an analogy is asked for, not a point the readings may lack: the concept, plainly,
            # and its analogy
            return definition + self._analogy(note.id, lang, book), [], rest
        parts = [words["closest"].format(title=note.title) if note else words["closest_untitled"]]
        if definition:
            parts.append(definition)
        if decision.numbers is not None:
            parts.append(decision.numbers.text)
        nearest = decision.candidate
        if nearest is not None and nearest.user_doc and nearest.hit is not None:
            # the learner's own document came closest: its sentences most worth quoting
            quoted = self._document_answer(retrieval, nearest.hit.reading_id, book, lang)
            if quoted:
                return " ".join([*parts, quoted]), [], rest
        readings = [str(p.get("id", "")) for p in note.readings] if note else []
        readings += [h.reading_id for h in retrieval.passages]
        evidence = self._evidence(retrieval, normalise(retrieval.vector), readings, key_terms, [], retrieval.question)
        if not evidence and not definition:
            # no concept to define and no sentence of its readings close enough: quote the nearest passage's
            # document rather than leave "the closest they come:" with nothing after it
            hit = (nearest.hit if nearest is not None else None) or next(iter(retrieval.passages), None)
            quoted = self._document_answer(retrieval, hit.reading_id, book, lang) if hit is not None else ""
            if quoted:
                return " ".join([*parts, quoted]), [], rest
        return " ".join(parts), evidence, rest

    # ------------------------------------------------------------------------------------------ read next

    def read_next(
        self,
        retrieval: Retrieval,
        pair: QA | None,
        note: NoteFile | None,
        lang: str,
        level: str,
        about: str = "",
        limit: int = 3,
    ) -> list[ReadNext]:
        """Where to read next, each with a question to ask about it: the answer's own source section, the
        note's pointers into the papers, then the next step on the path (for a beginner, the step before)."""
        picks: list[ReadNext] = []
        asked = {pair.key} if pair else set()

        def add(reading_id: str, section: str, page: int | None) -> None:
            reading = self.readings.by_id.get(reading_id)
            if reading is None or len(picks) >= limit or any(p.reading_id == reading_id for p in picks):
                return
            where = section + (f", {WORDS[lang]['page'].format(page=page)}" if page else "")
            question = self._question_about(reading_id, section, lang, asked)
            if not question and section:
                question = WORDS[lang]["ask_about"].format(title=reading.title, section=section)
            picks.append(ReadNext(reading_id, reading.title, where, reading.why(lang), question))

        if about:
            sections = self.readings.by_id[about].sections
            add(about, sections[0].name if sections else "", sections[0].page if sections else None)
        if pair is not None:
            add(pair.source.id, pair.source.section, pair.source.page)
        for pointer in note.readings if note else []:
            add(str(pointer.get("id", "")), str(pointer.get("section", "")), pointer.get("page"))
        for hit in retrieval.passages[:1]:
            add(hit.reading_id, str(hit.meta.get("section") or ""), int(hit.meta.get("page") or 0) or None)
        if picks:
            anchor = picks[0].reading_id
            links = self.readings.links
            neighbours = (
                [lk.source for lk in links if lk.target == anchor]
                if level == "beginner"
                else [lk.target for lk in links if lk.source == anchor]
            )
            for rid in neighbours:
                sections = self.readings.by_id[rid].sections
                add(rid, sections[0].name if sections else "", sections[0].page if sections else None)
        return picks

    def _question_about(self, reading_id: str, section: str, lang: str, asked: set[str]) -> str:
        """A question from the tutor's Q&A that this reading (ideally this section) answers."""
        candidates = [
            p
            for p in self.facets.pairs
            if p.lang == lang and p.source.id == reading_id and p.key not in asked and p.id != OVERVIEW
        ]
        exact = [p for p in candidates if p.source.section == section]
        chosen = (exact or candidates)[:1]
        for p in chosen:
            asked.add(p.key)
            return p.q
        return ""


def _cite_sentence(book: CitationBook, sentence: Sentence) -> int:
    """Cite a quoted sentence of a reading: its section and page, the sentence as the quote."""
    return book.cite(
        sentence.reading_id,
        str(sentence.meta.get("section") or ""),
        sentence.page,
        sentence.text,
        title=str(sentence.meta.get("title", "")),
        ocr=bool(sentence.meta.get("ocr")),
    )


def _explained_concept(retrieval: Retrieval) -> str:
    """The concept a request to explain names, by a form of the field's own if it has one, else by an everyday
    one ("explain attention as a cache": "attention" is an everyday word, and still the concept asked about)."""
    named = sorted((m for m in retrieval.matches if m.term.note), key=lambda m: m.everyday)
    return named[0].term.note if named else ""


def _asked_concept(retrieval: Retrieval, answered: str) -> str:
    """The concept whose analogy the learner asked for: the answer's when the question names it or names none, else
    the first the question names ("位置编码…打个比方" answered by the Transformer block's pair asks for positional
    encoding's analogy, not the block's)."""
    named = [m.term.note for m in retrieval.matches if not m.everyday and m.term.note]
    return answered if not named or answered in named else named[0]


def _same_place(sentence: Sentence, place: Pointer) -> bool:
    if sentence.reading_id != place.id:
        return False
    section = str(sentence.meta.get("section") or "")
    return section == place.section or (place.page is not None and sentence.page == place.page)


def _overlaps(a: str, b: str) -> bool:
    return a[:60].lower() == b[:60].lower()


def _joined(sentences: list[str]) -> str:
    """A note's sentences back in one paragraph: joined by a space, which Chinese writing does not leave between
    two sentences ("其他词。所以")."""
    return close_cjk_gaps(" ".join(sentences))
