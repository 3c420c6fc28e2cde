"""Numbers stated in text, normalised across scripts: "8", "eight" and "八" are 8; "70 亿" and "7 billion" are 7e9.

Compared with cn2an (0.5.24) on 22 Chinese and mixed numerals (tests/test_lang.py): this parser reads all 22,
cn2an 15 (it reads 第二 and 十分 as numbers, and misses 1.5亿, 70 亿, 4k, 两倍 and 一半); so no dependency.
"""

from __future__ import annotations

import re

_EN_WORDS = {
    "zero": 0,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fifteen": 15,
    "sixteen": 16,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "hundred": 100,
    "thousand": 1000,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "twice": 2,
    "double": 2,
    "doubles": 2,
    "triple": 3,
    "half": 0.5,
    "quarter": 0.25,
    "dozen": 12,
}
_SCALE_EN = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "k": 1e3, "m": 1e6, "b": 1e9}
_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"万": 1e4, "亿": 1e8}
_ZH_SPECIAL = {"一半": 0.5, "半数": 0.5, "两倍": 2, "双倍": 2, "翻倍": 2}
# 十分 (very), 千万 (by all means), 两者 (both), ordinals (第二), 万一 (in case): numerals that state no quantity.
_ZH_NOT_NUMBERS = re.compile(r"十分|千万(?=[不别要])|两者|万一|一一|第[零一二两三四五六七八九十百千]+")

_ARABIC = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(\s?%)?"
    r"(?:\s?-?\s?(thousand|million|billion|trillion|[kKmMbB])\b|\s?([万亿]))?"
)
_EN_NUMBER_WORD = re.compile(r"\b(" + "|".join(_EN_WORDS) + r")\b", re.I)
_ZH_NUMERAL = re.compile(r"(百分之)?([零一二两三四五六七八九十百千万亿]+(?:点[零一二三四五六七八九]+[万亿]?)?)")


def zh_value(run: str) -> float | None:
    """六十四 → 64, 十二 → 12, 三千 → 3000, 两万 → 20000, 三点五 → 3.5; 一 alone (a, one) and a bare 千 or 万
    are not quantities."""
    whole, _, decimals = run.partition("点")
    if decimals:
        head = 0.0 if whole == "零" else zh_value(whole) if whole != "一" else 1.0
        if head is None:
            return None
        scale = _ZH_BIG.get(decimals[-1], 1.0)
        digits = decimals.rstrip("万亿")
        return (head + float("0." + "".join(str(_ZH_DIGITS[ch]) for ch in digits))) * scale
    if run == "一" or all(ch in _ZH_UNITS or ch in _ZH_BIG for ch in run):
        return None
    total, section, digit = 0.0, 0.0, None
    for ch in run:
        if ch in _ZH_DIGITS:
            digit = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            section += (digit if digit is not None else 1) * _ZH_UNITS[ch]
            digit = None
        else:
            total += (section + (digit or 0)) * _ZH_BIG[ch]
            section, digit = 0.0, None
    return total + section + (digit or 0)


def blank(text: str, start: int, end: int) -> str:
    """Mask a span with spaces, keeping every other position where it was."""
    return text[:start] + " " * (end - start) + text[end:]


def number_spans(sentence: str) -> list[tuple[float, int, int]]:
    """The numbers a sentence states, with where they are, normalised across scripts ("八" is 8, "70 亿" 7e9)."""
    found: list[tuple[float, int, int]] = []
    text = re.sub(r"\[\d{1,2}\]", lambda m: " " * len(m.group(0)), sentence)  # our markers are not numbers
    for m in _ARABIC.finditer(text):
        value = float(m.group(1).replace(",", ""))
        if m.group(3):
            value *= _SCALE_EN[m.group(3).lower()]
        elif m.group(4):
            value *= _ZH_BIG[m.group(4)]
        found.append((value, m.start(), m.end()))
        if m.group(2):
            found.append((value / 100, m.start(), m.end()))
        text = blank(text, m.start(), m.end())
    for m in _EN_NUMBER_WORD.finditer(text):
        found.append((float(_EN_WORDS[m.group(1).lower()]), m.start(), m.end()))
    for m in _ZH_NOT_NUMBERS.finditer(text):
        text = blank(text, m.start(), m.end())
    for special, special_value in _ZH_SPECIAL.items():
        for m in re.finditer(special, text):
            found.append((float(special_value), m.start(), m.end()))
            text = blank(text, m.start(), m.end())
    for m in _ZH_NUMERAL.finditer(text):
        zh = zh_value(m.group(2))
        if zh is not None:
            found.append((zh, m.start(), m.end()))
            if m.group(1):
                found.append((zh / 100, m.start(), m.end()))
    return sorted(found, key=lambda f: f[1])


def numbers_in(sentence: str) -> set[float]:
    """The numbers a sentence states (a percentage also counts as its fraction)."""
    return {value for value, _, _ in number_spans(sentence)}


def same_number(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def new_numbers(sentence: set[float], source: set[float]) -> list[float]:
    return sorted(x for x in sentence if not any(same_number(x, y) for y in source))
