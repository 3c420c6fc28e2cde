"""What a question asks about its topic: its aspect, in English or Chinese, and a persona to set aside.

Aspects: definition ("what is X"), mechanism (how), reason (why), comparison, quantity (how many / how much),
yesno (a claim to confirm or deny), example, history (who / when), explain (explain it to me, with an
analogy). The answer selector weighs a candidate by whether it answers the same aspect, and a verdict
("No.", "不是。") is served only to a yes/no question.

A persona ("I'm a chip designer, …", "我是做 FPGA 的，…") says who is asking, not what about: it is set aside
before the topic is judged, and asks for the beginner's answer with its systems analogy.
"""

from __future__ import annotations

import re
from typing import Literal

Aspect = Literal[
    "definition", "mechanism", "reason", "comparison", "quantity", "yesno", "example", "history", "explain"
]
ASPECTS: tuple[Aspect, ...] = (
    "definition",
    "mechanism",
    "reason",
    "comparison",
    "quantity",
    "yesno",
    "example",
    "history",
    "explain",
)

_PERSONA = re.compile(
    r"^\s*(?:hi|hello|hey)?[,!\s]*(?:i\s*'?\s*a?m|as)\s+(?:an?\s+)?[^,.;:!?，。；：]{2,60}?"
    r"(?:engineer|designer|developer|programmer|architect|student|researcher|dev|person|guy|background|hacker|admin)"
    r"[^,.;:!?，。；：]{0,40}[,.;:!?]\s*"
    r"|^\s*(?:我是|我做|我搞|我从事|作为)(?:一[个名位])?[^，。；：,.;:!?？]{1,30}?(?:的|工程师|开发者?|程序员|学生|研究员|背景)[^，。；：,.;:!?？]{0,12}[，。；：,.;:!?？]\s*",
    re.I,
)
_POLITE = re.compile(
    r"^\s*(?:(?:can|could|would) you(?: please)?(?: (?:tell me|help me understand|explain to me))?|please|pls|"
    r"i (?:want|would like|wonder|was wondering)(?: to know)?(?: about)?|i don'?t (?:understand|get)|"
    r"请问|请|麻烦|想问一下|想问|问一下|我想知道|我不太?懂|我不理解|能否|能不能|可以)\s*",
    re.I,
)

_RULES: list[tuple[Aspect, re.Pattern[str]]] = [
    (
        "explain",
        re.compile(
            r"\banalog(?:y|ies|ous)\b|\bmetaphor\b|\blike i'?m (?:five|5|a)\b|\beli5\b|\bin (?:simple|plain|"
            r"layman'?s?) "
            r"(?:terms|words|english)\b|\bintuiti(?:on|ve(?:ly)?)\b|\bexplain\b.*\b(?:to me|simply|to a|for a|"
            r"as if|in terms of|"
            r"using|with (?:a|an)|from the (?:point|perspective))\b|\bthink of it as\b|\bhow should i think about\b|"
            r"\bin (?:those|these|my|his|her|their|hardware|systems?|cpu|gpu|software|everyday) terms\b|\bterms i'?d\b|"
            r"\bmaps? (?:on)?to\b|\bmy (?:world|field|terms|language)\b|\bfor (?:a|an) (?:\w+ )?(?:engineer|"
            r"beginner|newbie)\b|"
            r"类比|比喻|打个比方|打比方|通俗|大白话|白话|直观|用[^，。？]{1,20}(?:的话|的角度|的思路|来)(?:解释|讲|理解)|"
            r"解释一下|讲讲|讲一下|说说",
            re.I,
        ),
    ),
    (
        "comparison",
        re.compile(
            r"\bvs\.?\b|\bversus\b|\bdifferen(?:ce|t|ces)\b|\bdiffer\b|\bcompar(?:e|ed|ison)\b|\bsame (?:as|thing)\b|"
            r"\b(?:better|worse|faster|slower) than\b|\binstead of\b|\bor\b[^?]*\bwhich\b|\bwhich (?:is|"
            r"one) (?:better|faster)\b|"
            r"\w+ or \w+[^.?]*\?|\b(?:pros and cons|trade-?offs?)\b|"
            r"区别|差别|不同|不一样|对比|比较|相比|一回事|还是|哪个(?:好|更)|优劣|异同|优缺点|长处|短处|各有",
            re.I,
        ),
    ),
    (
        "quantity",
        re.compile(
            r"\bhow (?:many|much|big|large|long|fast|slow|small|often|deep|wide)\b|\bwhat (?:size|percentage|"
            r"fraction|number)\b|"
            r"\bnumber of\b|\bhow much (?:memory|time)\b|\bcost of\b|"
            r"多少|多大|多长|多快|多深|多宽|几个|几层|几倍|几次|几个头|多久|占用|规模",
            re.I,
        ),
    ),
    (
        "reason",
        re.compile(
            r"\bwhy\b|\bwhat(?: is| are|'s) (?:the )?(?:point|purpose|reason|motivation|benefit|use|advantage)|"
            r"\bwhat (?:makes|goes wrong|causes|caused|breaks)\b|\bcould(?:n'?t)? (?:you|we|it) (?:just|not)\b|"
            r"\bwhat (?:is|are) \w+ for\b|\bhow come\b|\bwhat problem\b|\bwhy do we need\b|"
            r"为什么|为何|为啥|原因|干什么用|干嘛|有什么用|好处|坏处|弊端|毛病|做什么用|目的|动机|意义何在|解决什么问题|解决了什么|怎么回事",
            re.I,
        ),
    ),
    (
        "history",
        re.compile(
            r"\bwho (?:invented|proposed|introduced|came up|created|wrote)\b|\bwhen (?:was|were|did)\b|\bhistory of\b|"
            r"\borigin(?:s|ally)?\b|\bfirst (?:introduced|proposed|used)\b|"
            r"谁提出|谁发明|什么时候|哪一年|何时|起源|历史|最早",
            re.I,
        ),
    ),
    ("example", re.compile(r"\bexamples?\b|\bfor instance\b|\bshow me\b|\bsample\b|举个?例|例子|示例|实例", re.I)),
    (
        "mechanism",
        re.compile(
            r"\bhow (?:does|do|is|are|can|to|did|would|should|exactly)\b|\bhow\b|\bwhat happens\b|\bwork(?:s|ing)?\b|"
            r"\bmechanism\b|\bprocess\b|\bsteps?\b|\bcompute[sd]?\b|\bcalculate[sd]?\b|\bimplement|"
            r"怎么|怎样|如何|原理|过程|机制|流程|步骤|是怎么|怎么算|计算方式|实现",
            re.I,
        ),
    ),
    (
        "yesno",
        re.compile(
            r"(?:^|[,;:.?!]\s*|\bif [^,?]*,\s*|\bso\s+|\bbut\s+)"
            r"(?:is|are|does|do|did|can|could|should|will|would|was|were|has|have|isn'?t|aren'?t|doesn'?t|don'?t)\b|"
            r"\bis it (?:true|right|correct)\b|\bright\?\s*$|"
            r"吗[？?！!。.\s]*$|是不是|是否|能不能|会不会|有没有|对不对|对吗|对吧|是吧|吧[？?]?\s*$|可不可以|要不要|算不算",
            re.I,
        ),
    ),
    (
        "definition",
        re.compile(
            r"\bwhat(?:'s| is| are| was| were| does)\b|\bdefin(?:e|ition)\b|\bmean(?:s|ing)?\b|\bstands? for\b|"
            r"\bwhat\b|"
            r"什么是|是什么|是啥|啥是|指什么|什么意思|含义|定义|概念|介绍",
            re.I,
        ),
    ),
]


def strip_persona(question: str) -> tuple[str, bool]:
    """The question without a leading persona ("I'm a chip designer, "), and whether it had one."""
    m = _PERSONA.match(question)
    if not m or len(question) - m.end() < 4:
        return question, False
    return question[m.end() :], True


def aspect_of(question: str) -> Aspect:
    """The aspect a question asks about (rules in both languages; a bare topic asks for its definition)."""
    text, persona = strip_persona(question)
    if persona:
        return "explain"
    core = _POLITE.sub("", text, count=1)
    for aspect, pattern in _RULES:
        if aspect == "yesno":
            if pattern.search(core):
                return aspect
        elif pattern.search(core):
            return aspect
    return "definition"


_SUBJECT_EN = re.compile(
    r"^(?:what|who)(?:'s| is| are| was| were)\s+(?:an?\s+|the\s+)?(?P<a>.+?)\s*\??$"
    r"|^what does\s+(?:an?\s+|the\s+)?(?P<b>.+?)\s+(?:mean|stand for|do)\s*\??$"
    r"|^(?:define|explain|meaning of)\s+(?:an?\s+|the\s+)?(?P<c>.+?)\s*[.?]?$",
    re.I,
)
_SUBJECT_ZH = re.compile(
    r"^(?:什么是|啥是|何为|何谓)(?P<a>.+?)[？?。]?$"
    r"|^(?P<b>.+?)(?:是什么(?:意思|东西)?|是啥|指的是什么|指什么|是什么概念)[？?。]?$"
)


def definition_subject(question: str) -> str:
    """What a definition question asks about ("self-attention" in "What is self-attention?", 自注意力 in
    "什么是自注意力？"), or "" when the question is not a plain definition question."""
    return _subject(question, _SUBJECT_EN, _SUBJECT_ZH)


def _subject(question: str, *patterns: re.Pattern[str]) -> str:
    """The named group the first matching pattern captures in the question without persona or politeness, or ""."""
    text, _ = strip_persona(question)
    text = _POLITE.sub("", text.strip(), count=1).strip()
    m = next((found for p in patterns if (found := p.match(text))), None)
    if not m:
        return ""
    return next(g for g in m.groups() if g).strip(" '\"“”‘’?？。.").strip()


# The basic grid's other bare forms: how X works, why X, what X is for — a question that is nothing but one of
# these around a term of the field is on the path by construction.
_ABOUT_EN = re.compile(
    r"^how (?:does|do|did)\s+(?:an?\s+|the\s+)?(?P<a>.+?)\s+work\s*\??$"
    r"|^why (?:do we|do you|does one|would you) (?:need|use)\s+(?:an?\s+|the\s+)?(?P<b>.+?)\s*\??$"
    r"|^why (?:is|are)\s+(?:an?\s+|the\s+)?(?P<c>.+?)\s+(?:needed|used|useful|important)\s*\??$"
    r"|^what (?:is|are)\s+(?:an?\s+|the\s+)?(?P<d>.+?)\s+(?:for|used for)\s*\??$",
    re.I,
)
_ABOUT_ZH = re.compile(
    r"^(?P<a>.+?)(?:是怎么|是如何|是怎样|怎么|如何)(?:工作|运作|实现)的?[？?。]?$"
    r"|^为什么(?:需要|要用|要|用)(?P<b>.+?)[？?。]?$"
    r"|^(?P<c>.+?)(?:有什么用|有啥用|的作用是什么|是干什么的|是干嘛的|解决什么问题)[？?。]?$"
)


def grid_subject(question: str) -> str:
    """What a bare "What is X?", "How does X work?", "Why do we need X?" or "X 有什么用？" asks about, or ""."""
    return _subject(question, _ABOUT_EN, _ABOUT_ZH) or definition_subject(question)
