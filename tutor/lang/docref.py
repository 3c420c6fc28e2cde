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


_NAMED_EN = re.compile(
    rf"\b(?:the|our|my|this|that|these|those|your|team'?s?)\s+(?P<name>(?:[\w/&+.-]+\s+){{1,4}}(?:{_KINDS_EN}))\b",
    re.I,
)
_NAMED_ZH = re.compile(
    r"(?P<name>[\u4e00-\u9fffA-Za-z0-9/&+._ -]{2,24}?(?:笔记(?!本)|文档|教材|讲义|手册|记录|报告|规范|总结))"
)
_LEADING_ZH = re.compile(r"^(?:(?:在|从|按|照|根据|我们|我的|团队|组里|的|那份|这份|那篇|这篇|关于|里)\s*)+")


def named_document(question: str) -> str:
    """The words a question names a document by ("the reward model notes", "奖励模型训练笔记"), or "" when it names
    none by more than its kind ("the notes", "笔记里"): compared with the learner's documents' titles, it points at
    one of them across languages more sharply than the whole question does."""
    m = _NAMED_EN.search(question)
    if m:
        return m.group("name").strip()
    m = _NAMED_ZH.search(question)
    if m:
        name = _LEADING_ZH.sub("", m.group("name").strip())
        return name if len(name) > 3 else ""
    return ""
