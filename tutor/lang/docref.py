"""Whether a question points at a document ("the chapter says…", "in our notes", "笔记里", "那份文档"): a learner asking
about a file they added, not about the field. The selector weighs it (tutor/select/features.py); it decides nothing.
"""

from __future__ import annotations

import re

_KINDS_EN = (
    r"notes?|chapter|doc|docs|document|page|write-?up|runbook|textbook|book|post-?mortem|wiki|memo|report|"
    r"playbook|sheet|slides?|handout|summary|log|pdf|scan"
)
_EN = re.compile(
    rf"\b(?:the|our|my|this|that|these|those|your|team'?s?)\s+(?:[\w-]+\s+){{0,2}}(?:{_KINDS_EN})\b"
    r"|\baccording to\b|\bin (?:my|our) (?:own )?(?:file|notes?)\b",
    re.I,
)
_ZH = re.compile(
    r"笔记(?!本)|文档|教材|讲义|手册|记录里|记录中|报告里|那份|这份|这一?章|那一?章|这本书|那本书|书里|扫描|第\s*[\d一二三四五六七八九十]+\s*章"
    r"|我们(?:团队|组)?的|团队的"
)


def refers_to_document(question: str) -> bool:
    """True when the question names a document it is asking about, in English or Chinese."""
    return bool(_EN.search(question) or _ZH.search(question))
