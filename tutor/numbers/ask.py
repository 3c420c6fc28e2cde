"""The chat's calculator: a quantitative question in, a computed and cited answer out (or None).

``answer_quantity`` fires only when the question asks for a quantity (KV cache, weights, FLOPs, intensity,
tokens/s, prefill time, attention-score memory, parameters) *and* names something to compute with: a preset
from the readings, another model, a device or a size. "What is the KV cache?" and "How many layers does BERT
have?" return None and are left to the Q&A bank. Sizes the question leaves out take the preset's value (or
fp16, batch 1, an example device) and are named in ``missing``; sizes no reading gives end in ``needs_sizes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tutor.lang.script import detect_language
from tutor.numbers import formulas as f
from tutor.numbers import sources as src
from tutor.numbers.errors import NumbersError
from tutor.numbers.explain import Context, declined_text, needs_sizes_text, render
from tutor.numbers.parse import Found, parse
from tutor.numbers.presets import EXAMPLE_DEVICES, Device, Preset
from tutor.numbers.shape import Shape
from tutor.qa import Pointer

DEFAULT_PRECISION = "fp16"
DEFAULT_DEVICE = EXAMPLE_DEVICES[0]


@dataclass(frozen=True)
class NumbersAnswer:
    """A computed answer: Markdown in the question's language (number first, no [n] markers), its sources,
    the sizes that were defaulted, and the number itself for callers that check or plot it."""

    function: str  # a tutor.numbers.formulas function name, "needs_sizes" or "declined"
    text: str
    sources: list[Pointer]
    missing: list[str] = field(default_factory=list)
    value: float | None = None
    unit: str = ""


def answer_quantity(
    question: str, lang: str, level: str, previous: str = "", pronoun: bool = False
) -> NumbersAnswer | None:
    """Answer a quantitative question about a model or device, or None when it is not one.

    `previous` is the question a follow-up refers back to: when this one names no quantity of its own, or says
    "it" (`pronoun`), it asks about the previous one's ("What is the KV cache?" → "How big does it get for a 7B
    model?" is the KV cache's size, not the weights'), with this question's sizes."""
    found = parse(question)
    if previous:
        subject = parse(previous).function
        if subject is not None and (found.function is None or pronoun):
            found.function = subject
    if found.function is None or not found.concrete or found.presets_named > 1 or found.fact_too:
        return None
    if found.function == "pass_at_k" and (found.samples is None or found.correct is None):
        return None  # "what is pass@1?", "Codex-12B's pass@100": the metric explained, or a result the bank holds
    if found.yes_no_or_why:
        return None  # "Is 8 heads 8 times the compute?", "Why is it fast?": explained, not computed
    if not (found.quantitative or (_numbers_given(found) and not found.how_it_works)):
        return None  # "Why does GPT-3 need a KV cache?", "how does BPE on bytes with a 256 vocab work?": no quantity
    out_lang = lang if lang in ("en", "zh") else detect_language(question)
    level = level if level in ("beginner", "intermediate", "expert") else "intermediate"
    return _Answerer(found, out_lang, level).answer()


def _numbers_given(found: Found) -> bool:
    return any(name != "params" or found.other_model is None for name in found.stated)


class _Answerer:
    """Fills in defaults, runs one formula and renders it; a missing size the readings cannot supply ends in
    a needs_sizes answer."""

    def __init__(self, found: Found, lang: str, level: str) -> None:
        self.found = found
        self.lang = lang
        self.level = level
        self.missing: list[str] = []
        self.defaults: list[tuple[str, str]] = []  # (size, value used) for the text
        self.preset: Preset | None = found.preset
        self.device_used: Device | None = found.device

    def answer(self) -> NumbersAnswer:
        function = self.found.function
        assert function is not None
        try:
            calc = getattr(self, f"_{function}")()
            shape = self._shape()
        except NumbersError as exc:
            return self._needs_sizes(function, exc)
        sources = self._sources(calc)
        context = Context(
            size_sources=self._size_sources(calc),
            shape=shape,
            lang=self.lang,
            level=self.level,
            model=self._model_name(),
            preset=self.preset,
            defaults=self.defaults,
            device=self.device_used,
            other_model=self.found.other_model,
        )
        return NumbersAnswer(calc.function, render(calc, context), sources, list(self.missing), calc.value, calc.unit)

    # -- sizes ---------------------------------------------------------------------------------------------

    def _default(self, name: str, shown: str) -> None:
        if name not in self.missing:
            self.missing.append(name)
            self.defaults.append((name, shown))

    def _shape(self) -> Shape:
        found = self.found
        base = self.preset.shape if self.preset else Shape()
        if found.preset_guessed and self.preset:
            self._default("model_size", self.preset.name)
        sizes = {n: getattr(found, n) for n in ("layers", "d_model", "d_ff", "vocab", "heads", "kv_heads", "head_dim")}
        return base.with_sizes(**sizes)

    def _precision(self) -> str:
        if self.found.precision:
            return self.found.precision
        self._default("precision", DEFAULT_PRECISION)
        return DEFAULT_PRECISION

    def _batch(self) -> int:
        if self.found.batch is not None:
            return self.found.batch
        self._default("batch", "1")
        return 1

    def _tokens(self, shape: Shape) -> int:
        if self.found.tokens is not None:
            return self.found.tokens
        if shape.context is not None:
            self._default("tokens", f"{shape.context:,}")
            return shape.context
        raise NumbersError("The context length is not given.", ("tokens",))

    def _params(self, shape: Shape) -> float:
        if self.found.params is not None:
            return self.found.params
        if self.preset is None and shape.layers is None:
            raise NumbersError("The model is not given.", ("params",))
        return f.param_count(shape).value

    def _device(self, need_bandwidth: bool, need_peak: bool) -> tuple[float, float]:
        found = self.found
        device = found.device
        bandwidth = found.bandwidth or (device.bandwidth if device else None)
        peak = found.peak_flops or (device.peak_flops if device else None)
        if (need_bandwidth and bandwidth is None) or (need_peak and peak is None):
            self.device_used = DEFAULT_DEVICE
            if need_bandwidth and bandwidth is None:
                bandwidth = DEFAULT_DEVICE.bandwidth
                self._default("bandwidth", DEFAULT_DEVICE.name)
            if need_peak and peak is None:
                peak = DEFAULT_DEVICE.peak_flops
                self._default("peak_flops", DEFAULT_DEVICE.name)
        return bandwidth or DEFAULT_DEVICE.bandwidth, peak or DEFAULT_DEVICE.peak_flops

    def _kv_if_context(self, shape: Shape, batch: int, precision: str) -> float:
        """The KV caches read per step, when the question gives a context and the shape allows a cache."""
        if self.found.tokens is None or shape.kind == "encoder" or shape.layers is None or shape.d_kv is None:
            return 0.0
        return f.kv_cache_bytes(shape, self.found.tokens, batch, precision).value

    # -- one method per function ---------------------------------------------------------------------------

    def _param_count(self) -> f.Calculation:
        return f.param_count(self._shape())

    def _weight_bytes(self) -> f.Calculation:
        shape = self._shape()
        return f.weight_bytes(self._params(shape), self._precision())

    def _kv_cache_bytes(self) -> f.Calculation:
        shape = self._shape()
        if self.preset is None and shape.layers is None:
            raise NumbersError("The layer count and width are not given.", ("layers", "d_model"))
        tokens = 1 if self.found.per_token and self.found.tokens is None else self._tokens(shape)
        return f.kv_cache_bytes(shape, tokens, self._batch(), self._precision())

    def _flops(self) -> f.Calculation:
        shape = self._shape()
        params = self.found.params
        if params is None and self.preset is None and shape.layers is None:
            raise NumbersError("The model is not given.", ("params",))
        if self.found.decode and shape.kind == "decoder":
            if shape.layers is None or shape.d_attn is None:  # attention left out: the context does not matter
                return f.decode_flops(shape, self.found.tokens or 1, params)
            return f.decode_flops(shape, self._tokens(shape), params)
        if params is not None and shape.layers is None and self.found.tokens is None:
            self._default("tokens", "1")
            return f.forward_flops(shape, 1, self._batch(), params)
        return f.forward_flops(shape, self._tokens(shape), self._batch(), params)

    def _prefill_seconds(self) -> f.Calculation:
        shape = self._shape()
        params = self.found.params
        if params is None and self.preset is None and shape.layers is None:
            raise NumbersError("The model is not given.", ("params",))
        flops = f.forward_flops(shape, self._tokens(shape), self._batch(), params)
        _, peak = self._device(need_bandwidth=False, need_peak=True)
        return f.prefill_seconds(flops, peak)

    def _decode_intensity(self) -> f.Calculation:
        return f.decode_intensity(self._batch(), self._precision())

    def _compute_bound_batch(self) -> f.Calculation:
        bandwidth, peak = self._device(need_bandwidth=True, need_peak=True)
        return f.compute_bound_batch(bandwidth, peak, self._precision())

    def _decode_bytes_per_token(self) -> f.Calculation:
        shape = self._shape()
        params = self._params(shape)
        precision, batch = self._precision(), self._batch()
        return f.decode_bytes_per_token(params, precision, self._kv_if_context(shape, batch, precision), batch)

    def _decode_tokens_per_second(self) -> f.Calculation:
        shape = self._shape()
        params = self._params(shape)
        precision, batch = self._precision(), self._batch()
        bandwidth, _ = self._device(need_bandwidth=True, need_peak=False)
        kv = self._kv_if_context(shape, batch, precision)
        return f.decode_tokens_per_second(params, bandwidth, precision, kv, batch)

    def _attention_scores_bytes(self) -> f.Calculation:
        shape = self._shape()
        heads = shape.heads
        if heads is None:  # a per-head figure, said so: the learner multiplies by their head count
            heads = 1
            self._default("heads", "1")
        return f.attention_scores_bytes(heads, self._tokens(shape), self._batch(), self._precision())

    def _pass_at_k(self) -> f.Calculation:
        found = self.found
        if found.k is None:
            raise NumbersError("k is not given.", ("k",))
        assert found.samples is not None and found.correct is not None  # answer_quantity checked
        return f.pass_at_k(found.samples, found.correct, found.k)

    # -- the answer ----------------------------------------------------------------------------------------

    def _model_name(self) -> str:
        if self.preset:
            return self.preset.name
        if self.found.other_model:
            return self.found.other_model
        if self.found.params is not None:
            return f"{self.found.params / 1e9:g}B" if self.found.params >= 1e9 else f"{self.found.params / 1e6:g}M"
        return ""

    def _size_sources(self, calc: f.Calculation) -> list[Pointer]:
        """Where the preset's sizes this calculation used are stated."""
        if self.preset is None:
            return []
        sizes = _SIZES_USED.get(calc.function, ())
        if self.found.params is not None and calc.function != "kv_cache_bytes":
            sizes = ()  # the learner's own parameter count
        if (
            calc.function in ("forward_flops", "decode_flops", "prefill_seconds")
            and self.preset.shape.kind == "decoder"
        ):
            sizes = (*sizes, "vocab")  # a decoder's output layer is V · d
        if "tokens" in self.missing:
            sizes = (*sizes, "context")
        if calc.function == "param_count":
            sizes = ("params", *sizes)
        known = tuple(s for s in sizes if s == "params" or getattr(self.preset.shape, s, None) is not None)
        return self.preset.sources_for(known)  # GPT-2's table is not cited for the heads it does not give

    def _sources(self, calc: f.Calculation) -> list[Pointer]:
        """The formula's readings, then where the model's sizes come from (without repeats)."""
        return _unique([*calc.sources, *self._size_sources(calc)])

    def _needs_sizes(self, function: str, exc: NumbersError) -> NumbersAnswer:
        """Say which sizes are needed (and why the readings cannot supply them), or why the calculation does not
        apply to this model; cite the formula."""
        sources = list(_FORMULA_SOURCES.get(function, ()))
        if exc.reason:
            sources = list(_REASON_SOURCES.get(exc.reason, sources))
            text = declined_text(exc.reason, self.lang, self.preset)
            return NumbersAnswer("declined", text, _unique(sources), [])
        text = needs_sizes_text(function, exc, self.found, self.lang, self.preset)
        return NumbersAnswer("needs_sizes", text, sources, list(exc.missing))


def _unique(pointers: list[Pointer]) -> list[Pointer]:
    unique: list[Pointer] = []
    for pointer in pointers:
        if pointer not in unique:
            unique.append(pointer)
    return unique


_REASON_SOURCES: dict[str, tuple[Pointer, ...]] = {
    "encoder_no_kv": (src.CAUSAL,),
    "not_decoder": (src.CAUSAL,),
    "encoder_decoder_flops": (src.STACKS,),
}

_PARAM_SIZES = ("layers", "d_model", "heads", "d_ff", "vocab", "context")
_SIZES_USED: dict[str, tuple[str, ...]] = {
    "param_count": _PARAM_SIZES,
    "weight_bytes": _PARAM_SIZES,
    "decode_bytes_per_token": _PARAM_SIZES,
    "decode_tokens_per_second": _PARAM_SIZES,
    "kv_cache_bytes": ("layers", "d_model", "heads"),
    "forward_flops": ("layers", "d_model", "heads", "d_ff"),
    "decode_flops": ("layers", "d_model", "heads", "d_ff"),
    "prefill_seconds": ("layers", "d_model", "heads", "d_ff"),
    "attention_scores_bytes": ("heads",),
}

_FORMULA_SOURCES: dict[str, tuple[Pointer, ...]] = {
    "param_count": f.param_count(Shape(layers=1, d_model=8, d_ff=8, vocab=8)).sources,
    "weight_bytes": f.weight_bytes(1).sources,
    "kv_cache_bytes": f.kv_cache_bytes(Shape(layers=1, d_model=8), 1).sources,
    "flops": f.forward_flops(Shape(layers=1, d_model=8), 1, params=1).sources,
    "prefill_seconds": f.prefill_seconds(f.forward_flops(Shape(layers=1, d_model=8), 1, params=1), 1).sources,
    "decode_intensity": f.decode_intensity().sources,
    "compute_bound_batch": f.compute_bound_batch(1, 1).sources,
    "decode_bytes_per_token": f.decode_bytes_per_token(1).sources,
    "decode_tokens_per_second": f.decode_tokens_per_second(1, 1).sources,
    "attention_scores_bytes": f.attention_scores_bytes(1, 1).sources,
    "pass_at_k": f.pass_at_k(1, 1, 1).sources,
}
