"""A Calculation as Markdown for a learner, in English or Chinese, at their level.

Beginner: the number and one everyday picture. Intermediate: the number, the formula with every factor
filled in, and the assumptions. Expert: all that, each factor with where it comes from, the derivation's
by-products (per token, per layer, against the weights) and any known disagreement with the paper's table.
Citations are written in prose (author, section, page); the caller lists the sources, so there are no [n]
markers here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tutor.numbers import sources as src
from tutor.numbers.errors import NumbersError
from tutor.numbers.formulas import BYTES_PER_VALUE, Calculation, num, param_count, weight_bytes
from tutor.numbers.parse import Found
from tutor.numbers.presets import Device, Preset
from tutor.numbers.shape import Shape
from tutor.qa import Pointer


@dataclass
class Context:
    """Who is asking and about what: the words the text needs beside the numbers."""

    lang: str
    level: str
    model: str = ""
    preset: Preset | None = None
    defaults: list[tuple[str, str]] = field(default_factory=list)
    device: Device | None = None
    other_model: str | None = None
    size_sources: list[Pointer] = field(default_factory=list)
    shape: Shape | None = None  # the shape computed with (a preset's, with the learner's sizes over it)

    def t(self, en: str, zh: str) -> str:
        return zh if self.lang == "zh" else en


@dataclass
class Parts:
    headline: str
    analogy: str
    factors: list[str] = field(default_factory=list)
    derivation: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)


# -- numbers as people read them ---------------------------------------------------------------------------


def fmt_bytes(value: float, lang: str = "en", short: bool = False) -> str:
    """9663676416 → "9.00 GiB (9.66 GB)": binary for memory sizes, decimal beside it for datasheets
    (``short``: the binary size alone, for use inside a sentence)."""
    units = [
        ("TiB", 2**40, "TB", 1e12),
        ("GiB", 2**30, "GB", 1e9),
        ("MiB", 2**20, "MB", 1e6),
        ("KiB", 2**10, "kB", 1e3),
    ]
    for binary, size, decimal, dsize in units:
        if value >= size and short:
            return f"{_sig(value / size)} {binary}"
        if value >= size:
            left, right = ("（", "）") if lang == "zh" else (" (", ")")
            return f"{_sig(value / size)} {binary}{left}{_sig(value / dsize)} {decimal}{right}"
    return f"{num(value)} " + ("字节" if lang == "zh" else "bytes")


def fmt_flops(value: float, short: bool = False) -> str:
    """1.207e11 → "120.7 GFLOPs (1.21 × 10¹¹)" (``short``: without the power of ten)."""
    for prefix, size in (("E", 1e18), ("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6)):
        if value >= size:
            return f"{_sig(value / size)} {prefix}FLOPs" + ("" if short else f" ({_sci(value)})")
    return f"{num(round(value))} FLOPs"


def fmt_params(value: float, lang: str = "en") -> str:
    """108452352 → "108.5M" (zh: "1.08 亿（108.5M）")."""
    short = f"{_sig(value / 1e9)}B" if value >= 1e9 else f"{_sig(value / 1e6)}M" if value >= 1e6 else num(value)
    if lang == "zh" and value >= 1e8:
        return f"{_sig(value / 1e8)} 亿（{short}）"
    if lang == "zh" and value >= 1e4:
        return f"{_sig(value / 1e4)} 万（{short}）"
    return short


def fmt_seconds(value: float) -> str:
    if value >= 1:
        return f"{_sig(value)} s"
    if value >= 1e-3:
        return f"{_sig(value * 1e3)} ms"
    return f"{_sig(value * 1e6)} µs"


def _sig(x: float) -> str:
    """Enough figures to read: 9.0 → "9.00", 48.0 → "48.0", 120.72 → "120.7", 1746.2 → "1,746"."""
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def _sci(x: float) -> str:
    mantissa, exponent = f"{x:.2e}".split("e")
    sup = str(int(exponent)).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{mantissa} × 10{sup}"


# -- shared sentences --------------------------------------------------------------------------------------

SIZE_NAMES = {
    "tokens": ("context length", "上下文长度"),
    "batch": ("batch size", "批大小"),
    "precision": ("precision", "精度"),
    "bandwidth": ("memory bandwidth", "显存带宽"),
    "peak_flops": ("peak FLOP/s", "峰值算力"),
    "model_size": ("model size", "模型规模"),
    "layers": ("number of layers", "层数"),
    "d_model": ("model width d_model", "模型宽度 d_model"),
    "heads": ("number of attention heads", "注意力头数"),
    "head_dim": ("head size d_head", "每个头的维度 d_head"),
    "params": ("parameter count (or the model)", "参数量（或模型）"),
    "d_ff": ("FFN width d_ff", "前馈层宽度 d_ff"),
    "vocab": ("vocabulary size", "词表大小"),
    "samples": ("number of samples n", "样本数 n"),
    "correct": ("number of passing samples c", "通过的样本数 c"),
    "k": ("k of pass@k", "pass@k 的 k"),
}


def size_name(name: str, lang: str) -> str:
    en, zh = SIZE_NAMES.get(name, (name, name))
    return zh if lang == "zh" else en


def _precision_line(calc: Calculation, ctx: Context) -> str:
    precision = str(calc.inputs.get("precision", "fp16"))
    return ctx.t(
        f"{precision}: {_bytes_each(precision)} per value.",
        f"{precision}：每个数 {num(BYTES_PER_VALUE[precision])} 字节。",
    )


def _bytes_each(precision: str) -> str:
    s = BYTES_PER_VALUE[precision]
    return f"{num(s)} byte" if s == 1 else f"{num(s)} bytes"


def _default_lines(ctx: Context) -> list[str]:
    """One line per size the question left out, saying what was used instead."""
    lines = []
    for name, used in ctx.defaults:
        what = size_name(name, ctx.lang)
        if name == "tokens" and ctx.preset and ctx.preset.shape.context and used == f"{ctx.preset.shape.context:,}":
            lines.append(
                ctx.t(
                    f"No {what} was given, so {ctx.preset.name}'s full context of {used} tokens was used.",
                    f"问题没有给出{what}，因此按 {ctx.preset.name} 的完整上下文 {used} 个 token 计算。",
                )
            )
        elif name == "model_size":
            lines.append(
                ctx.t(f"No model size was given, so {used} was taken.", f"问题没有指明模型规模，按 {used} 计算。")
            )
        elif name in ("bandwidth", "peak_flops"):
            lines.append(
                ctx.t(
                    f"No {what} was given, so the example device {used} was used (vendor datasheet, not a reading).",
                    f"问题没有给出{what}，因此用示例设备 {used}（厂商数据表，并非阅读材料）。",
                )
            )
        elif name == "heads":
            lines.append(
                ctx.t(
                    "No head count was given, so this is the figure for one head: multiply it by the number of heads.",
                    "问题没有给出头数，所以这是单个头的数字：乘以头数即可。",
                )
            )
        elif name == "precision":
            lines.append(
                ctx.t(
                    f"No {what} was given, so {used} ({_bytes_each(used)} per value) was assumed.",
                    f"问题没有给出{what}，按 {used}（每个数 {num(BYTES_PER_VALUE[used])} 字节）计算。",
                )
            )
        else:
            lines.append(ctx.t(f"No {what} was given, so {used} was assumed.", f"问题没有给出{what}，按 {used} 计算。"))
    return lines


def _sizes_from(ctx: Context) -> str:
    """Where the model's dimensions come from, in prose."""
    if ctx.preset is None or not ctx.size_sources:
        return ""
    where = _join((src.cite(p, ctx.lang) for p in ctx.size_sources), ctx.lang)
    table = "" if ctx.preset.table.startswith("§") else ctx.preset.table
    return ctx.t(
        f"Sizes of {ctx.preset.name}{', ' + table if table else ''}: {where}.",
        f"{ctx.preset.name}{'（' + table + '）' if table else ''}的尺寸：{where}。",
    )


def _join(items: Iterable[str], lang: str) -> str:
    return ("；" if lang == "zh" else "; ").join(items)


def _formula_sources(calc: Calculation, ctx: Context) -> str:
    joined = _join((src.cite(p, ctx.lang) for p in calc.sources), ctx.lang)
    return ctx.t(f"Formula from: {joined}.", f"公式依据：{joined}。")


def _device_line(ctx: Context) -> str:
    if ctx.device is None:
        return ""
    d = ctx.device
    return ctx.t(
        f"Device: {d.name} — {num(d.bandwidth / 1e12)} TB/s, {num(d.peak_flops / 1e12)} TFLOPS, {d.note}.",
        f"设备：{d.name}——{num(d.bandwidth / 1e12)} TB/s，{num(d.peak_flops / 1e12)} TFLOPS，"
        "厂商数据表中的示例，并非阅读材料。",
    )


def _model_phrase(ctx: Context) -> str:
    if ctx.model:
        return ctx.model
    return ctx.t("your model", "你给出的模型")


# -- one builder per function ------------------------------------------------------------------------------


def _param_count(calc: Calculation, ctx: Context) -> Parts:
    value = fmt_params(calc.value, ctx.lang)
    model = _model_phrase(ctx)
    # A count from the sizes rarely equals the paper's rounded one: the headline gives both, so it never reads as
    # a correction of the paper.
    printed = (
        ctx.t(
            f" The paper prints {fmt_params(ctx.preset.table_params)} ({ctx.preset.table}).",
            f"论文（{ctx.preset.table}）印的是 {fmt_params(ctx.preset.table_params, ctx.lang)}。",
        )
        if ctx.preset
        else ""
    )
    parts = Parts(
        ctx.t(
            f"**{value} parameters** ({num(calc.value)}) in {model}, counted from its sizes.{printed}",
            f"**{value}个参数**（{num(calc.value)}），{model}，按其尺寸算出。{printed}",
        ),
        ctx.t(
            "Each parameter is one number the model learned. Almost all of them sit in the big matrices of the "
            "attention and feed-forward layers, plus one row per word in the vocabulary table.",
            "每个参数都是模型学到的一个数。几乎全部都在注意力层和前馈层的大矩阵里，再加上词表里每个词一行向量。",
        ),
    )
    terms = calc.terms
    blocks, embeddings = terms.get("blocks", 0), calc.value - terms.get("blocks", 0)
    parts.derivation.append(
        ctx.t(
            f"Blocks: {fmt_params(blocks)} ({100 * blocks / calc.value:.0f} %); embeddings and the rest: "
            f"{fmt_params(embeddings)}. Each block: W_Q, W_K, W_V, W_O (4·d² when h·d_head = d), the FFN's W_1, b_1, "
            "W_2, b_2 (2·d·d_ff + d_ff + d) and two layer norms (4·d).",
            f"各层合计 {fmt_params(blocks)}（{100 * blocks / calc.value:.0f}%）；嵌入及其余 "
            f"{fmt_params(embeddings)}。每层："
            "W_Q、W_K、W_V、W_O（h·d_head = d 时为 4·d²），前馈层 W_1、b_1、W_2、b_2（2·d·d_ff + d_ff + d）"
            "，两个层归一化（4·d）。",
        )
    )
    if ctx.preset:
        table = fmt_params(ctx.preset.table_params)
        diff = 100 * (calc.value - ctx.preset.table_params) / ctx.preset.table_params
        parts.derivation.append(
            ctx.t(
                f"The paper's {ctx.preset.table} prints {table}; this count differs by {diff:+.1f} %.",
                f"论文 {ctx.preset.table} 印的是 {table}；本计算相差 {diff:+.1f}%。",
            )
        )
        note = ctx.preset.note_zh if ctx.lang == "zh" else ctx.preset.note
        if note:
            parts.assumptions.append(note)
    parts.assumptions.append(
        ctx.t(
            "Embeddings tied to the output layer."
            if calc.inputs.get("kind") != "encoder"
            else "Only the encoder: no pre-training heads.",
            "嵌入与输出层共享权重。" if calc.inputs.get("kind") != "encoder" else "只计编码器本身，不含预训练输出头。",
        )
    )
    return parts


def _weight_bytes(calc: Calculation, ctx: Context) -> Parts:
    value = fmt_bytes(calc.value, ctx.lang)
    params = fmt_params(float(calc.inputs["params"]), ctx.lang)
    precision = calc.inputs["precision"]
    model = _model_phrase(ctx)
    weights = float(calc.inputs["params"])
    others = [(p, fmt_bytes(weights * s, ctx.lang, short=True)) for p, s in BYTES_PER_VALUE.items() if p != "bf16"]
    s = num(BYTES_PER_VALUE[str(precision)])
    return Parts(
        ctx.t(
            f"**{value}** for the weights of {model} ({params} parameters) in {precision}.",
            f"**{value}**：{model}（{params}个参数）在 {precision} 下的权重。",
        ),
        ctx.t(
            f"It is like the size of a file you would download: {params} numbers, each stored in {s} bytes. "
            "The GPU must hold all of it before it can answer anything.",
            f"就像要下载的文件大小：{params}个数，每个占 {s} 字节。GPU 要先把它全部放进显存才能回答。",
        ),
        derivation=[
            ctx.t(
                "Other precisions: "
                + ", ".join(f"{p} {size}" for p, size in others)
                + ". The KV cache, activations and the framework's workspace come on top.",
                "其他精度："
                + "，".join(f"{p} {size}" for p, size in others)
                + "。KV 缓存、激活值和框架的工作区还要另算。",
            )
        ],
    )


def _kv_cache_bytes(calc: Calculation, ctx: Context) -> Parts:
    value = fmt_bytes(calc.value, ctx.lang)
    tokens, batch = num(float(calc.inputs["tokens"])), calc.inputs["batch"]
    per_token = fmt_bytes(calc.terms["per_token"], ctx.lang, short=True)
    model = _model_phrase(ctx)
    inputs = calc.inputs
    heads, kv_heads = int(inputs.get("heads", 0)), int(inputs.get("kv_heads", 0))
    parts = Parts(
        ctx.t(
            f"**{value}** for the KV cache of {model} at {tokens} tokens, batch {batch}, {inputs['precision']}.",
            f"**{value}**：{model} 在 {tokens} 个 token、批大小 {batch}、{inputs['precision']} 下的 KV 缓存。",
        ),
        ctx.t(
            "Think of it as the notes the model keeps while it reads: for every token so far, each layer writes down "
            f"one key and one value, so the notes grow by {per_token} with every token and stay in GPU memory until "
            "the answer is finished.",
            "可以把它看成模型边读边记的笔记：每读一个 token，每一层都记下一个 key 和一个 value，所以每多一个"
            f" token 笔记就多 {per_token}，"
            "一直占着显存，直到这次回答结束。",
        ),
    )
    if heads and kv_heads and kv_heads != heads:
        parts.assumptions.append(
            ctx.t(
                f"Grouped heads: {kv_heads} key/value heads shared by {heads} query heads (h_kv = {kv_heads}).",
                f"分组头：{heads} 个查询头共享 {kv_heads} 个 key/value 头（h_kv = {kv_heads}）。",
            )
        )
    elif heads:
        parts.assumptions.append(
            ctx.t(
                f"All {heads} heads keep their own keys and values (multi-head attention, h_kv = h); with gro"
                "uped-query "
                "or multi-query attention use the number of key/value heads.",
                f"全部 {heads} 个头各自保存 key 和 value（多头注意力，h_kv = h）；若用分组查询或多查询注意力"
                "，应代入 key/value 头的个数。",
            )
        )
    else:
        parts.assumptions.append(
            ctx.t(
                "The paper gives no head count; with multi-head attention h · d_head = d_model (Vaswani §3.2.2), so "
                "the heads do not change the total.",
                "论文没有给出头数；多头注意力中 h · d_head = d_model（Vaswani §3.2.2），所以头数不影响总量。",
            )
        )
    if calc.omitted:
        parts.assumptions.append(
            ctx.t(
                "Only the decoder's self-attention cache is counted; the cross-attention keys and values of the source "
                "sentence come on top.",
                "只计解码器自注意力的缓存；对源句的交叉注意力 key/value 另算。",
            )
        )
    layers = inputs.get("layers")
    per_layer = fmt_bytes(calc.terms["per_layer_per_token"], ctx.lang, short=True)
    parts.derivation.append(
        ctx.t(
            f"Per token: {per_token} ({per_layer} in each of {layers} layers); per sequence: "
            f"{fmt_bytes(calc.terms['per_sequence'], short=True)}. The factor 2 is one key plus one value; th"
            "e cache exists "
            "because a decoder's past keys and values never change, so each new token needs only its own query "
            "(Miao et al. 2023, §3.2, p. 15).",
            f"每个 token：{per_token}（{layers} 层，每层 {per_layer}）；每条序列："
            f"{fmt_bytes(calc.terms['per_sequence'], 'zh', short=True)}。"
            "系数 2 是一个 key 加一个 value；之所以能缓存，是因为解码器过去的 key/value 不会再变，新 token "
            "只需算自己的 query"
            "（Miao et al. 2023，§3.2，第 15 页）。",
        )
    )
    if ctx.preset and ctx.shape is not None and ctx.shape.kind == "decoder":
        weights = weight_bytes(param_count(ctx.shape).value, str(inputs["precision"])).value
        equal = weights / calc.terms["per_token"]
        parts.derivation.append(
            ctx.t(
                f"Against the weights ({fmt_bytes(weights, short=True)} at this precision): the cache matches"
                " them at about "
                f"{num(round(equal))} tokens in total across the batch.",
                f"与权重相比（同精度下 {fmt_bytes(weights, 'zh', short=True)}）：整批累计约 "
                f"{num(round(equal))} 个 token 时缓存就和权重一样大。",
            )
        )
        if heads and not kv_heads and heads >= 8:
            parts.derivation.append(
                ctx.t(
                    f"With grouped-query attention and 8 key/value heads it would be {heads // 8}× smaller "
                    f"({fmt_bytes(calc.value * 8 / heads, short=True)}); with multi-query attention (one K/V "
                    f"head), {heads}× "
                    "smaller (Miao et al. 2023, §3.1.2, p. 9).",
                    f"若用 8 个 key/value 头的分组查询注意力，可缩小 {heads // 8} 倍（"
                    f"{fmt_bytes(calc.value * 8 / heads, 'zh', short=True)}）；"
                    f"用多查询注意力（只有一个 K/V 头）则缩小 {heads} 倍（Miao et al. 2023，§3.1.2，第 9 页）。",
                )
            )
    return parts


def _forward_flops(calc: Calculation, ctx: Context) -> Parts:
    value = fmt_flops(calc.value)
    tokens, batch = num(float(calc.inputs["tokens"])), calc.inputs["batch"]
    model = _model_phrase(ctx)
    parts = Parts(
        ctx.t(
            f"**{value}** for one forward pass of {model} over {tokens} tokens (batch {batch}).",
            f"**{value}**：{model} 对 {tokens} 个 token 做一次前向计算（批大小 {batch}）。",
        ),
        ctx.t(
            "Roughly, every token is multiplied once by every weight (a multiply and an add, 2 FLOPs), and on top of "
            "that every token compares itself with the others in each layer's attention.",
            "大致说：每个 token 要和每个权重各做一次乘法和一次加法（2 次浮点运算），另外每一层的注意力里每个"
            " token 还要和其他 token 逐一比较。",
        ),
    )
    _flops_details(calc, ctx, parts)
    return parts


def _decode_flops(calc: Calculation, ctx: Context) -> Parts:
    value = fmt_flops(calc.value)
    context = num(float(calc.inputs["context"]))
    model = _model_phrase(ctx)
    parts = Parts(
        ctx.t(
            f"**{value}** to generate one token with {model} at a context of {context} tokens.",
            f"**{value}**：{model} 在上下文 {context} 个 token 时生成一个 token 的计算量。",
        ),
        ctx.t(
            "Each new token passes once through every weight (2 FLOPs per weight) and looks back at every cached "
            "token in each layer; the look-back part grows as the text gets longer.",
            "每生成一个 token，都要把每个权重用一次（每个权重 2 次浮点运算），并在每一层回看所有已缓存的 tok"
            "en；回看的部分随文本变长而增加。",
        ),
    )
    _flops_details(calc, ctx, parts)
    return parts


def _flops_details(calc: Calculation, ctx: Context, parts: Parts) -> None:
    terms = calc.terms
    used = fmt_params(terms["params_used"], ctx.lang)
    if "attention" in terms:
        share = 100 * terms["attention"] / terms.get("flops", calc.value)
        linear, attention = fmt_flops(terms["linear"], short=True), fmt_flops(terms["attention"], short=True)
        parts.derivation.append(
            ctx.t(
                f"Weights: {linear}; attention: {attention} ({share:.1f} %). Attention of one query over t keys is "
                "4·t·d_attn FLOPs per layer (q·k for each key, then the weighted sum of values); Vaswani et al. 2017, "
                "Table 1 (§4, p. 6) gives the same O(n²·d) against O(n·d²).",
                f"权重部分 {linear}；注意力部分 {attention}（{share:.1f}%）。一个 query 对 t 个 key 做注意力，每层 "
                "4·t·d_attn 次浮点运算（先逐个点积，再对 value 加权求和）；Vaswani et al. 2017 表 1（§4，第 6 页）"
                "给出同样的 O(n²·d) 对 O(n·d²)。",
            )
        )
    if calc.omitted:
        parts.assumptions.append(
            ctx.t(
                "Attention left out: it needs the layer count and width, which were not given (it is small next to "
                "2·P until the context reaches several times d_model).",
                "未计注意力部分：它需要层数和宽度，而问题没有给出"
                "（在上下文远小于 d_model 的几倍之前，它比 2·P 小得多）。",
            )
        )
    label = "P_mm" if "P_mm" in calc.formula else "P"
    parts.assumptions.append(
        ctx.t(
            f"{label} = {used}: "
            + (
                "the weights each token is multiplied by (the blocks, plus the output layer for a decoder); "
                "embedding look-ups cost no FLOPs."
                if label == "P_mm"
                else "the parameter count you gave; 2 FLOPs (a multiply and an add) per weight per token."
            ),
            f"{label} = {used}："
            + (
                "每个 token 要乘过的权重（各层，以及解码器的输出层）；查嵌入表不算浮点运算。"
                if label == "P_mm"
                else "你给出的参数量；每个 token 每个权重 2 次浮点运算（一次乘一次加）。"
            ),
        )
    )


def _flops(calc: Calculation, ctx: Context) -> Parts:
    return _decode_flops(calc, ctx) if calc.function == "decode_flops" else _forward_flops(calc, ctx)


def _decode_intensity(calc: Calculation, ctx: Context) -> Parts:
    batch, precision = calc.inputs["batch"], calc.inputs["precision"]
    value = f"{_sig(calc.value)} FLOPs/byte"
    return Parts(
        ctx.t(
            f"**{value}**: the arithmetic intensity of decoding at batch {batch} in {precision}.",
            f"**{value}**：批大小 {batch}、{precision} 下解码的算术强度。",
        ),
        ctx.t(
            "It is how many calculations the chip gets to do for each byte it fetches. A GPU needs a hundred or more "
            "to keep busy, so at this level it mostly waits for memory, like a chef who cooks faster than the "
            "ingredients arrive.",
            "它表示芯片每从内存取一个字节能做几次运算。GPU 要一百次以上才忙得过来，所以在这个强度下它大多在"
            "等内存，就像厨师切菜比送菜快得多。",
        ),
        derivation=[
            ctx.t(
                "Each step reads every weight once (P·s bytes) and uses it for one multiply-add per sequence in the "
                "batch (2·P·b FLOPs), so P cancels. Reading each sequence's KV cache adds bytes without sharing, "
                "which lowers the intensity as the context grows; the survey calls this the lower computational "
                "intensity of the incremental phase (Miao et al. 2023, §4, p. 17).",
                "每一步把每个权重读一次（P·s 字节），并对批里每条序列各做一次乘加（2·P·b 次运算），"
                "所以 P 约掉了。每条序列的 KV 缓存也要读，却不能共享，上下文越长强度越低；"
                "综述称之为增量阶段较低的计算强度（Miao et al. 2023，§4，第 17 页）。",
            )
        ],
        assumptions=[
            ctx.t("Weights only: KV-cache reads are not counted.", "只计权重读取，不计 KV 缓存的读取。"),
        ],
    )


def _compute_bound_batch(calc: Calculation, ctx: Context) -> Parts:
    value = num(round(calc.value)) if calc.value >= 10 else _sig(calc.value)
    ridge = _sig(calc.terms["ridge"])
    bandwidth = num(float(calc.inputs["bandwidth"]) / 1e12)
    peak = num(float(calc.inputs["peak_flops"]) / 1e12)
    precision = calc.inputs["precision"]
    return Parts(
        ctx.t(
            f"**About {value} sequences per batch**: below that, decoding on a {bandwidth} TB/s, {peak} TFLOPS device "
            f"in {precision} waits for memory; above it, arithmetic becomes the limit.",
            f"**约 {value} 条序列一批**：低于这个批大小，在 {bandwidth} TB/s、{peak} TFLOPS 的设备上用 "
            f"{precision} 解码时是在等内存；"
            "高于它，瓶颈才变成计算。",
        ),
        ctx.t(
            "Batching lets many sequences share each weight that is fetched, like filling a bus before it drives: "
            "the trip (reading the weights) costs the same however many passengers ride.",
            "批处理让多条序列共用每次取来的权重，就像公交车坐满再开：跑一趟（读一遍权重）的成本和乘客多少无关。",
        ),
        derivation=[
            ctx.t(
                f"The device's ridge point is F / B = {ridge} FLOPs per byte. Decoding's intensity is 2·b/s "
                "FLOPs per byte (every weight read once per step, used once per sequence), so it reaches the ridge "
                f"at b* = F·s / (2·B) = {value}.",
                f"设备的屋脊点是 F / B = {ridge} 次运算每字节。解码的算术强度是 2·b/s（每步每个权重读一次、每"
                "条序列用一次），"
                f"所以在 b* = F·s / (2·B) = {value} 时达到屋脊点。",
            ),
            ctx.t(
                "In practice attention over each sequence's own KV cache is not shared by the batch, so the real "
                "crossover comes later, and memory for those caches may run out first.",
                "实际上每条序列对自己 KV 缓存的注意力无法在批内共享，所以真正的转折点更晚，而且这些缓存可能"
                "先把显存用完。",
            ),
        ],
        assumptions=[ctx.t("Weights only: KV-cache traffic ignored.", "只计权重，不计 KV 缓存的访存。")],
    )


def _decode_bytes_per_token(calc: Calculation, ctx: Context) -> Parts:
    value = fmt_bytes(calc.value, ctx.lang)
    model = _model_phrase(ctx)
    precision, batch = calc.inputs["precision"], calc.inputs["batch"]
    parts = Parts(
        ctx.t(
            f"**{value} read from memory per generated token** by {model} in {precision} at batch {batch}.",
            f"**每生成一个 token 要从显存读 {value}**（{model}，{precision}，批大小 {batch}）。",
        ),
        ctx.t(
            "To write each new token the model must read all of its weights once, like re-reading a whole book to "
            "write the next word; that is why decoding waits on memory rather than arithmetic.",
            "每写一个新 token，模型都要把全部权重读一遍，就像每写一个字都要把整本书重读一遍；所以解码卡在访"
            "存，而不是计算。",
        ),
    )
    if calc.inputs.get("kv_bytes"):
        parts.assumptions.append(
            ctx.t(
                "Includes the KV cache at this context: "
                f"{fmt_bytes(float(calc.inputs['kv_bytes']), short=True)} per step.",
                f"已包含此上下文下的 KV 缓存：每步 {fmt_bytes(float(calc.inputs['kv_bytes']), 'zh', short=True)}。",
            )
        )
    else:
        parts.assumptions.append(
            ctx.t(
                "Weights only; the KV cache adds to this as the context grows (give a context length to include it).",
                "只计权重；KV 缓存会随上下文增长而增加（给出上下文长度即可计入）。",
            )
        )
    parts.derivation.append(
        ctx.t(
            "A batch of b sequences shares each step's weight read, so the bytes per token fall as 1/b while each "
            "sequence's own cache does not shrink (Miao et al. 2023, §4, p. 17).",
            "一批 b 条序列共享每一步的权重读取，所以每个 token 的字节数按 1/b 下降，但每条序列自己的缓存不会"
            "变少（Miao et al. 2023，§4，第 17 页）。",
        )
    )
    return parts


def _decode_tokens_per_second(calc: Calculation, ctx: Context) -> Parts:
    value = _sig(calc.value)
    model = _model_phrase(ctx)
    bandwidth = num(float(calc.inputs["bandwidth"]) / 1e12)
    batch = calc.inputs["batch"]
    step = fmt_seconds(calc.terms["step_seconds"])
    parts = Parts(
        ctx.t(
            f"**At most about {value} tokens/s** for {model} on {bandwidth} TB/s of memory bandwidth "
            f"(batch {batch}, {calc.inputs['precision']}): each step takes at least {step}.",
            f"**最多约每秒 {value} 个 token**：{model} 在 {bandwidth} TB/s 显存带宽上（批大小 {batch}，"
            f"{calc.inputs['precision']}），"
            f"每一步至少 {step}。",
        ),
        ctx.t(
            "Memory can only deliver the weights so fast, and every token needs the whole model read once, so "
            "the bandwidth caps the speed however fast the arithmetic units are.",
            "显存送数据的速度有上限，而每个 token 都要把整个模型读一遍，所以不管算力多强，带宽都卡住了速度。",
        ),
    )
    if int(batch) > 1:
        parts.derivation.append(
            ctx.t(
                f"Per sequence: {_sig(calc.terms['per_sequence'])} tokens/s; the batch shares each weight read.",
                f"每条序列每秒 {_sig(calc.terms['per_sequence'])} 个 token；整批共享每次的权重读取。",
            )
        )
    parts.derivation.append(
        ctx.t(
            "This is a bound, not a measurement: kernels reach a fraction of peak bandwidth, and above the "
            "compute-bound batch b* the arithmetic sets the pace instead.",
            "这是上限而不是实测：实际内核只能达到峰值带宽的一部分；批大小超过计算瓶颈点 b* 后，改由算力决定速度。",
        )
    )
    if not calc.inputs.get("kv_bytes"):
        parts.assumptions.append(
            ctx.t("Weights only; KV-cache reads would lower it.", "只计权重；读取 KV 缓存会让它更低。")
        )
    return parts


def _prefill_seconds(calc: Calculation, ctx: Context) -> Parts:
    value = fmt_seconds(calc.value)
    model = _model_phrase(ctx)
    tokens = num(float(calc.inputs["tokens"]))
    peak = num(float(calc.inputs["peak_flops"]) / 1e12)
    parts = Parts(
        ctx.t(
            f"**At least {value}** to prefill {tokens} tokens with {model} at {peak} TFLOPS "
            f"({fmt_flops(calc.terms['flops'], short=True)}).",
            f"**至少 {value}**：{model} 在 {peak} TFLOPS 下预填充 {tokens} 个 token（"
            f"{fmt_flops(calc.terms['flops'])}）。",
        ),
        ctx.t(
            "Reading the prompt is one big batch of arithmetic done at once; even with every arithmetic unit busy "
            "the chip needs this long before the first new token can appear.",
            "读提示词是一次性的大量计算；即使所有计算单元都满负荷，也要这么久才能吐出第一个新 token。",
        ),
        derivation=[
            ctx.t(
                "Prefill runs all prompt tokens through large matrix multiplications, so it is compute-heavy and its "
                "time is bounded by FLOPs / peak FLOP/s; real kernels reach a fraction of peak "
                "(Miao et al. 2023, §4, p. 17).",
                "预填充把全部提示词 token 一起做大矩阵乘法，是计算密集的，所以时间下限是运算量 / 峰值算力；"
                "实际内核只能达到峰值的一部分"
                "（Miao et al. 2023，§4，第 17 页）。",
            )
        ],
    )
    _flops_details(calc, ctx, parts)
    return parts


def _attention_scores_bytes(calc: Calculation, ctx: Context) -> Parts:
    value = fmt_bytes(calc.value, ctx.lang)
    tokens, heads, batch = num(float(calc.inputs["tokens"])), calc.inputs["heads"], calc.inputs["batch"]
    tiled = fmt_bytes(calc.terms["tiled"], ctx.lang, short=True)
    model = _model_phrase(ctx)
    return Parts(
        ctx.t(
            f"**{value} per layer** for the attention scores of {model} at {tokens} tokens ({heads} "
            f"head{'s' if heads != 1 else ''}, "
            f"batch {batch}) if the n × n matrix is written out; a tiled kernel keeps only {tiled} of running "
            "softmax statistics.",
            f"**每层 {value}**：{model} 在 {tokens} 个 token（{heads} 个头，批大小 {batch}）时，若把 n × n 注"
            "意力分数矩阵整个写出来；"
            f"分块（tiling）计算只需保留 {tiled} 的 softmax 统计量。",
        ),
        ctx.t(
            "The score table has one entry for every pair of tokens, so doubling the text quadruples it. Tiled "
            "kernels work through it a tile at a time and never store the whole table.",
            "分数表里每一对 token 都有一格，所以文本长度翻倍，表就变成四倍。分块计算一次只处理一小块，从不存下整张表。",
        ),
        derivation=[
            ctx.t(
                f"Per head: n² · s = {fmt_bytes(calc.terms['per_head'], short=True)}. Q·Kᵀ is n × n (Vaswani "
                "et al. 2017, §3.2.1, "
                "p. 4). Tiling with the online-softmax trick (running max and sum per query row) computes the same "
                "result without writing the matrix to HBM: memory grows with n instead of n², while the FLOPs stay "
                "the same (Miao et al. 2023, §3.2, p. 15 and §4, p. 17).",
                f"每个头：n² · s = {fmt_bytes(calc.terms['per_head'], 'zh', short=True)}。Q·Kᵀ 是 n × n（Vasw"
                "ani et al. 2017，§3.2.1，第 4 页）。"
                "用在线 softmax（每个 query 行保留当前最大值与和）分块计算，结果不变却不必把矩阵写回 HBM：显"
                "存随 n 而不是 n² 增长，"
                "运算量不变（Miao et al. 2023，§3.2 第 15 页与 §4 第 17 页）。",
            )
        ],
    )


def _pass_at_k(calc: Calculation, ctx: Context) -> Parts:
    n, c, k = calc.inputs["samples"], calc.inputs["correct"], calc.inputs["k"]
    value, naive = f"{calc.value:.1%}", f"{calc.terms['naive']:.1%}"
    return Parts(
        ctx.t(
            f"**pass@{k} ≈ {value}**: with {c} of your {n} samples passing, this is the estimated chance that at "
            f"least one of {k} samples solves the problem.",
            f"**pass@{k} ≈ {value}**：{n} 个样本里有 {c} 个通过，据此估计取 {k} 个样本时至少有一个通过的概率。",
        ),
        ctx.t(
            f"Picture a bag of {n} marbles, {c} of them good. Draw {k} without putting any back: pass@{k} is the "
            f"chance that at least one of them is good, which is 1 minus the chance that all {k} are bad.",
            f"想象袋子里有 {n} 颗弹珠，其中 {c} 颗是好的。不放回地摸 {k} 颗：pass@{k} 就是至少摸到一颗好弹珠的概率，"
            f"等于 1 减去 {k} 颗全是坏弹珠的概率。",
        ),
        derivation=[
            ctx.t(
                f"C(n − c, k) / C(n, k) is the share of all ways to pick {k} of the {n} samples that pick only "
                f"failures. Averaged over a benchmark's problems this is the unbiased estimator of Chen et al. 2021 "
                f"(§2.1, p. 3), who drew n = 200 samples per problem and reported k ≤ 100.",
                f"C(n − c, k) / C(n, k) 是从 {n} 个样本中取 {k} 个、且全部取到失败样本的取法所占的比例。"
                f"对基准里的所有题目取平均，就是 Chen et al. 2021（§2.1，第 3 页）的无偏估计；论文每题采样 n = 200，"
                f"报告 k ≤ 100。",
            ),
            ctx.t(
                f"The tempting 1 − (1 − c/n)^k, which draws with replacement, gives {naive} here: the paper shows it "
                f"consistently underestimates pass@k (Appendix A, p. 19).",
                f"直觉上的 1 − (1 − c/n)^k 相当于有放回地抽取，这里得 {naive}；论文指出它会一贯低估 pass@k"
                f"（附录 A，第 19 页）。",
            ),
        ],
        assumptions=[
            ctx.t(
                "For one problem; a benchmark's pass@k is the mean of this over its problems.",
                "这是单个题目的值；一个基准的 pass@k 是所有题目上这个值的平均。",
            ),
        ],
    )


_BUILDERS: dict[str, Callable[[Calculation, Context], Parts]] = {
    "param_count": _param_count,
    "weight_bytes": _weight_bytes,
    "kv_cache_bytes": _kv_cache_bytes,
    "forward_flops": _forward_flops,
    "decode_flops": _decode_flops,
    "prefill_seconds": _prefill_seconds,
    "decode_intensity": _decode_intensity,
    "compute_bound_batch": _compute_bound_batch,
    "decode_bytes_per_token": _decode_bytes_per_token,
    "decode_tokens_per_second": _decode_tokens_per_second,
    "attention_scores_bytes": _attention_scores_bytes,
    "pass_at_k": _pass_at_k,
}


def render(calc: Calculation, ctx: Context) -> str:
    """The answer's Markdown at the learner's level."""
    parts = _BUILDERS[calc.function](calc, ctx)
    defaults = _default_lines(ctx)
    if ctx.level == "beginner":
        return _finish("\n\n".join([parts.headline, parts.analogy, *([" ".join(defaults)] if defaults else [])]), ctx)
    blocks = [parts.headline, f"```\n{calc.formula}\n= {calc.filled}\n```"]
    given_precision = "precision" in calc.inputs and not any(name == "precision" for name, _ in ctx.defaults)
    precision = [_precision_line(calc, ctx)] if given_precision else []
    assumptions = [*defaults, *precision, *parts.assumptions]
    if assumptions:
        heading = ctx.t("Assumptions:", "假设：")
        blocks.append(heading + "\n" + "\n".join(f"- {line}" for line in assumptions))
    if ctx.level == "expert":
        details = [*parts.factors, *parts.derivation]
        if details:
            blocks.append(ctx.t("Derivation:", "推导：") + "\n" + "\n".join(f"- {line}" for line in details))
        blocks.append(_formula_sources(calc, ctx))
    tail = [line for line in (_sizes_from(ctx), _device_line(ctx)) if line]
    if tail:
        blocks.append(("" if ctx.lang == "zh" else " ").join(tail))
    return _finish("\n\n".join(blocks), ctx)


_CJK_LATIN = re.compile(r"([\u4e00-\u9fff])([A-Za-z0-9`])|([A-Za-z0-9`%])([\u4e00-\u9fff])")


def _finish(text: str, ctx: Context) -> str:
    """Chinese text gets a space between Chinese and Latin runs, as the corpus writes it ("计算 KV 缓存")."""
    if ctx.lang != "zh":
        return text
    return _CJK_LATIN.sub(lambda m: f"{m.group(1)} {m.group(2)}" if m.group(1) else f"{m.group(3)} {m.group(4)}", text)


# -- when sizes are missing --------------------------------------------------------------------------------

_WHAT = {
    "param_count": ("the parameter count", "参数量"),
    "weight_bytes": ("the weight memory", "权重所占内存"),
    "kv_cache_bytes": ("the KV cache", "KV 缓存"),
    "flops": ("the FLOPs", "计算量"),
    "prefill_seconds": ("the prefill time", "预填充时间"),
    "decode_intensity": ("the arithmetic intensity", "算术强度"),
    "compute_bound_batch": ("the compute-bound batch size", "进入计算瓶颈的批大小"),
    "decode_bytes_per_token": ("the bytes read per token", "每个 token 的读取字节数"),
    "decode_tokens_per_second": ("the decoding speed bound", "解码速度上限"),
    "attention_scores_bytes": ("the attention-score memory", "注意力分数所占内存"),
    "pass_at_k": ("pass@k", "pass@k"),
}

_EXAMPLES = {
    "pass_at_k": ("“20 samples, 3 pass, pass@5”", "“采样 20 个，通过 3 个，pass@5”"),
    "kv_cache_bytes": ("“32 layers, d_model 4096, 4,096 tokens, fp16”", "“32 层，d_model 4096，4096 个 token，fp16”"),
    "attention_scores_bytes": ("“32 heads, 4,096 tokens”", "“32 个头，4096 个 token”"),
    "param_count": (
        "“24 layers, d_model 2048, d_ff 8192, vocab 50257”",
        "“24 层，d_model 2048，d_ff 8192，词表 50257”",
    ),
}


def needs_sizes_text(function: str, exc: NumbersError, found: Found, lang: str, preset: Preset | None) -> str:
    """Which sizes are needed for the calculation, why the readings cannot supply them, and an example."""
    ctx = Context(lang=lang, level="intermediate")
    what = ctx.t(*_WHAT.get(function, (function, function)))
    words = [size_name(n, lang) for n in exc.missing] or [str(exc)]
    names = (
        "、".join(words) if lang == "zh" else (", ".join(words[:-1]) + " and " + words[-1] if words[1:] else words[0])
    )
    if found.other_model and preset is None:
        first = ctx.t(
            f"{found.other_model} is not one of the models in the readings, so its sizes are not known here; "
            f"to compute {what} I need its {names}.",
            f"{found.other_model} 不在阅读材料的模型里，这里不知道它的尺寸；要计算{what}，需要它的{names}。",
        )
    elif preset is not None:
        first = ctx.t(
            f"{preset.name}'s table in the readings does not give its {names}, so {what} cannot be computed from it.",
            f"阅读材料里 {preset.name} 的表没有给出{names}，无法据此计算{what}。",
        )
    else:
        first = ctx.t(f"To compute {what} I need the {names}.", f"要计算{what}，还需要{names}。")
    example = _EXAMPLES.get(function)
    lines = [first]
    if example:
        lines.append(ctx.t(f"For example: {example[0]}.", f"例如：{example[1]}。"))
    if function == "pass_at_k":
        return _finish("\n\n".join(lines), ctx)  # a metric over samples: no model presets involved
    lines.append(
        ctx.t(
            "The presets from the readings are Transformer base/big, BERT-base/large, GPT-1, GPT-2 small to XL and "
            "the GPT-3 family; `tutor numbers presets` lists them.",
            "阅读材料中的预设模型有 Transformer base/big、BERT-base/large、GPT-1、GPT-2 small 到 XL 以及 GPT-3 系列；"
            "`tutor numbers presets` 可列出它们。",
        )
    )
    return _finish("\n\n".join(lines), ctx)


_DECLINED = {
    "encoder_no_kv": (
        "{model} is an encoder: every token attends in both directions, so a new token changes the representations "
        "of all earlier ones and nothing can be cached. A KV cache exists only in a decoder, whose causal mask keeps "
        "past keys and values fixed (Vaswani et al. 2017, §3.2.3, p. 5). There is no KV-cache number to give.",
        "{model} 是编码器：每个 token 都双向关注其他 token，新 token 会改变之前所有位置的表示，所以没有可缓存的东西。"
        "只有解码器有 KV 缓存，因为因果掩码让过去的 key 和 value 保持不变（Vaswani et al. 2017，§3.2.3，第 5 页）。"
        "因此这里没有 KV 缓存的数字可给。",
    ),
    "not_decoder": (
        "{model} reads its whole input at once; generating one token at a time with a cache applies to a decoder "
        "such as GPT (Vaswani et al. 2017, §3.2.3, p. 5). Ask for the FLOPs of one forward pass instead.",
        "{model} 一次读入全部输入；逐个 token 生成并使用缓存只适用于 GPT 这样的解码器（Vaswani et al. 2017，§3.2.3，"
        "第 5 页）。可以改问一次前向计算的浮点运算量。",
    ),
    "encoder_decoder_flops": (
        "{model} is an encoder–decoder: source tokens pass only the encoder and target tokens only the decoder "
        "(Vaswani et al. 2017, §3.1, p. 3), so FLOPs per token need the two counts separately. The calculator counts "
        "one stack at a time: give the encoder's or the decoder's sizes as a model of its own.",
        "{model} 是编码器–解码器结构：源语言 token 只经过编码器，目标语言 token 只经过解码器（Vaswani et al. 2017，"
        "§3.1，第 3 页），所以每个 token 的计算量要分开算。计算器一次只算一个堆栈：请把编码器或解码器的尺寸当作单独的"
        "模型给出。",
    ),
}


def declined_text(reason: str, lang: str, preset: Preset | None) -> str:
    """Why this calculation does not apply to the model, with the reading that says so."""
    en, zh = _DECLINED[reason]
    model = preset.name if preset else ("This model" if lang != "zh" else "这个模型")
    return _finish((zh if lang == "zh" else en).format(model=model), Context(lang=lang, level="intermediate"))
