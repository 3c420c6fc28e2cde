"""Generated answers that hold up: one pipeline for every LLM backend.

    prompt.py     the prompt, built from the study card's checked material (prompts/llm_*.md)
    guards.py     token budget, degenerate repetition, prompt echo, language
    grounding.py  every generated sentence checked against its best source sentence
    pipeline.py   the pipeline: prompt → engine stream → guards → grounding → checked sentences
    server.py     engine for any OpenAI-compatible server (vLLM, Ollama, llama.cpp, hosted APIs)
    local.py      engine for a GGUF run in this process by llama-cpp-python
    model.py      the packaged model: assembled from its PyPI parts, size and sha256 checked
    backends.py   the backends by name, for tutor.answer.make_backend

Modules here import tutor.answer lazily or at use, so importing tutor.answer never loads them.
"""
