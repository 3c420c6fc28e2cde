"""The bilingual glossary (corpus/glossary.toml, corpus/glossary/*.toml): Chinese ↔ English terms, one-line definitions.

Retrieval uses it to carry a Chinese question over to the English readings (BM25 needs the English
words); the UI shows it as a searchable table.
"""

from __future__ import annotations

import re
import tomllib
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from tutor.errors import ConfigError
from tutor.lang.script import CJK as _CJK

_LATIN = re.compile(r"[A-Za-z]")


class Term(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    en: str
    zh: list[str]
    variants: list[str] = []
    def_en: str
    def_zh: str
    note: str

    def matches(self, needle: str) -> bool:
        """Case-insensitive substring match on every form of the term and its definitions."""
        needle = needle.lower().strip()
        forms = [self.en, *self.zh, *self.variants, self.def_en, self.def_zh]
        return any(needle in form.lower() for form in forms)


_REMEMBERED = 50_000  # texts whose field terms are kept (sentences and passages of the readings, a few MB)


class Match(BaseModel):
    """A glossary term found in a text, and the form it was found by."""

    model_config = ConfigDict(frozen=True)

    term: Term
    form: str
    everyday: bool  # the form also has an everyday sense ("tree", 注意力): weak evidence of topic


class Glossary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    terms: list[Term]
    everyday: list[str] = []

    @cached_property
    def _everyday(self) -> frozenset[str]:
        return frozenset(f for form in self.everyday for f in (form.lower(), *joined_form(form.lower())))

    @cached_property
    def _zh_forms(self) -> list[tuple[str, str, Term]]:
        """Chinese forms, longest first, so 注意力机制 wins over 注意力; each with its spaces removed."""
        forms = [(form, re.sub(r"\s+", "", form), t) for t in self.terms for form in t.zh if _CJK.search(form)]
        return sorted(forms, key=lambda entry: -len(entry[0]))

    @cached_property
    def _latin_forms(self) -> tuple[re.Pattern[str], dict[str, Term]]:
        """One regex for every Latin-script form (English term, variants, Latin 'zh' forms like GPT)."""
        lookup: dict[str, Term] = {}
        for t in self.terms:
            for form in [t.en, *t.variants, *t.zh]:
                if _LATIN.search(form) and not _CJK.search(form):
                    lookup.setdefault(form.lower(), t)
        for form, t in list(lookup.items()):
            for joined in joined_form(form):
                lookup.setdefault(
                    joined, t
                )  # "PagedAttention", "feedforward", "LayerNorm": one word in code and papers
        forms = sorted(lookup, key=len, reverse=True)
        # an English plural names the same term: "ResNets", "LLMs", "transformers", "biases"
        pattern = re.compile(
            r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, forms)) + r")(?:s|es)?(?![A-Za-z0-9])", re.I
        )
        return pattern, lookup

    def matches_in(self, text: str) -> list[Match]:
        """Glossary terms named in the text with the form that named them; Chinese forms first
        (longest first, non-overlapping). A term found by a specific form and an everyday one counts
        as specific."""
        found: dict[str, Match] = {}

        def note(term: Term, form: str) -> None:
            everyday = form.lower() in self._everyday
            if term.key not in found or (found[term.key].everyday and not everyday):
                found[term.key] = Match(term=term, form=form, everyday=everyday)

        compact = re.sub(r"\s+", "", text)  # "除以根号 d" and "除以根号d" are the same term
        for form, bare, term in self._zh_forms if _CJK.search(text) else ():
            if bare in compact:
                compact = compact.replace(bare, " ")
                note(term, form)
        pattern, lookup = self._latin_forms
        for match in pattern.finditer(text):
            form = match.group(1)
            if len(form) == 1 and form not in self._letter_forms:
                continue  # "K" is attention's key matrix; "k" is any count: k-fold, top-k, k negatives
            note(lookup[form.lower()], form)
        return list(found.values())

    @cached_property
    def _letter_forms(self) -> frozenset[str]:
        """One-letter forms (Q, K, V), which name their term only written as the glossary writes them."""
        return frozenset(f for t in self.terms for f in [t.en, *t.variants, *t.zh] if len(f) == 1)

    @cached_property
    def _field_terms_seen(self) -> dict[str, frozenset[str]]:
        return {}

    def field_terms(self, text: str) -> frozenset[str]:
        """The keys of the terms a text names by a form of the field's own (everyday forms left out); remembered,
        since the same sentences of the readings are scanned for question after question."""
        seen = self._field_terms_seen
        found = seen.get(text)
        if found is None:
            found = frozenset(m.term.key for m in self.matches_in(text) if not m.everyday)
            if len(seen) > _REMEMBERED:
                seen.clear()
            seen[text] = found
        return found

    def terms_in(self, text: str) -> list[Term]:
        return [m.term for m in self.matches_in(text)]

    def search(self, needle: str) -> list[Term]:
        return [t for t in self.terms if t.matches(needle)] if needle.strip() else list(self.terms)


_JOINED_MIN = 6  # letters a joined form needs: shorter ones ("kv", "top k" → "topk") are too easily other words


def joined_form(form: str) -> tuple[str, ...]:
    """A form of several words written as one, as code and papers do ("paged attention" → "pagedattention")."""
    joined = re.sub(r"[\s-]+", "", form)
    return (joined,) if joined != form and len(joined) >= _JOINED_MIN and joined.isascii() and joined.isalnum() else ()


def glossary_files(corpus_dir: Path) -> list[Path]:
    """corpus/glossary.toml, then any extra term files in corpus/glossary/ (one per stage)."""
    main = corpus_dir / "glossary.toml"
    if not main.is_file():
        raise ConfigError(f"No glossary at {main}.")
    return [main, *sorted((corpus_dir / "glossary").glob("*.toml"))]


def load_glossary(corpus_dir: Path) -> Glossary:
    terms: list[object] = []
    everyday: list[str] = []
    for path in glossary_files(corpus_dir):
        try:
            with path.open("rb") as f:
                data = tomllib.load(f)
            terms.extend(data.get("terms", []))
            everyday.extend(data.get("everyday", []))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    try:
        glossary = Glossary.model_validate({"terms": terms, "everyday": everyday})
    except ValidationError as exc:
        raise ConfigError(f"The glossary in {corpus_dir} does not match the schema:\n{exc}") from exc
    seen: set[str] = set()
    for term in glossary.terms:
        if term.key in seen:
            raise ConfigError(f"Glossary term {term.key!r} is defined twice in {corpus_dir}.")
        seen.add(term.key)
    return glossary
