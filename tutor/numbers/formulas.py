"""Back-of-envelope formulas for Transformer inference, exact for the stated assumptions.

Each function returns a Calculation: the number, its unit, the formula in symbols and with every factor
filled in, and the readings the formula rests on. Symbols follow Vaswani et al.: L layers, d = d_model,
d_ff, h heads of d_head, V vocabulary; n tokens, b sequences in a batch, s bytes per value.

Counting rules, stated once:
- a multiply-add is 2 FLOPs, so a token passing a weight matrix of P entries costs 2·P FLOPs;
- attention of one query over t keys costs 4·t·d_attn FLOPs per layer (q·k for each key, then the
  weighted sum of t values); a decoder's token i sees i keys, an encoder's token sees all n;
- embedding look-ups cost no FLOPs; a decoder's output layer (V·d, tied or not) is a matrix like any other.

One evaluation metric sits beside them: Codex's pass@k from a learner's own n samples and c passing ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tutor.numbers import sources as src
from tutor.numbers.errors import NumbersError
from tutor.numbers.shape import Shape
from tutor.qa import Pointer

BYTES_PER_VALUE: dict[str, float] = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1, "int4": 0.5}
PRECISIONS: tuple[str, ...] = tuple(BYTES_PER_VALUE)
SOFTMAX_STATS_BYTES = 8  # a tiled kernel keeps a running max and sum per query row, in fp32


@dataclass(frozen=True)
class Calculation:
    """One computed quantity with its formula filled in and its sources."""

    function: str
    value: float
    unit: str  # params, bytes, FLOPs, FLOPs/byte, sequences, bytes/token, tokens/s, s
    formula: str
    filled: str
    sources: tuple[Pointer, ...]
    inputs: dict[str, float | int | str] = field(default_factory=dict)
    terms: dict[str, float] = field(default_factory=dict)  # named parts, e.g. attention vs FFN, tiled bytes
    omitted: tuple[str, ...] = ()  # parts left out because a size was unknown

    def as_json(self) -> dict[str, object]:
        return {
            "function": self.function,
            "value": self.value,
            "unit": self.unit,
            "formula": self.formula,
            "filled": self.filled,
            "inputs": self.inputs,
            "terms": self.terms,
            "omitted": list(self.omitted),
            "sources": [p.model_dump() for p in self.sources],
        }


def num(x: float) -> str:
    """2048 → "2,048"; 0.5 → "0.5"; 2.039e12 → "2,039,000,000,000"."""
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.6g}" if abs(x) < 1e6 else f"{x:,.0f}"


def bytes_per_value(precision: str) -> float:
    """s: bytes per stored number at a precision the survey lists (FP32, FP16, BF16, INT8, INT4)."""
    key = precision.strip().lower()
    if key not in BYTES_PER_VALUE:
        raise NumbersError(f"Unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}.", ("precision",))
    return BYTES_PER_VALUE[key]


def _positive(**values: float) -> None:
    for name, value in values.items():
        if value <= 0:
            raise NumbersError(f"{name} must be positive, not {num(value)}.")


def param_count(shape: Shape) -> Calculation:
    """Parameters of an encoder, decoder or encoder–decoder stack: the blocks' matrices, biases and layer norms,
    then the embeddings (shared with the pre-softmax layer when tied)."""
    shape.need("layers", "d_model", "d_ff", "vocab")
    assert shape.layers and shape.d_model and shape.d_ff and shape.vocab  # for mypy: need() checked them
    n_layers, d, d_ff, vocab = shape.layers, shape.d_model, shape.d_ff, shape.vocab
    d_attn, d_kv = shape.d_attn or d, shape.d_kv or d
    attention = 2 * d * d_attn + 2 * d * d_kv  # W_Q and W_O; W_K and W_V (Vaswani §3.2.2: no biases written)
    ffn = 2 * d * d_ff + d_ff + d  # W_1, b_1, W_2, b_2 (§3.3)
    block = attention + ffn + 4 * d  # two layer norms, gain and bias each
    if d_attn == d and d_kv == d:
        attn_sym, attn_fill = "4·d²", f"4·{num(d)}²"
    else:
        attn_sym, attn_fill = "2·d·d_attn + 2·d·d_kv", f"2·{num(d)}·{num(d_attn)} + 2·{num(d)}·{num(d_kv)}"
    block_sym = f"({attn_sym} + 2·d·d_ff + d_ff + 5·d)"
    block_fill = f"({attn_fill} + 2·{num(d)}·{num(d_ff)} + {num(d_ff)} + 5·{num(d)})"
    terms: dict[str, float] = {}
    if shape.kind == "encoder-decoder":
        cross = attention + 2 * d  # the decoder's extra attention over the encoder output, and its layer norm
        terms["blocks"] = 2 * n_layers * block + n_layers * cross
        sym = [f"2·L·{block_sym}", f"L·({attn_sym} + 2·d)"]
        fill = [f"2·{n_layers}·{block_fill}", f"{n_layers}·({attn_fill} + 2·{num(d)})"]
    else:
        terms["blocks"] = n_layers * block
        sym, fill = [f"L·{block_sym}"], [f"{n_layers}·{block_fill}"]
    terms["token_embeddings"] = vocab * d
    sym.append("V·d")
    fill.append(f"{num(vocab)}·{num(d)}")
    if not shape.tied:
        terms["output_layer"] = vocab * d
        sym.append("V·d")
        fill.append(f"{num(vocab)}·{num(d)}")
    if shape.learned_positions and shape.context:
        terms["position_embeddings"] = shape.context * d
        sym.append("n_ctx·d")
        fill.append(f"{num(shape.context)}·{num(d)}")
    if shape.segments:
        terms["segment_embeddings"] = shape.segments * d
        sym.append("n_seg·d")
        fill.append(f"{shape.segments}·{num(d)}")
    if shape.final_norm:
        terms["final_norm"] = 2 * d
        sym.append("2·d")
        fill.append(f"2·{num(d)}")
    total = int(sum(terms.values()))
    return Calculation(
        "param_count",
        total,
        "params",
        "P = " + " + ".join(sym),
        " + ".join(fill) + f" = {num(total)}",
        (src.STACKS, src.HEADS, src.FFN, src.EMBEDDINGS),
        _shape_inputs(shape),
        terms,
    )


def weight_bytes(params: float, precision: str = "fp16") -> Calculation:
    """Memory for the weights alone: every parameter stored once at the precision's width."""
    _positive(params=params)
    s = bytes_per_value(precision)
    value = params * s
    return Calculation(
        "weight_bytes",
        value,
        "bytes",
        "W = P · s",
        f"{num(params)} · {num(s)} = {num(value)}",
        (src.PRECISIONS, src.QUANTIZATION),
        {"params": params, "precision": precision},
    )


def kv_cache_bytes(shape: Shape, tokens: int, batch: int = 1, precision: str = "fp16") -> Calculation:
    """Keys and values a decoder keeps for every past token, in every layer and every key/value head."""
    if shape.kind == "encoder":
        raise NumbersError(
            "An encoder such as BERT attends in both directions: a new token changes every earlier position, so "
            "there is no KV cache to keep (Vaswani et al. 2017, §3.2.3).",
            reason="encoder_no_kv",
        )
    _positive(tokens=tokens, batch=batch)
    shape.need("layers")
    if shape.d_kv is None:
        missing = ("heads",) if shape.kv_heads is not None else ("d_model",)
        raise NumbersError("The KV cache needs d_model, or the heads and head size; give them.", missing)
    assert shape.layers is not None
    s = bytes_per_value(precision)
    n_layers, d_kv = shape.layers, shape.d_kv
    per_token = 2 * n_layers * d_kv * s
    value = per_token * tokens * batch
    if shape.heads is not None and shape.dim_per_head is not None:
        kv_heads = shape.kv_heads or shape.heads
        formula = "KV = 2 · L · h_kv · d_head · n · b · s"
        factors = f"2 · {n_layers} · {kv_heads} · {num(shape.dim_per_head)}"
    else:
        formula = "KV = 2 · L · d_model · n · b · s"
        factors = f"2 · {n_layers} · {num(d_kv)}"
    sources = [src.HEADS, src.KV_REUSE, src.KV_MEMORY]
    if shape.kv_heads is not None and shape.kv_heads != shape.heads:
        sources.append(src.SHARED_KV)
    return Calculation(
        "kv_cache_bytes",
        value,
        "bytes",
        formula,
        f"{factors} · {num(tokens)} · {batch} · {num(s)} = {num(value)}",
        tuple(sources),
        {**_shape_inputs(shape), "tokens": tokens, "batch": batch, "precision": precision},
        {"per_token": per_token, "per_sequence": per_token * tokens, "per_layer_per_token": 2 * d_kv * s},
        ("cross-attention keys and values of the source",) if shape.kind == "encoder-decoder" else (),
    )


def matmul_params(shape: Shape) -> int:
    """P_mm: the weights every token is multiplied by — the blocks, plus a decoder's output layer (V·d)."""
    terms = param_count(shape).terms
    output = terms["token_embeddings"] if shape.kind == "decoder" else 0
    return int(terms["blocks"] + output)


def forward_flops(shape: Shape, tokens: int, batch: int = 1, params: float | None = None) -> Calculation:
    """FLOPs of one forward pass over n tokens (a prompt's prefill, or an encoder's pass): 2 per weight per token,
    plus attention, which grows with n²."""
    _positive(tokens=tokens, batch=batch)
    if shape.kind == "encoder-decoder":
        raise NumbersError(
            "FLOPs are counted for one stack (an encoder like BERT or a decoder like GPT); for the encoder–decoder "
            "Transformer give the encoder's or the decoder's sizes as its own model.",
            reason="encoder_decoder_flops",
        )
    p_mm, p_label = _flop_params(shape, params)
    linear = 2 * p_mm * tokens * batch
    terms: dict[str, float] = {"linear": linear, "params_used": p_mm}
    d_attn = shape.d_attn
    if shape.layers is None or d_attn is None:
        return Calculation(
            "forward_flops",
            linear,
            "FLOPs",
            f"C ≈ 2 · {p_label} · n · b",
            f"2 · {num(p_mm)} · {num(tokens)} · {batch} = {num(linear)}",
            (src.COMPLEXITY, src.INFERENCE),
            {"tokens": tokens, "batch": batch, "params": p_mm},
            terms,
            ("attention (needs layers and d_model)",),
        )
    n_layers = shape.layers
    if shape.kind == "encoder":
        attention = 4 * n_layers * tokens * tokens * d_attn * batch
        attn_sym, attn_fill = "4 · L · n² · d_attn · b", f"4 · {n_layers} · {num(tokens)}² · {num(d_attn)} · {batch}"
    else:
        attention = 2 * n_layers * tokens * (tokens + 1) * d_attn * batch
        attn_sym = "2 · L · n · (n + 1) · d_attn · b"
        attn_fill = f"2 · {n_layers} · {num(tokens)} · {num(tokens + 1)} · {num(d_attn)} · {batch}"
    terms["attention"] = attention
    value = linear + attention
    return Calculation(
        "forward_flops",
        value,
        "FLOPs",
        f"C = 2 · {p_label} · n · b + {attn_sym}",
        f"2 · {num(p_mm)} · {num(tokens)} · {batch} + {attn_fill} = {num(value)}",
        (src.COMPLEXITY, src.SCORES, src.INFERENCE),
        {**_shape_inputs(shape), "tokens": tokens, "batch": batch},
        terms,
    )


def decode_flops(shape: Shape, context: int, params: float | None = None) -> Calculation:
    """FLOPs to generate one token with a KV cache: the weights once, and one query against t cached keys."""
    _positive(context=context)
    if shape.kind != "decoder":
        raise NumbersError(
            "Decoding one token at a time applies to a decoder (GPT); BERT reads its input at once.",
            reason="not_decoder",
        )
    p_mm, p_label = _flop_params(shape, params)
    linear = 2 * p_mm
    if shape.layers is None or shape.d_attn is None:
        return Calculation(
            "decode_flops",
            linear,
            "FLOPs",
            f"C_token ≈ 2 · {p_label}",
            f"2 · {num(p_mm)} = {num(linear)}",
            (src.COMPLEXITY, src.KV_REUSE),
            {"context": context, "params": p_mm},
            {"linear": linear, "params_used": p_mm},
            ("attention (needs layers and d_model)",),
        )
    attention = 4 * shape.layers * context * shape.d_attn
    value = linear + attention
    return Calculation(
        "decode_flops",
        value,
        "FLOPs",
        f"C_token = 2 · {p_label} + 4 · L · t · d_attn",
        f"2 · {num(p_mm)} + 4 · {shape.layers} · {num(context)} · {num(shape.d_attn)} = {num(value)}",
        (src.COMPLEXITY, src.KV_REUSE),
        {**_shape_inputs(shape), "context": context},
        {"linear": linear, "attention": attention, "params_used": p_mm},
    )


def decode_intensity(batch: int = 1, precision: str = "fp16") -> Calculation:
    """FLOPs per byte of weights read in one decode step: b tokens share each weight read (2·P·b / P·s)."""
    _positive(batch=batch)
    s = bytes_per_value(precision)
    value = 2 * batch / s
    return Calculation(
        "decode_intensity",
        value,
        "FLOPs/byte",
        "I = 2 · P · b / (P · s) = 2 · b / s",
        f"2 · {batch} / {num(s)} = {num(value)}",
        (src.INTENSITY, src.KV_REUSE),
        {"batch": batch, "precision": precision},
    )


def compute_bound_batch(bandwidth: float, peak_flops: float, precision: str = "fp16") -> Calculation:
    """The batch at which decoding's intensity 2·b/s reaches the device's ridge F/B: b* = F · s / (2 · B)."""
    _positive(bandwidth=bandwidth, peak_flops=peak_flops)
    s = bytes_per_value(precision)
    ridge = peak_flops / bandwidth
    value = peak_flops * s / (2 * bandwidth)
    return Calculation(
        "compute_bound_batch",
        value,
        "sequences",
        "b* = F · s / (2 · B)",
        f"{num(peak_flops)} · {num(s)} / (2 · {num(bandwidth)}) = {num(round(value, 2))}",
        (src.INTENSITY, src.PRECISIONS),
        {"bandwidth": bandwidth, "peak_flops": peak_flops, "precision": precision},
        {"ridge": ridge},
    )


def decode_bytes_per_token(params: float, precision: str = "fp16", kv_bytes: float = 0, batch: int = 1) -> Calculation:
    """Bytes read from memory per generated token: every weight once per step (shared by the batch) plus the
    sequences' KV caches."""
    _positive(params=params, batch=batch)
    s = bytes_per_value(precision)
    step = params * s + kv_bytes
    value = step / batch
    if kv_bytes:
        formula, filled = "R = (P · s + KV) / b", f"({num(params)} · {num(s)} + {num(kv_bytes)}) / {batch}"
    else:
        formula, filled = "R = P · s / b", f"{num(params)} · {num(s)} / {batch}"
    return Calculation(
        "decode_bytes_per_token",
        value,
        "bytes/token",
        formula,
        f"{filled} = {num(value)}",
        (src.INTENSITY, src.KV_REUSE, src.PRECISIONS),
        {"params": params, "precision": precision, "kv_bytes": kv_bytes, "batch": batch},
        {"per_step": step, "weights": params * s},
    )


def decode_tokens_per_second(
    params: float, bandwidth: float, precision: str = "fp16", kv_bytes: float = 0, batch: int = 1
) -> Calculation:
    """The most tokens per second decoding can produce when each step must read the weights and KV caches
    once from memory: b · B / (P · s + KV). Compute is assumed not to be the limit (true below b*)."""
    _positive(params=params, bandwidth=bandwidth, batch=batch)
    s = bytes_per_value(precision)
    step = params * s + kv_bytes
    value = batch * bandwidth / step
    kv_sym, kv_fill = (" + KV", f" + {num(kv_bytes)}") if kv_bytes else ("", "")
    return Calculation(
        "decode_tokens_per_second",
        value,
        "tokens/s",
        f"tokens/s ≤ b · B / (P · s{kv_sym})",
        f"{batch} · {num(bandwidth)} / ({num(params)} · {num(s)}{kv_fill}) = {num(round(value, 2))}",
        (src.INTENSITY, src.PRECISIONS),
        {"params": params, "bandwidth": bandwidth, "precision": precision, "kv_bytes": kv_bytes, "batch": batch},
        {"step_seconds": step / bandwidth, "per_sequence": bandwidth / step},
    )


def prefill_seconds(flops: Calculation, peak_flops: float) -> Calculation:
    """The shortest time a prefill can take: its FLOPs at the device's peak (memory and overheads ignored)."""
    _positive(peak_flops=peak_flops)
    value = flops.value / peak_flops
    return Calculation(
        "prefill_seconds",
        value,
        "s",
        f"T ≥ C / F, {flops.formula}",
        f"({flops.filled.rsplit(' = ', 1)[0]}) / {num(peak_flops)} = {value:.4g}",
        (*flops.sources, src.INTENSITY),
        {**flops.inputs, "peak_flops": peak_flops},
        {**flops.terms, "flops": flops.value},
        flops.omitted,
    )


def attention_scores_bytes(heads: int, tokens: int, batch: int = 1, precision: str = "fp16") -> Calculation:
    """Memory of one layer's n × n attention scores (QKᵀ) for every head, if written out; a tiled kernel keeps
    only a tile on chip and a running max and sum per query row."""
    _positive(heads=heads, tokens=tokens, batch=batch)
    s = bytes_per_value(precision)
    value = batch * heads * tokens * tokens * s
    tiled = batch * heads * tokens * SOFTMAX_STATS_BYTES
    return Calculation(
        "attention_scores_bytes",
        value,
        "bytes",
        "S = b · h · n² · s",
        f"{batch} · {heads} · {num(tokens)}² · {num(s)} = {num(value)}",
        (src.SCORES, src.KV_REUSE, src.INTENSITY),
        {"heads": heads, "tokens": tokens, "batch": batch, "precision": precision},
        {"per_head": tokens * tokens * s, "tiled": tiled},
    )


def pass_at_k(samples: int, correct: int, k: int) -> Calculation:
    """Codex's unbiased estimate that at least one of k samples passes, from n samples of which c passed:
    1 − C(n−c, k) / C(n, k), the chance that k drawn without replacement are all failures, subtracted from 1.
    `terms["naive"]` is 1 − (1 − c/n)^k, the biased estimate the paper warns about (Appendix A)."""
    _positive(samples=samples, k=k)
    if correct < 0 or correct > samples:
        raise NumbersError(f"The passing samples c must be between 0 and n = {samples}, not {correct}.")
    if k > samples:
        raise NumbersError(f"pass@k needs at least k samples: k = {k} is more than n = {samples}.")
    fail_all = math.comb(samples - correct, k) / math.comb(samples, k)
    value = 1.0 - fail_all
    return Calculation(
        "pass_at_k",
        value,
        "probability",
        "pass@k = 1 − C(n − c, k) / C(n, k)",
        f"1 − C({samples - correct}, {k}) / C({samples}, {k}) = 1 − {fail_all:.4g} = {value:.4g}",
        (src.PASS_AT_K, src.NAIVE_PASS_AT_K),
        {"samples": samples, "correct": correct, "k": k},
        {"naive": 1.0 - (1.0 - correct / samples) ** k},
    )


def _flop_params(shape: Shape, params: float | None) -> tuple[int, str]:
    """The weights a token meets: the learner's P if given, else P_mm from the shape."""
    if params is not None:
        _positive(params=params)
        return int(params), "P"
    return matmul_params(shape), "P_mm"


def _shape_inputs(shape: Shape) -> dict[str, float | int | str]:
    names = ("layers", "d_model", "d_ff", "vocab", "heads", "head_dim", "kv_heads", "context")
    values: dict[str, float | int | str] = {n: v for n in names if (v := getattr(shape, n)) is not None}
    values["kind"] = shape.kind
    return values
