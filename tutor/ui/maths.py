"""Formulas for the page: text in, Markdown whose maths KaTeX typesets (Gradio's `latex_delimiters`).

Two kinds of text reach the page. The tutor's own notes and Q&A write formulas in plain Unicode
(`softmax(QKᵀ/√d_k)`, `F_{m−1}`, `Σ_i w_i x_i`) or as `$…$`; `typeset` turns the unambiguous tokens
into `$…$` and leaves prose alone. Quotes from PDFs come out of pypdf with sub- and superscripts
flattened (`√dk`, `1√dk`, `∑dk i=1`, `−→h i`); `repair_pdf` fixes only the patterns whose meaning is
certain and shows everything else exactly as the PDF has it.

Both return Markdown that is safe to put in the page: HTML is escaped outside formulas, and every `$`
that does not open or close a formula is written as an entity inside its own element, because Gradio
pairs dollar signs across the raw message before Markdown runs ("delimiter ($) … [z; q; $; a_k]" must
stay text).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

DELIMITERS: list[dict[str, str | bool]] = [
    {"left": "$$", "right": "$$", "display": True},
    {"left": "$", "right": "$", "display": False},
]
"""What the chat, the viewer and the glossary hand to Gradio: `$$…$$` displayed, `$…$` inline."""

DOLLAR = '<span class="dollar">&#36;</span>'

# Pandoc's rule: `$` opens when a non-space follows, closes when a non-space precedes and no digit follows.
_MATH = re.compile(r"\$\$(?P<display>[^$]+?)\$\$|\$(?P<inline>[^\s$](?:[^$\n]*?[^\s$])?)\$(?!\d)")
_CODE = re.compile(r"`[^`\n]+`")

_GREEK_NAMES = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau upsilon phi chi psi "
    "omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega"
)
_GREEK = {ch: "\\" + name for ch, name in zip("αβγδεζηθικλμνξπρστυφχψωΓΔΘΛΞΠΣΦΨΩ", _GREEK_NAMES.split(), strict=True)}
_SYMBOLS = {
    "−": "-",
    "·": r"\cdot ",
    "×": r"\times ",
    "∈": r"\in ",
    "∉": r"\notin ",
    "≤": r"\le ",
    "≥": r"\ge ",
    "≠": r"\ne ",
    "∼": r"\sim ",
    "≈": r"\approx ",
    "…": r"\dots ",
    "′": "'",
    "∞": r"\infty ",
}
_SUPERSCRIPTS = {
    "ᵀ": r"\top",
    "⁰": "0",
    "¹": "1",
    "²": "2",
    "³": "3",
    "⁴": "4",
    "⁵": "5",
    "⁶": "6",
    "⁷": "7",
    "⁸": "8",
    "⁹": "9",
    "⁻": "-",
    "⁺": "+",
    "ⁿ": "n",
    "ⁱ": "i",
}
_SUP = "".join(_SUPERSCRIPTS)
_LETTER = "A-Za-zα-ωΑ-Ω"
# What may sit inside a converted token; anything else (a CJK character, an accent) leaves the token as text.
_MATH_CHARS = re.compile(rf"^[{_LETTER}0-9\s+\-−=<>(),;:.|'′*/{{}}_^\[\]√ΣΠ∑∏{''.join(_SYMBOLS)}{_SUP}]*$")
_SCRIPT_BODY = r"(?:\{(?:[^{}\n]|\{[^{}\n]*\})*\}|[A-Za-z0-9]+|[α-ωΑ-Ω])"
_RADICAND = rf"(?:\((?:[^()\n]|\([^()\n]*\))*\)|[{_LETTER}](?:_{_SCRIPT_BODY})?|[0-9]+(?:\.[0-9]+)?)"
_TOKEN = re.compile(
    rf"(?<![\w\\$])(?:"
    rf"(?P<op>[Σ∑Π∏])(?P<limits>(?:[_^]{_SCRIPT_BODY})+)"
    rf"|(?P<over>1/)?√(?P<rad>{_RADICAND})"
    rf"|(?P<base>[{_LETTER}])(?P<prime>['′])?(?P<scripts>(?:[_^]{_SCRIPT_BODY})+)(?P<usup>[{_SUP}]*)"
    rf"|(?P<ubase>[A-Za-z0-9]+)(?P<usup2>[{_SUP}]+)"
    rf")(?!\w)"
)
# `QK^T`, `2^{16}`: an ASCII caret after a name of up to three letters or a number.
_CARET = re.compile(r"(?<![\w\\$])(?P<cbase>[A-Za-z]{1,3}|[0-9]+)\^(?P<cexp>\{[^{}\n]{1,12}\}|[A-Za-z0-9])(?!\w)")
# Pieces between two formulas that belong to them: `QKᵀ/√d_k` is one formula, not two.
_JOINER = re.compile(r"^ ?[/·+×=−-] ?$")
# What may join formula tokens into one formula (so it is set in one font): function names right before their
# parenthesis, named functions, numbers, operators, brackets, commas inside brackets and one-letter variables.
_ATOM = re.compile(
    r"(?P<space>[ \t]+)"
    r"|(?P<call>(?<![\w\\$])[A-Za-z][A-Za-z0-9]{0,11}(?=\())"
    r"|(?P<named>(?<![\w\\$])(?:log|exp|max|min|argmax|argmin|softmax|tanh|sigmoid|sign)(?!\w))"
    r"|(?P<num>(?<![\w.])[0-9]+(?:\.[0-9]+)?(?!\w))"
    r"|(?P<op>[=+\-−/·×<>≤≥≈≠∈∼|])"
    r"|(?P<open>[(\[{])"
    r"|(?P<close>[)\]}])"
    r"|(?P<comma>,)"
    r"|(?P<letter>(?<![\w\\$])[A-Za-zα-ωΑ-Ω](?!\w))"
)
_BUILTIN = {"log", "exp", "max", "min", "tanh", "sin", "cos"}
_CLOSING = {"(": ")", "[": "]", "{": "}"}

# Symbols the readings define with subscripts that pypdf prints flat; only whole words are repaired.
_FLAT_SYMBOLS = {
    "dk": "d_k",
    "dv": "d_v",
    "dq": "d_q",
    "dmodel": r"d_{\text{model}}",
    "dff": r"d_{\text{ff}}",
    "QKT": r"QK^{T}",
}
_FLAT = "|".join(sorted(_FLAT_SYMBOLS, key=len, reverse=True))
_PDF_TOKEN = re.compile(
    rf"(?<![\w\\$])(?:"
    rf"1√(?P<inv>{_FLAT}|[A-Za-z0-9]+)"
    rf"|√(?P<rad>{_FLAT}|[A-Za-z0-9]+)"
    rf"|[∑Σ](?P<upper>{_FLAT}|[A-Za-z0-9]+) (?P<index>[a-z])=(?P<lower>[0-9]+)"
    rf"|(?P<arrow>−→|←−)(?P<vec>[A-Za-z])(?: (?P<sub>[ijkt](?:[−-]1)?))?(?=[\s,.;:)=]|$)"
    rf"|(?P<flat>{_FLAT})"
    rf")(?!\w)"
)
_FOOTNOTE_LEAD = re.compile(r"^\d{1,2}(?=[A-Z][a-z])")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~])")


@dataclass(frozen=True)
class Piece:
    text: str
    math: bool = False
    display: bool = False


def typeset(text: str) -> str:
    """Markdown from the tutor's own text: `$…$` kept, Unicode formula tokens typeset, HTML escaped."""
    return _emit(_split(text, _convert_tokens), markdown=True)


def repair_pdf(text: str, in_html: bool = False) -> str:
    """Markdown from a sentence extracted from a PDF: certain repairs typeset, the rest shown as printed.

    `in_html`: the text goes inside an HTML block, where Markdown is not parsed, so it needs no Markdown
    escapes (only HTML ones)."""
    text = _FOOTNOTE_LEAD.sub("", text.strip())
    return _emit(_split(text, _convert_pdf), markdown=in_html)


def plain(text: str) -> str:
    """Escaped text with no formulas at all (titles, labels)."""
    return _emit([Piece(text)], markdown=False)


def _split(text: str, convert: Callable[[str], list[Piece]]) -> list[Piece]:
    """Existing `$…$` formulas and code spans stay as written; the text between them is converted."""
    pieces: list[Piece] = []
    at = 0
    for m in _protected(text):
        pieces.extend(convert(text[at : m.start()]))
        if m.group(0).startswith("`"):
            pieces.append(Piece(m.group(0)))
        else:
            display = m.group("display") is not None
            pieces.append(Piece((m.group("display") or m.group("inline")).strip(), math=True, display=display))
        at = m.end()
    pieces.extend(convert(text[at:]))
    return _join(pieces)


def _protected(text: str) -> list[re.Match[str]]:
    found = sorted([*_MATH.finditer(text), *_CODE.finditer(text)], key=lambda m: m.start())
    kept: list[re.Match[str]] = []
    for m in found:
        if not kept or m.start() >= kept[-1].end():
            kept.append(m)
    return kept


@dataclass(frozen=True)
class _Atom:
    kind: str  # math, call, named, num, op, open, close, comma, letter, space, text
    text: str
    latex: str = ""


def _math_tokens(text: str) -> dict[int, tuple[int, str]]:
    """Formula tokens by start: (end, LaTeX)."""
    found: dict[int, tuple[int, str]] = {}
    for m in _TOKEN.finditer(text):
        latex = _token_latex(m)
        if latex is not None:
            found[m.start()] = (m.end(), latex)
    for m in _CARET.finditer(text):
        if m.start() not in found and _MATH_CHARS.match(m.group(0)):
            exponent = m.group("cexp").strip("{}")
            found[m.start()] = (m.end(), f"{m.group('cbase')}^{{{_latex(exponent)}}}")
    return found


def _atoms(text: str) -> list[_Atom]:
    tokens = _math_tokens(text)
    atoms: list[_Atom] = []
    at = 0
    while at < len(text):
        if at in tokens:
            end, latex = tokens[at]
            atoms.append(_Atom("math", text[at:end], latex))
            at = end
            continue
        m = _ATOM.match(text, at)
        if m is None or m.lastgroup is None:
            if atoms and atoms[-1].kind == "text":
                atoms[-1] = _Atom("text", atoms[-1].text + text[at])
            else:
                atoms.append(_Atom("text", text[at]))
            at += 1
            continue
        atoms.append(_Atom(m.lastgroup, m.group(0), _atom_latex(m.lastgroup, m.group(0))))
        at = m.end()
    return atoms


def _atom_latex(kind: str, text: str) -> str:
    if kind in ("call", "named"):
        if len(text) == 1:
            return text
        return "\\" + text if text in _BUILTIN else f"\\operatorname{{{text}}}"
    if kind in ("open", "close"):
        return "\\" + text if text in "{}" else text
    if kind == "space":
        return " "
    if kind == "op":
        return r" \mid " if text == "|" else f" {_latex(text)} "
    return _latex(text) or text


def _bridged(before: _Atom, after: _Atom) -> bool:
    """Whether a space between two atoms is inside one formula: around an operator, between two formula
    tokens or Greek letters (`w_i x_i`, `ν h_m`), after a named function (`log p`), or after a bracket."""
    if before.kind == "op" or after.kind == "op":
        return True
    if before.kind == "named":
        return after.kind != "text"
    if before.kind == "math" or (before.kind == "letter" and _is_greek(before.text)) or before.kind == "close":
        return after.kind in ("math", "call", "named") or (
            after.kind == "letter" and (_is_greek(after.text) or before.kind == "close")
        )
    return False


def _is_greek(text: str) -> bool:
    return len(text) == 1 and text in _GREEK


def _run_end(atoms: list[_Atom], start: int) -> int:
    """Where the stretch of atoms from `start` that may form one formula ends (exclusive). Inside brackets
    spaces and commas belong to it (`Attention(Q, K, V)`); outside, only the spaces `_bridged` allows."""
    j = start
    depth = 0
    while j < len(atoms):
        a = atoms[j]
        if a.kind == "text" or (a.kind == "comma" and depth == 0):
            break
        if a.kind == "space" and depth == 0:
            nxt = atoms[j + 1] if j + 1 < len(atoms) else None
            if nxt is None or j == start or not _bridged(atoms[j - 1], nxt):
                break
        depth = max(0, depth + {"open": 1, "close": -1}.get(a.kind, 0))
        j += 1
    return j


def _balanced(atoms: list[_Atom]) -> list[_Atom]:
    """The run cut to balanced brackets and trimmed of spaces, operators and calls left at its edges."""
    changed = True
    while changed and atoms:
        changed = False
        stack: list[int] = []
        for k, a in enumerate(atoms):
            if a.kind == "open":
                stack.append(k)
            elif a.kind == "close":
                if not stack or _CLOSING[atoms[stack[-1]].text] != a.text:
                    atoms = atoms[:k] if any(x.kind == "math" for x in atoms[:k]) else atoms[k + 1 :]
                    changed = True
                    break
                stack.pop()
        else:
            if stack:
                k = stack[0]
                atoms = atoms[:k] if any(x.kind == "math" for x in atoms[:k]) else atoms[k + 1 :]
                changed = True
        while atoms and atoms[-1].kind in ("space", "op", "call", "comma", "named"):
            atoms, changed = atoms[:-1], True
        while atoms and atoms[0].kind in ("space", "op", "comma"):
            atoms, changed = atoms[1:], True
    return atoms


def _convert_tokens(text: str) -> list[Piece]:
    """Formula tokens, joined with the operators, brackets, function names and variables around them into
    whole formulas: `softmax(QKᵀ/√d_k)V` is one formula in one font, not `softmax(` + a formula + `)V`."""
    atoms = _atoms(text)
    pieces: list[Piece] = []
    at = i = 0
    while i < len(atoms):
        if atoms[i].kind in ("text", "space", "comma"):
            i += 1
            continue
        end = _run_end(atoms, i)
        run = _balanced(atoms[i:end])
        if not any(a.kind == "math" for a in run):
            i += 1  # what is left may still hold a formula further on (`log p(x_i | x with …)`)
            continue
        first = next(k for k in range(i, end) if atoms[k] is run[0])
        pieces.append(Piece("".join(a.text for a in atoms[at:first])))
        pieces.append(Piece(re.sub(r"\s+", " ", "".join(a.latex for a in run)).strip(), math=True))
        at = i = first + len(run)
    pieces.append(Piece("".join(a.text for a in atoms[at:])))
    return pieces


def _token_latex(m: re.Match[str]) -> str | None:
    if not _MATH_CHARS.match(m.group(0)):
        return None
    if m.group("op"):
        op = r"\sum" if m.group("op") in "Σ∑" else r"\prod"
        return op + _scripts(m.group("limits"))
    if m.group("rad") is not None:
        rad = m.group("rad")
        inner = rad[1:-1] if rad.startswith("(") else rad
        return ("1/" if m.group("over") else "") + r"\sqrt{" + _latex(inner) + "}"
    if m.group("base"):
        prime = "'" if m.group("prime") else ""
        return _latex(m.group("base")) + prime + _scripts(m.group("scripts")) + _unicode_sup(m.group("usup"))
    return _latex(m.group("ubase")) + _unicode_sup(m.group("usup2"))


def _scripts(scripts: str) -> str:
    """`_{m−1}^{W}` / `_i` / `_model` → LaTeX scripts; a word as a subscript is upright text."""
    out = ""
    for kind, body in re.findall(rf"([_^])({_SCRIPT_BODY})", scripts):
        if body.startswith("{"):
            inner = _latex(_convert_nested(body[1:-1]))
        elif len(body) >= 3 and body.isalpha():
            inner = r"\text{" + body + "}"
        else:
            inner = _latex(body)
        out += f"{kind}{{{inner}}}"
    return out


def _convert_nested(body: str) -> str:
    """Unicode superscripts inside a subscript (`v_{w_O}`, `x_{i}²`) become LaTeX too."""
    return re.sub(rf"[{_SUP}]+", lambda m: _unicode_sup(m.group(0)), body)


def _unicode_sup(chars: str) -> str:
    if not chars:
        return ""
    return "^{" + "".join(_SUPERSCRIPTS[c] for c in chars) + "}"


def _latex(text: str) -> str:
    out = []
    for ch in text:
        if ch in _GREEK:
            out.append(_GREEK[ch] + " ")
        elif ch in _SYMBOLS:
            out.append(_SYMBOLS[ch])
        else:
            out.append(ch)
    return "".join(out).strip()


def _convert_pdf(text: str) -> list[Piece]:
    pieces: list[Piece] = []
    at = 0
    for m in _PDF_TOKEN.finditer(text):
        pieces.append(Piece(text[at : m.start()]))
        pieces.append(Piece(_pdf_latex(m), math=True))
        at = m.end()
    pieces.append(Piece(text[at:]))
    return pieces


def _symbol(flat: str) -> str:
    return _FLAT_SYMBOLS.get(flat, flat)


def _pdf_latex(m: re.Match[str]) -> str:
    if m.group("inv"):
        return r"\frac{1}{\sqrt{" + _symbol(m.group("inv")) + "}}"
    if m.group("rad"):
        return r"\sqrt{" + _symbol(m.group("rad")) + "}"
    if m.group("upper"):
        return rf"\sum_{{{m.group('index')}={m.group('lower')}}}^{{{_symbol(m.group('upper'))}}}"
    if m.group("arrow"):
        accent = r"\overrightarrow" if m.group("arrow") == "−→" else r"\overleftarrow"
        sub = m.group("sub")
        return accent + "{" + m.group("vec") + "}" + (f"_{{{sub.replace('−', '-')}}}" if sub else "")
    return _symbol(m.group("flat"))


def _join(pieces: list[Piece]) -> list[Piece]:
    """Drop empty text, and merge `formula op formula` into one formula."""
    out: list[Piece] = []
    for p in pieces:
        if not p.text:
            continue
        if (
            p.math
            and not p.display
            and len(out) >= 2
            and out[-2].math
            and not out[-2].display
            and not out[-1].math
            and _JOINER.match(out[-1].text)
        ):
            op = _latex(out[-1].text.strip())
            out[-2:] = [Piece(f"{out[-2].text} {op} {p.text}", math=True)]
        else:
            out.append(p)
    return out


def _emit(pieces: list[Piece], markdown: bool) -> str:
    parts = []
    for p in pieces:
        if p.math:
            parts.append(f"$${p.text}$$" if p.display else f"${p.text}$")
        elif p.text.startswith("`") and p.text.endswith("`") and len(p.text) > 1:
            parts.append(_code(p.text[1:-1]))
        else:
            parts.append(_text(p.text, markdown))
    return "".join(parts)


def _code(body: str) -> str:
    if "$" not in body:
        return f"`{body}`"
    return "<code>" + escape_html(body).replace("$", "&#36;") + "</code>"


def _text(text: str, markdown: bool) -> str:
    text = escape_html(unicodedata.normalize("NFC", text))
    if not markdown:
        text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return text.replace("$", DOLLAR)


def escape_html(text: str) -> str:
    """Escape HTML so `<script>` in a document shows as text instead of running or vanishing.

    Only `&` and `<` are escaped: no tag can start without `<`, and a leading `>` must stay
    Markdown's quotation mark.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;")
