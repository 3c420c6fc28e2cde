"""Interface words in English and Chinese. The learner switches with the 中文/English control; the choice
is kept in the browser (local storage) and defaults to the browser's language."""

from __future__ import annotations

UI: dict[str, dict[str, str]] = {
    "en": {
        "tagline": "Learn how large language models work by following a reading path — from ML foundations "
        "to LLM serving. Ask in English or Chinese; every answer cites the reading, section and page.",
        "ask": "Ask",
        "placeholder": "Ask about the readings, in English or Chinese…",
        "clear": "Clear chat",
        "level": "Level",
        "answer_lang": "Answer language",
        "auto": "Same as my question",
        "try": "Try asking",
        "next": "Ask next",
        "path": "Reading path",
        "map": "Map",
        "glossary": "Glossary",
        "source": "Source",
        "study": "Study",
        "search": "Search the glossary (English or 中文)…",
        "chat_empty": "Ask a question below, or pick one of the suggestions.",
        "empty_question": "Please type a question first.",
        "error": "Something went wrong answering that ({kind}). Please try again; the rest of the session still works.",
        "details": "Details",
        "ready": "Ready.",
        "indexed": "{n} of {total} readings are indexed, with {notes} study notes",
        "own_docs": " and {n} of your own documents",
        "offline": "Answers are study cards: the tutor's notes at your level plus quotes from the readings "
        "(no AI language model is connected).",
        "llm": "Answers are written by the language model “{model}” from the readings and notes.",
        "missing": "{n} readings are not in your library yet, so answers cannot quote them.",
        "indexing": "The readings are still being indexed; answers may miss some of them for a minute.",
        "dev_backend": "Backend: {backend}.",
        "dev_llm": "To use a language model, set TUTOR_LLM_BASE_URL (any OpenAI-compatible server) and "
        "TUTOR_LLM_MODEL, then restart `tutor serve`.",
        "dev_fetch": "Get the open-access readings with `tutor fetch`, add your own copies with "
        "`tutor add FILE --as ID`, then run `tutor ingest`.",
        "dev_missing": "Not here: {ids}.",
        "stage_read": "Read",
        "why": "Why",
        "state_indexed": "indexed ✓",
        "state_library": "in your library, not indexed yet (`tutor ingest`)",
        "state_fetch": "not here yet — `tutor fetch {id}`",
        "state_add": "add your copy — `tutor add FILE --as {id}`",
        "addition": "the tutor's addition",
        "ask_reading": "Ask about this reading",
        "open_note": "note",
        "terms": "{n} terms",
        "no_terms": "No term matches.",
        "ui_lang": "Interface",
    },
    "zh": {
        "tagline": "沿着一条阅读路径弄懂大模型是怎么工作的——从机器学习基础到大模型推理部署。"
        "中英文提问都可以，每个回答都注明出处、章节和页码。",
        "ask": "提问",
        "placeholder": "用中文或英文提问……",
        "clear": "清空对话",
        "level": "难度",
        "answer_lang": "回答语言",
        "auto": "跟随提问语言",
        "try": "可以这样问",
        "next": "接着问",
        "path": "阅读路径",
        "map": "路径图",
        "glossary": "术语表",
        "source": "原文",
        "study": "学习",
        "search": "搜索术语（中文或 English）……",
        "chat_empty": "在下面输入问题，或点一个推荐的问题。",
        "empty_question": "请先输入一个问题。",
        "error": "回答时出了点问题（{kind}）。请再试一次；其他功能不受影响。",
        "details": "详细信息",
        "ready": "已就绪。",
        "indexed": "{total} 篇文献中已收录 {n} 篇，另有 {notes} 篇学习笔记",
        "own_docs": "，以及你自己的 {n} 份文档",
        "offline": "回答以学习卡片的形式给出：按你的水平选取的导师笔记，加上文献原文的引文（未连接 AI 大模型）。",
        "llm": "回答由大模型“{model}”根据文献和笔记写成。",
        "missing": "还有 {n} 篇文献不在你的资料库里，回答暂时无法引用它们。",
        "indexing": "文献还在建立索引，一分钟内的回答可能缺少部分文献。",
        "dev_backend": "后端：{backend}。",
        "dev_llm": "要使用大模型，请设置 TUTOR_LLM_BASE_URL（任何兼容 OpenAI 接口的服务）和 TUTOR_LLM_MODEL，"
        "然后重启 `tutor serve`。",
        "dev_fetch": "用 `tutor fetch` 下载可公开获取的文献，用 `tutor add FILE --as ID` 添加你自己的副本，"
        "再运行 `tutor ingest`。",
        "dev_missing": "尚未获取：{ids}。",
        "stage_read": "重点读",
        "why": "为什么读",
        "state_indexed": "已收录 ✓",
        "state_library": "已在资料库，尚未索引（`tutor ingest`）",
        "state_fetch": "尚未获取——`tutor fetch {id}`",
        "state_add": "请添加你的副本——`tutor add FILE --as {id}`",
        "addition": "导师补充",
        "ask_reading": "就这篇文献提问",
        "open_note": "笔记",
        "terms": "共 {n} 个术语",
        "no_terms": "没有匹配的术语。",
        "ui_lang": "界面语言",
    },
}

LEVELS = {
    "en": [("Beginner", "beginner"), ("Intermediate", "intermediate"), ("Expert", "expert")],
    "zh": [("入门", "beginner"), ("进阶", "intermediate"), ("专家", "expert")],
}
ANSWER_LANGS = {
    "en": [("Same as my question", "auto"), ("中文", "zh"), ("English", "en")],
    "zh": [("跟随提问语言", "auto"), ("中文", "zh"), ("English", "en")],
}
UI_LANGS = [("English", "en"), ("中文", "zh")]


def t(lang: str, key: str, **values: object) -> str:
    """The interface string `key` in `lang` (English when the language is unknown)."""
    text = UI.get(lang, UI["en"])[key]
    return text.format(**values) if values else text


def browser_language(accept_language: str) -> str:
    """'zh' when the browser's first preference is Chinese, else 'en'."""
    first = accept_language.split(",")[0].strip().lower()
    return "zh" if first.startswith("zh") else "en"
