"""Back-of-envelope numbers for LLM inference, cited to the readings.

    from tutor.numbers import answer_quantity, get_preset, kv_cache_bytes
    kv_cache_bytes(get_preset("gpt3-175b").shape, tokens=2048).value   # 9,663,676,416 bytes

formulas    exact functions (parameters, weights, KV cache, FLOPs, intensity, bounds, attention scores, pass@k)
presets     model shapes from the readings' tables; example devices
parse       what a question asks and which sizes it states (English and Chinese)
explain     a Calculation as Markdown at the learner's level
ask         answer_quantity(question, lang, level) → NumbersAnswer | None, for the chat
cli         `tutor numbers …`
"""

from __future__ import annotations

from tutor.numbers.ask import NumbersAnswer, answer_quantity
from tutor.numbers.errors import NumbersError
from tutor.numbers.formulas import (
    PRECISIONS,
    Calculation,
    attention_scores_bytes,
    bytes_per_value,
    compute_bound_batch,
    decode_bytes_per_token,
    decode_flops,
    decode_intensity,
    decode_tokens_per_second,
    forward_flops,
    kv_cache_bytes,
    param_count,
    pass_at_k,
    prefill_seconds,
    weight_bytes,
)
from tutor.numbers.presets import EXAMPLE_DEVICES, PRESETS, Device, Preset, get_preset
from tutor.numbers.shape import Shape

__all__ = [
    "EXAMPLE_DEVICES",
    "PRECISIONS",
    "PRESETS",
    "Calculation",
    "Device",
    "NumbersAnswer",
    "NumbersError",
    "Preset",
    "Shape",
    "answer_quantity",
    "attention_scores_bytes",
    "bytes_per_value",
    "compute_bound_batch",
    "decode_bytes_per_token",
    "decode_flops",
    "decode_intensity",
    "decode_tokens_per_second",
    "forward_flops",
    "get_preset",
    "kv_cache_bytes",
    "param_count",
    "pass_at_k",
    "prefill_seconds",
    "weight_bytes",
]
