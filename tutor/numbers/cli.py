"""`tutor numbers …`: the calculator's formulas as thin commands, each with a stable `--json` form.

tutor numbers kv-cache --model gpt3-175b --tokens 2048 --precision fp16 --json
tutor numbers params --layers 24 --d-model 2048 --d-ff 8192 --vocab 50257
tutor numbers intensity --batch 8 --device a100
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from tutor.clierrors import friendly_errors
from tutor.numbers import formulas as f
from tutor.numbers.errors import NumbersError
from tutor.numbers.explain import fmt_bytes, fmt_flops, fmt_params, fmt_seconds
from tutor.numbers.presets import EXAMPLE_DEVICES, PRESETS, Device, Preset, get_preset
from tutor.numbers.shape import KINDS, Shape
from tutor.numbers.sources import cite


def _shape_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--model and the sizes that override it (or describe a model that is not a preset)."""
    positive = click.IntRange(min=1)
    options = [
        click.option("--model", "model", metavar="ID", help="A preset from the readings (`tutor numbers presets`)."),
        click.option("--layers", type=positive, help="Layers L (per stack)."),
        click.option("--d-model", type=positive, help="Model width d_model."),
        click.option("--heads", type=positive, help="Attention heads h."),
        click.option("--kv-heads", type=positive, help="Key/value heads (grouped-query; 1 = multi-query)."),
        click.option("--head-dim", type=positive, help="Head size d_head (default d_model / h)."),
        click.option("--d-ff", type=positive, help="Feed-forward width d_ff."),
        click.option("--vocab", type=positive, help="Vocabulary size V."),
        click.option("--context", type=positive, help="Trained context length (learned positions)."),
        click.option("--kind", type=click.Choice(KINDS), help="encoder (BERT), decoder (GPT) or encoder-decoder."),
        click.option("--untied", is_flag=True, help="The output layer has its own V·d matrix."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


precision_option = click.option(
    "--precision", type=click.Choice(f.PRECISIONS), default="fp16", show_default=True, help="Bytes per value."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object.")
batch_option = click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True, help="Sequences.")
tokens_option = click.option("--tokens", type=click.IntRange(min=1), help="Tokens n (default: the model's context).")
device_options = [
    click.option(
        "--device",
        type=click.Choice([d.name.split()[0].lower() for d in EXAMPLE_DEVICES]),
        help="An example device (vendor datasheet numbers, not from the readings).",
    ),
    click.option("--bandwidth", type=click.FloatRange(min=0, min_open=True), help="Memory bandwidth in TB/s."),
    click.option("--peak", type=click.FloatRange(min=0, min_open=True), help="Peak FLOP/s in TFLOPS."),
]


def _device_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(device_options):
        func = option(func)
    return func


def _shape(model: str | None, sizes: dict[str, Any]) -> tuple[Shape, Preset | None]:
    preset = get_preset(model) if model else None
    base = preset.shape if preset else Shape()
    overrides = {k: v for k, v in sizes.items() if k not in ("untied",) and v is not None}
    if sizes.get("untied"):
        overrides["tied"] = False
    return base.with_sizes(**overrides), preset


def _device(device: str | None, bandwidth: float | None, peak: float | None) -> tuple[float | None, float | None]:
    """Bytes/s and FLOP/s from --bandwidth/--peak, else from the named example device."""
    example: Device | None = next((d for d in EXAMPLE_DEVICES if d.name.lower().startswith(device or "-")), None)
    bytes_per_s = bandwidth * 1e12 if bandwidth else (example.bandwidth if example else None)
    flops_per_s = peak * 1e12 if peak else (example.peak_flops if example else None)
    return bytes_per_s, flops_per_s


def _tokens(tokens: int | None, shape: Shape) -> int:
    if tokens is not None:
        return tokens
    if shape.context is None:
        raise NumbersError("Give --tokens (this model has no trained context length to default to).", ("tokens",))
    return shape.context


def _emit(calc: f.Calculation, as_json: bool, human: str, preset: Preset | None = None) -> None:
    """One JSON object, or the number, its formula filled in, and its sources."""
    if as_json:
        data = calc.as_json()
        data["model"] = preset.id if preset else None
        data["human"] = human
        sizes = list(preset.where.values()) if preset else []
        data["citations"] = list(dict.fromkeys(cite(p) for p in [*calc.sources, *sizes]))
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(human)
    click.echo(f"  {calc.formula}")
    click.echo(f"  = {calc.filled}")
    if calc.omitted:
        click.echo(f"  left out: {', '.join(calc.omitted)}")
    click.echo("  sources: " + "; ".join(cite(p) for p in calc.sources))
    if preset:
        click.echo(f"  sizes: {preset.name}, {preset.table} — {cite(preset.table_source)}")
        if preset.note:
            click.echo(f"  note: {preset.note}")


@click.group()
def numbers() -> None:
    """Back-of-envelope numbers for LLM inference, cited to the readings."""


@numbers.command()
@json_option
def presets(as_json: bool) -> None:
    """The models whose sizes the readings' tables give, with counted and printed parameters."""
    rows: list[dict[str, object]] = []
    for p in PRESETS:
        s = p.shape
        counted = f.param_count(s).value
        rows.append(
            {
                "id": p.id,
                "name": p.name,
                "kind": s.kind,
                "layers": s.layers,
                "d_model": s.d_model,
                "heads": s.heads,
                "d_ff": s.d_ff,
                "vocab": s.vocab,
                "context": s.context,
                "params": counted,
                "table_params": p.table_params,
                "table": p.table,
                "source": cite(p.table_source),
                "note": p.note,
            }
        )
    if as_json:
        click.echo(json.dumps({"presets": rows, "devices": [d.__dict__ for d in EXAMPLE_DEVICES]}, ensure_ascii=False))
        return
    for p in PRESETS:
        counted = f.param_count(p.shape).value
        diff = 100 * (counted - p.table_params) / p.table_params
        click.echo(
            f"{p.id:<17} L={p.shape.layers:<3} d={p.shape.d_model:<6} h={p.shape.heads or '-':<3} "
            f"params {fmt_params(counted):>7} (table {fmt_params(p.table_params)}, {diff:+.1f} %)  "
            f"{p.table}, {cite(p.table_source)}"
        )
    for d in EXAMPLE_DEVICES:
        click.echo(f"device {d.name}: {d.bandwidth / 1e12:g} TB/s, {d.peak_flops / 1e12:g} TFLOPS ({d.note})")


@numbers.command()
@_shape_options
@json_option
@friendly_errors
def params(model: str | None, as_json: bool, **sizes: Any) -> None:
    """Parameter count from L, d_model, d_ff, vocabulary (and heads, positions, tied embeddings)."""
    shape, preset = _shape(model, sizes)
    calc = f.param_count(shape)
    _emit(calc, as_json, f"{fmt_params(calc.value)} parameters ({f.num(calc.value)})", preset)


@numbers.command()
@_shape_options
@click.option("--params", "n_params", type=float, help="Parameter count (e.g. 7e9) instead of a shape.")
@precision_option
@json_option
@friendly_errors
def weights(model: str | None, n_params: float | None, precision: str, as_json: bool, **sizes: Any) -> None:
    """Memory of the weights at fp32, fp16/bf16, int8 or int4."""
    shape, preset = _shape(model, sizes)
    count = n_params if n_params is not None else f.param_count(shape).value
    calc = f.weight_bytes(count, precision)
    _emit(calc, as_json, fmt_bytes(calc.value), preset)


@numbers.command(name="kv-cache")
@_shape_options
@tokens_option
@batch_option
@precision_option
@json_option
@friendly_errors
def kv_cache(model: str | None, tokens: int | None, batch: int, precision: str, as_json: bool, **sizes: Any) -> None:
    """KV-cache bytes: 2 · L · h_kv · d_head · tokens · batch · bytes."""
    shape, preset = _shape(model, sizes)
    calc = f.kv_cache_bytes(shape, _tokens(tokens, shape), batch, precision)
    _emit(calc, as_json, fmt_bytes(calc.value), preset)


@numbers.command()
@_shape_options
@tokens_option
@batch_option
@click.option("--decode", is_flag=True, help="FLOPs of one generated token at a context of --tokens.")
@click.option("--params", "n_params", type=float, help="Parameter count instead of the shape's own.")
@json_option
@friendly_errors
def flops(
    model: str | None, tokens: int | None, batch: int, decode: bool, n_params: float | None, as_json: bool, **sizes: Any
) -> None:
    """Forward-pass (prefill) FLOPs over --tokens, or --decode for one generated token."""
    shape, preset = _shape(model, sizes)
    if decode:
        calc = f.decode_flops(shape, _tokens(tokens, shape), n_params)
    else:
        calc = f.forward_flops(shape, _tokens(tokens, shape), batch, n_params)
    _emit(calc, as_json, fmt_flops(calc.value), preset)


@numbers.command()
@batch_option
@precision_option
@_device_options
@json_option
@friendly_errors
def intensity(
    batch: int, precision: str, device: str | None, bandwidth: float | None, peak: float | None, as_json: bool
) -> None:
    """Arithmetic intensity of decoding at a batch size (and, with a device, the batch where it turns compute-bound)."""
    calc = f.decode_intensity(batch, precision)
    bytes_per_s, flops_per_s = _device(device, bandwidth, peak)
    if bytes_per_s and flops_per_s:
        bound = f.compute_bound_batch(bytes_per_s, flops_per_s, precision)
        if as_json:
            data = calc.as_json()
            data["compute_bound_batch"] = bound.as_json()
            click.echo(json.dumps(data, ensure_ascii=False))
            return
        _emit(calc, False, f"{f.num(calc.value)} FLOPs/byte")
        ridge = bound.terms["ridge"]
        _emit(bound, False, f"compute-bound from batch ≈ {bound.value:.0f} (ridge {ridge:.0f} FLOPs/byte)")
        return
    _emit(calc, as_json, f"{f.num(calc.value)} FLOPs/byte")


@numbers.command(name="compute-bound")
@precision_option
@_device_options
@json_option
@friendly_errors
def compute_bound(
    precision: str, device: str | None, bandwidth: float | None, peak: float | None, as_json: bool
) -> None:
    """The batch at which decoding on a device turns from memory-bound to compute-bound: F · s / (2 · B)."""
    bytes_per_s, flops_per_s = _device(device, bandwidth, peak)
    if not bytes_per_s or not flops_per_s:
        raise NumbersError("Give --bandwidth (TB/s) and --peak (TFLOPS), or --device.", ("bandwidth", "peak_flops"))
    calc = f.compute_bound_batch(bytes_per_s, flops_per_s, precision)
    _emit(calc, as_json, f"batch ≈ {calc.value:.0f}")


@numbers.command(name="decode-bound")
@_shape_options
@click.option("--params", "n_params", type=float, help="Parameter count instead of a shape.")
@click.option("--tokens", type=click.IntRange(min=1), help="Context per sequence: its KV cache is read too.")
@batch_option
@precision_option
@_device_options
@json_option
@friendly_errors
def decode_bound(
    model: str | None,
    n_params: float | None,
    tokens: int | None,
    batch: int,
    precision: str,
    device: str | None,
    bandwidth: float | None,
    peak: float | None,
    as_json: bool,
    **sizes: Any,
) -> None:
    """Most decode tokens/s memory bandwidth allows: b · B / (P · s + KV)."""
    shape, preset = _shape(model, sizes)
    bytes_per_s, _ = _device(device, bandwidth, peak)
    if not bytes_per_s:
        raise NumbersError("Give --bandwidth (TB/s) or --device.", ("bandwidth",))
    count = n_params if n_params is not None else f.param_count(shape).value
    kv = f.kv_cache_bytes(shape, tokens, batch, precision).value if tokens and shape.kind != "encoder" else 0.0
    calc = f.decode_tokens_per_second(count, bytes_per_s, precision, kv, batch)
    human = f"≤ {calc.value:,.1f} tokens/s (each step ≥ {fmt_seconds(calc.terms['step_seconds'])})"
    _emit(calc, as_json, human, preset)


@numbers.command()
@_shape_options
@tokens_option
@batch_option
@click.option("--params", "n_params", type=float, help="Parameter count instead of the shape's own.")
@_device_options
@json_option
@friendly_errors
def prefill(
    model: str | None,
    tokens: int | None,
    batch: int,
    n_params: float | None,
    device: str | None,
    bandwidth: float | None,
    peak: float | None,
    as_json: bool,
    **sizes: Any,
) -> None:
    """Shortest prefill time: forward FLOPs / peak FLOP/s."""
    shape, preset = _shape(model, sizes)
    _, flops_per_s = _device(device, bandwidth, peak)
    if not flops_per_s:
        raise NumbersError("Give --peak (TFLOPS) or --device.", ("peak_flops",))
    calc = f.prefill_seconds(f.forward_flops(shape, _tokens(tokens, shape), batch, n_params), flops_per_s)
    _emit(calc, as_json, f"≥ {fmt_seconds(calc.value)}", preset)


@numbers.command(name="attention-memory")
@_shape_options
@tokens_option
@batch_option
@precision_option
@json_option
@friendly_errors
def attention_memory(
    model: str | None, tokens: int | None, batch: int, precision: str, as_json: bool, **sizes: Any
) -> None:
    """One layer's n × n attention scores for all heads, and what a tiled kernel keeps instead."""
    shape, preset = _shape(model, sizes)
    if shape.heads is None:
        raise NumbersError("Give --heads (this model's table gives no head count).", ("heads",))
    calc = f.attention_scores_bytes(shape.heads, _tokens(tokens, shape), batch, precision)
    human = f"{fmt_bytes(calc.value)} per layer; tiled: {fmt_bytes(calc.terms['tiled'])}"
    _emit(calc, as_json, human, preset)


@numbers.command(name="pass-at-k")
@click.option("--n", "samples", type=click.IntRange(min=1), required=True, help="Samples drawn per problem.")
@click.option("--c", "correct", type=click.IntRange(min=0), required=True, help="How many of them pass the tests.")
@click.option("--k", type=click.IntRange(min=1), required=True, help="pass@k's k (at most --n).")
@json_option
@friendly_errors
def pass_at_k(samples: int, correct: int, k: int, as_json: bool) -> None:
    """Codex's unbiased pass@k for one problem from n samples of which c pass: 1 − C(n−c, k) / C(n, k)."""
    calc = f.pass_at_k(samples, correct, k)
    _emit(calc, as_json, f"pass@{k} ≈ {calc.value:.4f} (1 − (1 − c/n)^k would say {calc.terms['naive']:.4f})")
