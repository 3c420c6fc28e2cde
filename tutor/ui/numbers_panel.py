"""The "Numbers" panel: pick a model from the readings or type its sizes, and see its memory, FLOPs and speed
bounds, each with the formula filled in and its source, plus one chart of memory against context length.

Layout and handlers only; every number comes from tutor.numbers. ``build_numbers_panel(lang)`` adds the panel
to whatever ``gr.Blocks``/``gr.Tab`` is being built; the results update on every keystroke (the `input`
events) and a size that makes no sense shows as a note in the results, never as an error popup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import gradio as gr
import pandas as pd

from tutor.numbers import formulas as f
from tutor.numbers.errors import NumbersError
from tutor.numbers.explain import fmt_bytes, fmt_flops, fmt_params, fmt_seconds
from tutor.numbers.presets import EXAMPLE_DEVICES, PRESETS, get_preset
from tutor.numbers.shape import Shape
from tutor.numbers.sources import cite

CUSTOM = "custom"
DEFAULT_PRESET = "gpt3-175b"
CHART_POINTS = 24

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "intro": "Pick a model from the readings or type its sizes; every number updates as you type. "
        "Devices are examples from vendor datasheets, not from the readings.",
        "model": "Model",
        "custom": "Your own sizes",
        "layers": "Layers L",
        "d_model": "Width d_model",
        "heads": "Heads h",
        "kv_heads": "KV heads (0 = all)",
        "head_dim": "Head size (0 = d/h)",
        "d_ff": "FFN width d_ff",
        "vocab": "Vocabulary V",
        "tokens": "Context n (tokens)",
        "batch": "Batch b",
        "precision": "Precision",
        "device": "Device",
        "own_device": "Your own device",
        "bandwidth": "Bandwidth (TB/s)",
        "peak": "Peak (TFLOPS)",
        "results": "Results",
        "params": "Parameters",
        "table": "the paper's table prints",
        "weights": "Weights",
        "kv": "KV cache",
        "total": "Weights + KV cache",
        "prefill": "Prefill FLOPs",
        "prefill_time": "Prefill time, at least",
        "decode_flops": "FLOPs per generated token",
        "decode_bytes": "Bytes read per generated token",
        "speed": "Decode speed, at most",
        "intensity": "Arithmetic intensity of decoding",
        "bound": "Batch where decoding turns compute-bound",
        "scores": "Attention scores, one layer",
        "tiled": "tiled kernel keeps",
        "none": "—",
        "needs": "needs {what}",
        "sources": "Sources",
        "sizes": "Sizes",
        "chart": "Memory against context length",
        "chart_x": "context (tokens)",
        "chart_y": "memory (GiB)",
        "series_weights": "Weights",
        "series_kv": "KV cache",
        "series_total": "Total",
        "sequences": "sequences",
        "per_layer": "per layer",
    },
    "zh": {
        "intro": "从阅读材料里选一个模型，或直接输入尺寸；每个数字都随输入即时更新。"
        "设备只是厂商数据表里的示例，并非阅读材料。",
        "model": "模型",
        "custom": "自定义尺寸",
        "layers": "层数 L",
        "d_model": "宽度 d_model",
        "heads": "头数 h",
        "kv_heads": "KV 头数（0 = 全部）",
        "head_dim": "每头维度（0 = d/h）",
        "d_ff": "前馈宽度 d_ff",
        "vocab": "词表大小 V",
        "tokens": "上下文 n（token）",
        "batch": "批大小 b",
        "precision": "精度",
        "device": "设备",
        "own_device": "自定义设备",
        "bandwidth": "带宽（TB/s）",
        "peak": "峰值算力（TFLOPS）",
        "results": "结果",
        "params": "参数量",
        "table": "论文表中印的是",
        "weights": "权重",
        "kv": "KV 缓存",
        "total": "权重 + KV 缓存",
        "prefill": "预填充计算量",
        "prefill_time": "预填充时间下限",
        "decode_flops": "每生成一个 token 的计算量",
        "decode_bytes": "每生成一个 token 读取的字节",
        "speed": "解码速度上限",
        "intensity": "解码的算术强度",
        "bound": "解码转为计算瓶颈的批大小",
        "scores": "注意力分数（单层）",
        "tiled": "分块计算只需保留",
        "none": "—",
        "needs": "需要{what}",
        "sources": "来源",
        "sizes": "尺寸",
        "chart": "显存随上下文长度的变化",
        "chart_x": "上下文（token）",
        "chart_y": "显存（GiB）",
        "series_weights": "权重",
        "series_kv": "KV 缓存",
        "series_total": "合计",
        "sequences": "条序列",
        "per_layer": "每层",
    },
}
SIZE_WORDS = {
    "en": {"layers": "L", "d_model": "d_model", "d_ff": "d_ff", "vocab": "V", "heads": "h", "tokens": "n"},
    "zh": {
        "layers": "层数",
        "d_model": "d_model",
        "d_ff": "d_ff",
        "vocab": "词表",
        "heads": "头数",
        "tokens": "上下文",
    },
}


def words(lang: str) -> dict[str, str]:
    return TEXT.get(lang, TEXT["en"])


@dataclass(frozen=True)
class PanelInputs:
    """What the learner has chosen or typed; 0 or None means 'not given'."""

    preset: str = DEFAULT_PRESET
    layers: float | None = None
    d_model: float | None = None
    heads: float | None = None
    kv_heads: float | None = None
    head_dim: float | None = None
    d_ff: float | None = None
    vocab: float | None = None
    tokens: float | None = None
    batch: float | None = 1
    precision: str = "fp16"
    bandwidth: float | None = None  # TB/s
    peak: float | None = None  # TFLOPS

    def shape(self) -> Shape:
        """The preset's shape with the typed sizes in place of its own (a blank or 0 field is 'not given');
        a custom model is a decoder."""
        base = get_preset(self.preset).shape if self.preset != CUSTOM else Shape()
        typed = {
            name: int(value) if (value := getattr(self, name)) and value > 0 else None
            for name in ("layers", "d_model", "heads", "kv_heads", "head_dim", "d_ff", "vocab")
        }
        return replace(
            base,
            layers=typed["layers"],
            d_model=typed["d_model"],
            heads=typed["heads"],
            kv_heads=typed["kv_heads"],
            head_dim=typed["head_dim"],
            d_ff=typed["d_ff"],
            vocab=typed["vocab"],
        )

    @classmethod
    def from_fields(
        cls, preset: str, sizes: Sequence[Any], batch: Any, precision: Any, bandwidth: Any, peak: Any
    ) -> PanelInputs:  # noqa: E501 -- one argument per field group
        """From the panel's fields in their order: L, d_model, h, KV heads, head size, d_ff, V, n."""
        layers, d_model, heads, kv_heads, head_dim, d_ff, vocab, tokens = sizes
        return cls(
            preset or CUSTOM, layers, d_model, heads, kv_heads, head_dim, d_ff, vocab, tokens, batch,
            precision or "fp16", bandwidth, peak,
        )  # fmt: skip


def preset_inputs(preset_id: str) -> tuple[int | None, ...]:
    """The size fields a preset fills: layers, d_model, heads, kv heads, head size, d_ff, vocabulary, context."""
    if preset_id == CUSTOM:
        return (None,) * 8
    s = get_preset(preset_id).shape
    return (s.layers, s.d_model, s.heads, 0, s.head_dim or 0, s.d_ff, s.vocab, s.context or 512)


def _line(label: str, value: str, formula: str = "", note: str = "", lang: str = "en") -> str:
    extra = f"  \n{formula}" if formula else ""
    colon, left, right = ("：", "（", "）") if lang == "zh" else (":", " (", ")")
    return f"**{label}{colon}** {value}{f'{left}{note}{right}' if note else ''}{extra}"


def _formula(calc: f.Calculation) -> str:
    return f"<small>{calc.formula} = {calc.filled}</small>"


_REASONS = {
    "encoder_no_kv": ("an encoder keeps no KV cache", "编码器没有 KV 缓存"),
    "encoder_decoder_flops": ("counted one stack at a time", "只按单个堆栈计算"),
    "not_decoder": ("an encoder does not decode token by token", "编码器不逐个 token 解码"),
}


def _missing(exc: NumbersError, lang: str) -> str:
    """A short note in place of a number: why it does not apply, or which size it needs."""
    if exc.reason:
        en, zh = _REASONS[exc.reason]
        return f"{words(lang)['none']}（{zh}）" if lang == "zh" else f"{words(lang)['none']} ({en})"
    names = ", ".join(SIZE_WORDS["zh" if lang == "zh" else "en"].get(m, m) for m in exc.missing)
    return words(lang)["needs"].format(what=names or str(exc))


def results(inputs: PanelInputs, lang: str = "en") -> tuple[str, pd.DataFrame]:
    """Every result as Markdown (number, formula filled in), and the memory-against-context chart's data."""
    w = words(lang)
    lines: list[str] = [f"### {w['results']}"]
    sources: list[str] = []
    precision = inputs.precision if inputs.precision in f.PRECISIONS else "fp16"
    batch = int(inputs.batch) if inputs.batch and inputs.batch > 0 else 1
    try:
        shape = inputs.shape()
    except NumbersError as exc:
        return f"### {w['results']}\n\n{exc}", _chart(None, None, 1, lang)

    def attempt(label: str, run: Any) -> f.Calculation | None:
        try:
            calc: f.Calculation = run()
        except NumbersError as exc:
            lines.append(_line(label, _missing(exc, lang), lang=lang))
            return None
        for pointer in calc.sources:
            if cite(pointer, lang) not in sources:
                sources.append(cite(pointer, lang))
        return calc

    tokens = int(inputs.tokens) if inputs.tokens and inputs.tokens > 0 else shape.context
    params = attempt(w["params"], lambda: f.param_count(shape))
    if params:
        note = ""
        if inputs.preset != CUSTOM and shape == get_preset(inputs.preset).shape:
            note = f"{w['table']} {fmt_params(get_preset(inputs.preset).table_params)}"
        exact = f"（{f.num(params.value)}）" if lang == "zh" else f" ({f.num(params.value)})"
        lines.append(_line(w["params"], fmt_params(params.value, lang) + exact, _formula(params), note, lang=lang))
    weights = kv = None
    if params:
        weights = attempt(w["weights"], lambda: f.weight_bytes(params.value, precision))
        if weights:
            lines.append(_line(w["weights"], fmt_bytes(weights.value, lang), _formula(weights), lang=lang))
    if tokens:
        kv = attempt(w["kv"], lambda: f.kv_cache_bytes(shape, tokens, batch, precision))
        if kv:
            lines.append(_line(w["kv"], fmt_bytes(kv.value, lang), _formula(kv), lang=lang))
    else:
        lines.append(_line(w["kv"], _missing(NumbersError("", ("tokens",)), lang), lang=lang))
    if weights and kv:
        lines.append(_line(w["total"], fmt_bytes(weights.value + kv.value, lang), lang=lang))

    bandwidth = inputs.bandwidth * 1e12 if inputs.bandwidth and inputs.bandwidth > 0 else None
    peak = inputs.peak * 1e12 if inputs.peak and inputs.peak > 0 else None
    if tokens:
        prefill = attempt(w["prefill"], lambda: f.forward_flops(shape, tokens, batch))
        if prefill:
            lines.append(_line(w["prefill"], fmt_flops(prefill.value), _formula(prefill), lang=lang))
            if peak:
                time = f.prefill_seconds(prefill, peak)
                lines.append(
                    _line(w["prefill_time"], fmt_seconds(time.value), f"<small>{time.filled}</small>", lang=lang)
                )
    if tokens and shape.kind == "decoder":
        step = attempt(w["decode_flops"], lambda: f.decode_flops(shape, tokens))
        if step:
            lines.append(_line(w["decode_flops"], fmt_flops(step.value), _formula(step), lang=lang))
    if params and shape.kind == "decoder":
        kv_bytes = kv.value if kv else 0.0
        read = f.decode_bytes_per_token(params.value, precision, kv_bytes, batch)
        lines.append(_line(w["decode_bytes"], fmt_bytes(read.value, lang), _formula(read), lang=lang))
        if bandwidth:
            speed = f.decode_tokens_per_second(params.value, bandwidth, precision, kv_bytes, batch)
            lines.append(_line(w["speed"], f"{speed.value:,.1f} tokens/s", _formula(speed), lang=lang))
    if shape.kind == "decoder":  # intensity and the compute-bound batch describe token-by-token decoding
        intensity = f.decode_intensity(batch, precision)
        lines.append(_line(w["intensity"], f"{f.num(intensity.value)} FLOPs/byte", _formula(intensity), lang=lang))
    if bandwidth and peak and shape.kind == "decoder":
        bound = f.compute_bound_batch(bandwidth, peak, precision)
        lines.append(_line(w["bound"], f"≈ {bound.value:,.0f} {w['sequences']}", _formula(bound), lang=lang))
    if tokens:
        heads = shape.heads
        if heads:
            scores = f.attention_scores_bytes(heads, tokens, batch, precision)
            tiled = fmt_bytes(scores.terms["tiled"], lang, short=True)
            lines.append(
                _line(w["scores"], fmt_bytes(scores.value, lang), _formula(scores), f"{w['tiled']} {tiled}", lang=lang)
            )
        else:
            lines.append(_line(w["scores"], _missing(NumbersError("", ("heads",)), lang), lang=lang))
    colon, separator = ("：", "；") if lang == "zh" else (": ", "; ")
    lines.append(f"<small>{w['sources']}{colon}{separator.join(sources)}</small>")
    if inputs.preset != CUSTOM:
        preset = get_preset(inputs.preset)
        where = ("；" if lang == "zh" else "; ").join(dict.fromkeys(cite(p, lang) for p in preset.where.values()))
        about = f"（{preset.name}，{preset.table}）：" if lang == "zh" else f" ({preset.name}, {preset.table}): "
        lines.append(f"<small>{w['sizes']}{about}{where}</small>")
    weights_bytes = weights.value if weights else None
    per_token = kv.terms["per_token"] * batch if kv else None
    return "\n\n".join(lines), _chart(weights_bytes, per_token, max(tokens or 0, 1), lang)


def _chart(weights: float | None, kv_per_token: float | None, tokens: int, lang: str) -> pd.DataFrame:
    """Weights (flat), KV cache (linear in n) and their sum, in GiB, from 0 to twice the chosen context."""
    w = words(lang)
    top = max(2 * tokens, 16)
    rows: list[dict[str, float | str]] = []
    for i in range(CHART_POINTS + 1):
        n = round(top * i / CHART_POINTS)
        weight_gib = (weights or 0.0) / 2**30
        kv_gib = (kv_per_token or 0.0) * n / 2**30
        if weights is not None:
            rows.append({"tokens": n, "GiB": weight_gib, "series": w["series_weights"]})
        if kv_per_token is not None:
            rows.append({"tokens": n, "GiB": kv_gib, "series": w["series_kv"]})
        if weights is not None and kv_per_token is not None:
            rows.append({"tokens": n, "GiB": weight_gib + kv_gib, "series": w["series_total"]})
    return pd.DataFrame(rows, columns=["tokens", "GiB", "series"])


@dataclass
class NumbersPanel:
    """The panel's components, for a caller that wires the language switch or reads the results."""

    preset: gr.Dropdown
    sizes: list[gr.Number]
    precision: gr.Dropdown
    device: gr.Dropdown
    bandwidth: gr.Number
    peak: gr.Number
    output: gr.Markdown
    chart: gr.LinePlot
    intro: gr.Markdown

    @property
    def inputs(self) -> list[Any]:
        """Every field the results depend on, in the order `refresh` takes them (after the language)."""
        return [self.preset, *self.sizes, self.precision, self.bandwidth, self.peak]

    @property
    def language_outputs(self) -> list[Any]:
        return [
            self.intro,
            self.preset,
            *self.sizes,
            self.precision,
            self.device,
            self.bandwidth,
            self.peak,
            self.chart,
        ]

    @staticmethod
    def language_updates(lang: str) -> list[Any]:
        """Labels and menus in `lang`, in the order of `language_outputs` (the results come from `refresh`)."""
        w = words(lang)
        names = ("layers", "d_model", "heads", "kv_heads", "head_dim", "d_ff", "vocab", "tokens", "batch")
        return [
            w["intro"],
            gr.update(label=w["model"], choices=_presets(lang)),
            *(gr.update(label=w[n]) for n in names),
            gr.update(label=w["precision"]),
            gr.update(label=w["device"], choices=_devices(lang)),
            gr.update(label=w["bandwidth"]),
            gr.update(label=w["peak"]),
            gr.update(title=w["chart"], x_title=w["chart_x"], y_title=w["chart_y"]),
        ]

    @staticmethod
    def refresh(lang: str, preset_id: str, *values: Any) -> tuple[str, pd.DataFrame]:
        """The results and the chart for the fields' current values, in `lang`."""
        *size_values, batch_value, precision_value, bandwidth_value, peak_value = values
        inputs = PanelInputs.from_fields(
            preset_id, size_values, batch_value, precision_value, bandwidth_value, peak_value
        )
        return results(inputs, "zh" if lang == "zh" else "en")


def _presets(lang: str) -> list[tuple[str, str]]:
    return [(p.name, p.id) for p in PRESETS] + [(words(lang)["custom"], CUSTOM)]


def _devices(lang: str) -> list[tuple[str, str]]:
    return [(d.name, d.name) for d in EXAMPLE_DEVICES] + [(words(lang)["own_device"], CUSTOM)]


def build_numbers_panel(lang: str = "en", language: gr.Component | None = None) -> NumbersPanel:
    """Add the Numbers panel to the Blocks or Tab being built (call inside its `with`).

    `language`: a component holding "en" or "zh" (the page's language switch); the results follow it. Without
    one the panel stays in `lang`."""
    w = words(lang)
    first = EXAMPLE_DEVICES[0]
    filled = preset_inputs(DEFAULT_PRESET)
    start = PanelInputs.from_fields(DEFAULT_PRESET, filled, 1, "fp16", first.bandwidth / 1e12, first.peak_flops / 1e12)
    markdown, frame = results(start, lang)

    with gr.Column(elem_id="numbers-panel"):
        intro = gr.Markdown(w["intro"], elem_id="numbers-intro")
        with gr.Row():
            preset = gr.Dropdown(_presets(lang), value=DEFAULT_PRESET, label=w["model"], elem_id="numbers-preset")
            precision = gr.Dropdown(list(f.PRECISIONS), value="fp16", label=w["precision"], elem_id="numbers-precision")
        names = ("layers", "d_model", "heads", "kv_heads", "head_dim", "d_ff", "vocab", "tokens")
        with gr.Row():
            sizes = [
                gr.Number(value=v, label=w[n], precision=0, minimum=0, elem_id=f"numbers-{n}", min_width=120)
                for n, v in zip(names, filled, strict=True)
            ]
            batch = gr.Number(value=1, label=w["batch"], precision=0, minimum=1, elem_id="numbers-batch", min_width=120)
        with gr.Row():
            device = gr.Dropdown(_devices(lang), value=first.name, label=w["device"], elem_id="numbers-device")
            bandwidth = gr.Number(value=first.bandwidth / 1e12, label=w["bandwidth"], elem_id="numbers-bandwidth")
            peak = gr.Number(value=first.peak_flops / 1e12, label=w["peak"], elem_id="numbers-peak")
        output = gr.Markdown(markdown, elem_id="numbers-results")
        chart = gr.LinePlot(
            frame,
            x="tokens",
            y="GiB",
            color="series",
            title=w["chart"],
            x_title=w["chart_x"],
            y_title=w["chart_y"],
            elem_id="numbers-chart",
        )
    panel = NumbersPanel(preset, [*sizes, batch], precision, device, bandwidth, peak, output, chart, intro)

    # Each handler takes the language first: the switch's value when there is one, else the fixed `lang`.
    first_input = [language] if language is not None else []
    everything = [*first_input, *panel.inputs]

    def language_of(values: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
        return (str(values[0]), values[1:]) if language is not None else (lang, values)

    def update(*values: Any) -> tuple[str, pd.DataFrame]:
        chosen, rest = language_of(values)
        return NumbersPanel.refresh(chosen, *rest)

    def choose_preset(*values: Any) -> tuple[Any, ...]:
        """Fill the size fields from the preset; batch, precision and device stay as they are."""
        chosen, (preset_id, *rest) = language_of(values)
        filled = preset_inputs(preset_id or CUSTOM)
        markdown, frame = NumbersPanel.refresh(chosen, preset_id, *filled, *rest[len(sizes) :])
        return (*filled, markdown, frame)

    def choose_device(*values: Any) -> tuple[Any, ...]:
        """An example device fills bandwidth and peak; 'your own' keeps what is typed."""
        chosen, (name, *rest) = language_of(values)
        example = next((d for d in EXAMPLE_DEVICES if d.name == name), None)
        bw = example.bandwidth / 1e12 if example else rest[-2]
        pk = example.peak_flops / 1e12 if example else rest[-1]
        markdown, frame = NumbersPanel.refresh(chosen, rest[0], *rest[1:-2], bw, pk)
        return bw, pk, markdown, frame

    # Page events, not API endpoints: the only public endpoints are /ask and /study_answer.
    private: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}
    for number in (*sizes, batch, bandwidth, peak):
        number.input(update, everything, [output, chart], trigger_mode="always_last", **private)
    precision.input(update, everything, [output, chart], **private)
    preset.input(choose_preset, everything, [*sizes, output, chart], **private)
    device.input(choose_device, [*first_input, device, *panel.inputs], [bandwidth, peak, output, chart], **private)
    return panel
