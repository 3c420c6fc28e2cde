"""Text a user gave, echoed back in a one-line message: control and invisible characters escaped, long text capped.

A file name with an ESC in it must not drive the terminal, and a 100,000-character learner name must not come
back in full. A leaf module: the library, study mode and the web layer all import it.
"""

from __future__ import annotations

import unicodedata

_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # controls, format (zero-width), surrogates, unassigned


def _escaped(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def shown(text: str, limit: int = 80) -> str:
    """`text` as it may appear in a message: invisible characters as `\\x1b`-style escapes, at most `limit`
    characters of it, then how long the whole was."""
    out: list[str] = []
    size = 0
    for ch in text:
        piece = _escaped(ch) if unicodedata.category(ch) in _INVISIBLE else ch
        if size + len(piece) > limit:
            return "".join(out) + f"… ({len(text):,} characters)"
        out.append(piece)
        size += len(piece)
    return "".join(out)
