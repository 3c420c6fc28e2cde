"""The back-of-envelope calculator: every formula against arithmetic done by hand here, the presets against the
papers' tables (and the PDFs' pages), the chat's quantitative questions in both languages, the CLI, and the
eval set eval/numbers.jsonl."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import READINGS_RAW, REPO

from tutor.numbers import (
    PRESETS,
    NumbersError,
    Shape,
    answer_quantity,
    attention_scores_bytes,
    compute_bound_batch,
    decode_bytes_per_token,
    decode_flops,
    decode_intensity,
    decode_tokens_per_second,
    forward_flops,
    get_preset,
    kv_cache_bytes,
    param_count,
    pass_at_k,
    prefill_seconds,
    weight_bytes,
)
from tutor.numbers import sources as src
from tutor.numbers.cli import numbers
from tutor.numbers.parse import parse
from tutor.readings import load_reading_list

V = 50257  # GPT-2's vocabulary (§2.3), also GPT-3's


def block(d: int, d_ff: int) -> int:
    """One Transformer block by hand: W_Q, W_K, W_V, W_O; W_1, b_1, W_2, b_2; two layer norms."""
    return 4 * d * d + (d * d_ff + d_ff) + (d_ff * d + d) + 2 * (2 * d)


BERT_BASE = 12 * block(768, 3072) + 30000 * 768 + 512 * 768 + 2 * 768
BERT_LARGE = 24 * block(1024, 4096) + 30000 * 1024 + 512 * 1024 + 2 * 1024
GPT2_XL = 48 * block(1600, 6400) + V * 1600 + 1024 * 1600 + 2 * 1600
GPT3_175B = 96 * block(12288, 49152) + V * 12288 + 2048 * 12288 + 2 * 12288
# Encoder and decoder stacks; the decoder's blocks have a second attention (over the encoder) and layer norm.
TRANSFORMER_BIG = 6 * block(1024, 4096) + 6 * (block(1024, 4096) + 4 * 1024 * 1024 + 2 * 1024) + 37000 * 1024


# -- presets against the papers ------------------------------------------------------------------------------


def test_hand_counts_of_four_presets() -> None:
    assert param_count(get_preset("bert-base").shape).value == BERT_BASE == 108_452_352
    assert param_count(get_preset("bert-large").shape).value == BERT_LARGE
    assert param_count(get_preset("gpt2-xl").shape).value == GPT2_XL == 1_557_304_000
    assert param_count(get_preset("gpt3-175b").shape).value == GPT3_175B
    assert param_count(get_preset("transformer-big").shape).value == TRANSFORMER_BIG


# The three whose printed counts the sizes do not reproduce, each with its evidence in the preset's note.
KNOWN_OFF = {
    "transformer-base": (0.035, "about 37000"),  # vocabulary given only as "about 37000"
    "gpt2-small": (0.07, "124M"),  # OpenAI renamed it 124M: the paper's count was wrong
    "gpt2-medium": (0.03, "355M"),  # … and this one 355M
}


@pytest.mark.parametrize("preset", PRESETS, ids=[p.id for p in PRESETS])
def test_preset_counts_match_the_papers_tables(preset: object) -> None:
    """Within 2 % of the table, or within the stated margin with the disagreement explained in the preset."""
    assert hasattr(preset, "shape")
    counted = param_count(preset.shape).value  # type: ignore[attr-defined]
    printed = preset.table_params  # type: ignore[attr-defined]
    off = abs(counted - printed) / printed
    if preset.id in KNOWN_OFF:  # type: ignore[attr-defined]
        margin, evidence = KNOWN_OFF[preset.id]  # type: ignore[attr-defined]
        assert 0.02 < off < margin
        assert evidence in preset.note and preset.note_zh  # type: ignore[attr-defined]
    else:
        assert off < 0.02, f"{counted:,} vs {printed:,}"


@pytest.mark.parametrize(
    ("preset_id", "corrected"),
    [pytest.param("gpt2-small", 124e6, id="small-124M"), pytest.param("gpt2-medium", 355e6, id="medium-355M")],
)
def test_gpt2_counts_match_openais_corrected_names(preset_id: str, corrected: float) -> None:
    assert abs(param_count(get_preset(preset_id).shape).value - corrected) / corrected < 0.005


def test_gpt3_xl_uses_d_model_wide_heads_because_the_printed_count_needs_it() -> None:
    """Table 2.1's 24 × 128 heads (3,072) would give 1.5B, not the printed 1.3B."""
    xl = get_preset("gpt3-xl")
    assert xl.shape.heads is None and xl.shape.d_attn == 2048
    assert "3,072" in xl.note
    wide = param_count(xl.shape.with_sizes(heads=24, head_dim=128)).value
    assert abs(wide - 1.3e9) / 1.3e9 > 0.1


def test_every_preset_and_formula_cites_readings_on_the_list(readings: object) -> None:
    ids = {r.id for r in load_reading_list(REPO / "corpus").readings}
    pointers = [p for preset in PRESETS for p in preset.where.values()]
    pointers += [getattr(src, name) for name in dir(src) if name.isupper() and hasattr(getattr(src, name), "section")]
    for pointer in pointers:
        assert pointer.id in ids
        assert (pointer.page is None) == (pointer.id == src.BROWN)  # only GPT-3 has no local PDF


# A phrase each cited page must hold (pypdf text, whitespace collapsed): the sizes the presets take and the
# statements the formulas rest on.
PAGE_EVIDENCE = [
    (src.STACKS, ["N = 6"]),
    (src.SCORES, ["QK"]),
    (src.HEADS, ["= 64", "h = 8 parallel attention layers"]),
    (src.CAUSAL, ["masking"]),
    (src.FFN, ["2048"]),
    (src.EMBEDDINGS, ["share the same weight matrix"]),
    (src.COMPLEXITY, ["O(n2"]),
    (src.WMT_VOCAB, ["37000"]),
    (src.TRANSFORMER_TABLE, ["65", "213", "1024 4096 16"]),
    (src.BERT_SIZES, ["L=12, H=768, A=12", "110M", "L=24, H=1024", "340M", "4H"]),
    (src.BERT_VOCAB, ["30,000"]),
    (src.BERT_LENGTH, ["512 tokens"]),
    (src.GPT1_SIZES, ["12-layer", "768", "12 attention heads", "3072", "40,000", "512 tokens"]),
    (
        src.GPT2_SIZES,
        ["117M", "345M", "762M", "1542M", "1600", "50,257", "1024 tokens", "equivalent to the original GPT"],
    ),
    (src.PRECISIONS, ["FP32", "FP16", "BF16", "INT8/INT4"]),
    (src.INFERENCE, ["counting the FLOPS"]),
    (src.SHARED_KV, ["Multi-query attention", "Group-query attention"]),
    (src.QUANTIZATION, ["INT8 or INT4"]),
    (src.KV_MEMORY, ["KV cache"]),
    (src.KV_REUSE, ["previously computed keys and values", "online softmax"]),
    (src.INTENSITY, ["lower computational intensity", "Flash-attention"]),
    (src.PASS_AT_K, ["unbiased estimator", "n = 200"]),
    (src.NAIVE_PASS_AT_K, ["underestimate"]),
]


@pytest.mark.readings
@pytest.mark.parametrize(("pointer", "phrases"), PAGE_EVIDENCE, ids=[f"{p.id}-p{p.page}" for p, _ in PAGE_EVIDENCE])
def test_cited_pages_say_what_the_calculator_takes_from_them(pointer: object, phrases: list[str]) -> None:
    from pypdf import PdfReader

    path = READINGS_RAW / f"{pointer.id}.pdf"  # type: ignore[attr-defined]
    if not path.exists():
        pytest.skip(f"{path} is not here")
    text = re.sub(r"\s+", " ", PdfReader(path).pages[pointer.page - 1].extract_text())  # type: ignore[attr-defined]
    for phrase in phrases:
        assert phrase in text, f"{phrase!r} not on p. {pointer.page} of {pointer.id}"  # type: ignore[attr-defined]


# -- every formula, by hand, on at least three presets -------------------------------------------------------


@pytest.mark.parametrize(
    ("precision", "factor"),
    [("fp32", 4), ("fp16", 2), ("bf16", 2), ("int8", 1), ("int4", 0.5)],
)
def test_weight_bytes_at_each_precision(precision: str, factor: float) -> None:
    assert weight_bytes(GPT3_175B, precision).value == GPT3_175B * factor
    assert weight_bytes(BERT_BASE, precision).value == BERT_BASE * factor
    assert weight_bytes(7e9, precision).value == 7e9 * factor


def test_kv_cache_by_hand() -> None:
    gpt3 = get_preset("gpt3-175b").shape
    assert kv_cache_bytes(gpt3, 2048).value == 2 * 96 * 96 * 128 * 2048 * 1 * 2 == 9_663_676_416
    assert kv_cache_bytes(gpt3, 2048, batch=4, precision="int8").value == 2 * 96 * 96 * 128 * 2048 * 4 * 1
    # GPT-2 gives no head count: h · d_head = d_model.
    assert kv_cache_bytes(get_preset("gpt2-xl").shape, 1024).value == 2 * 48 * 1600 * 1024 * 2
    assert kv_cache_bytes(get_preset("gpt3-13b").shape, 2048, 4, "bf16").value == 2 * 40 * 40 * 128 * 2048 * 4 * 2
    # The encoder–decoder Transformer: the decoder's self-attention cache only.
    calc = kv_cache_bytes(get_preset("transformer-base").shape, 100)
    assert calc.value == 2 * 6 * 512 * 100 * 2 and calc.omitted


def test_grouped_and_multi_query_heads_shrink_the_cache() -> None:
    gpt3 = get_preset("gpt3-175b").shape
    grouped = kv_cache_bytes(gpt3.with_sizes(kv_heads=8), 2048)
    assert grouped.value == 2 * 96 * 8 * 128 * 2048 * 2
    assert src.SHARED_KV in grouped.sources
    assert kv_cache_bytes(gpt3.with_sizes(kv_heads=1), 2048).value == 2 * 96 * 1 * 128 * 2048 * 2


def test_an_encoder_has_no_kv_cache() -> None:
    with pytest.raises(NumbersError, match="both directions") as info:
        kv_cache_bytes(get_preset("bert-base").shape, 512)
    assert info.value.reason == "encoder_no_kv"


def test_forward_flops_by_hand() -> None:
    bert = forward_flops(get_preset("bert-base").shape, 512)
    p_mm = 12 * block(768, 3072)  # an encoder's tokens meet the blocks only
    assert bert.value == 2 * p_mm * 512 + 4 * 12 * 512 * 512 * 768 == 96_721_698_816
    gpt2 = forward_flops(get_preset("gpt2-small").shape, 1024, batch=2)
    p_mm = 12 * block(768, 3072) + V * 768  # a decoder also multiplies by its output layer
    assert gpt2.value == 2 * (2 * p_mm * 1024 + 2 * 12 * 1024 * 1025 * 768)  # causal: token i sees i keys
    gpt3 = forward_flops(get_preset("gpt3-175b").shape, 2048)
    p_mm = 96 * block(12288, 49152) + V * 12288
    assert gpt3.value == 2 * p_mm * 2048 + 2 * 96 * 2048 * 2049 * 12288


def test_decode_flops_by_hand() -> None:
    gpt3 = decode_flops(get_preset("gpt3-175b").shape, 2048)
    assert gpt3.value == 2 * (96 * block(12288, 49152) + V * 12288) + 4 * 96 * 2048 * 12288
    gpt2 = decode_flops(get_preset("gpt2-medium").shape, 512)
    assert gpt2.value == 2 * (24 * block(1024, 4096) + V * 1024) + 4 * 24 * 512 * 1024
    gpt1 = decode_flops(get_preset("gpt1").shape, 1)
    assert gpt1.value == 2 * (12 * block(768, 3072) + 40000 * 768) + 4 * 12 * 1 * 768


def test_flops_from_a_bare_parameter_count_leave_attention_out() -> None:
    calc = decode_flops(Shape(), 4096, params=7e9)
    assert calc.value == 2 * 7e9 and calc.omitted


def test_flops_of_the_encoder_decoder_transformer_are_declined() -> None:
    with pytest.raises(NumbersError, match="one stack") as info:
        forward_flops(get_preset("transformer-base").shape, 512)
    assert info.value.reason == "encoder_decoder_flops"


@pytest.mark.parametrize(
    ("batch", "precision", "expected"),
    [(1, "fp16", 1.0), (8, "fp16", 8.0), (16, "int8", 32.0), (1, "fp32", 0.5), (4, "int4", 16.0)],
)
def test_decode_intensity_is_2b_over_s(batch: int, precision: str, expected: float) -> None:
    assert decode_intensity(batch, precision).value == expected


def test_compute_bound_batch_by_hand() -> None:
    assert compute_bound_batch(2e12, 312e12).value == 312e12 * 2 / (2 * 2e12) == 156
    assert compute_bound_batch(2e12, 312e12, "int8").value == 78
    h100 = compute_bound_batch(3.35e12, 989e12, "bf16")
    assert h100.value == pytest.approx(989 / 3.35) and h100.terms["ridge"] == pytest.approx(989 / 3.35)


def test_bytes_read_per_generated_token() -> None:
    assert decode_bytes_per_token(7e9).value == 14e9
    kv = kv_cache_bytes(get_preset("gpt2-xl").shape, 1024, batch=8).value
    calc = decode_bytes_per_token(GPT2_XL, "fp16", kv, batch=8)
    assert calc.value == (GPT2_XL * 2 + 2 * 48 * 1600 * 1024 * 8 * 2) / 8


def test_decode_tokens_per_second_is_bounded_by_bandwidth() -> None:
    assert decode_tokens_per_second(GPT2_XL, 2e12).value == 2e12 / (GPT2_XL * 2)
    assert decode_tokens_per_second(7e9, 2.039e12).value == pytest.approx(145.64, rel=1e-4)
    batch8 = decode_tokens_per_second(GPT3_175B, 3.35e12, "int8", batch=8)
    assert batch8.value == 8 * 3.35e12 / GPT3_175B
    assert batch8.terms["step_seconds"] == GPT3_175B / 3.35e12


def test_prefill_time_is_flops_over_peak() -> None:
    flops = forward_flops(get_preset("gpt3-175b").shape, 2048)
    p_mm = 96 * block(12288, 49152) + V * 12288
    assert prefill_seconds(flops, 312e12).value == (2 * p_mm * 2048 + 2 * 96 * 2048 * 2049 * 12288) / 312e12
    bert = prefill_seconds(forward_flops(get_preset("bert-large").shape, 512), 989e12)
    assert bert.value == (2 * 24 * block(1024, 4096) * 512 + 4 * 24 * 512 * 512 * 1024) / 989e12


def test_attention_scores_and_what_tiling_keeps() -> None:
    large = attention_scores_bytes(16, 512)
    assert large.value == 16 * 512 * 512 * 2 and large.terms["tiled"] == 16 * 512 * 8
    gpt3 = attention_scores_bytes(96, 2048, batch=2, precision="fp32")
    assert gpt3.value == 2 * 96 * 2048**2 * 4
    assert attention_scores_bytes(8, 4096).terms["per_head"] == 4096**2 * 2


def test_pass_at_k_by_hand() -> None:
    five = pass_at_k(20, 3, 5)  # 1 − C(17, 5) / C(20, 5) = 1 − 6188 / 15504
    assert five.value == pytest.approx(1 - 6188 / 15504)
    assert five.terms["naive"] == pytest.approx(1 - 0.85**5) and five.terms["naive"] < five.value
    assert pass_at_k(20, 3, 1).value == pytest.approx(3 / 20)  # pass@1 is the share that passes
    assert pass_at_k(20, 0, 10).value == 0.0
    assert pass_at_k(20, 16, 5).value == 1.0  # only 4 failures: any 5 include a pass
    assert pass_at_k(200, 10, 100).value > pass_at_k(200, 10, 10).value


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda: weight_bytes(7e9, "fp8"), "Unknown precision", id="precision"),
        pytest.param(lambda: kv_cache_bytes(Shape(), 10), "needs layers", id="no-layers"),
        pytest.param(lambda: Shape(layers=0), "positive", id="zero-layers"),
        pytest.param(lambda: Shape(d_model=100, heads=3), "multiple of heads", id="heads-do-not-divide"),
        pytest.param(lambda: Shape(heads=8, kv_heads=3), "multiple of kv_heads", id="groups-do-not-divide"),
        pytest.param(lambda: compute_bound_batch(0, 1e12), "positive", id="zero-bandwidth"),
        pytest.param(lambda: get_preset("gpt-5"), "No preset", id="unknown-preset"),
        pytest.param(lambda: pass_at_k(5, 6, 1), "between 0 and n", id="more-passing-than-samples"),
        pytest.param(lambda: pass_at_k(5, 1, 6), "at least k samples", id="k-above-n"),
    ],
)
def test_impossible_sizes_are_user_errors(call: object, message: str) -> None:
    with pytest.raises(NumbersError, match=message):
        call()  # type: ignore[operator]


def test_a_missing_size_is_named() -> None:
    with pytest.raises(NumbersError) as info:
        param_count(Shape(layers=12, d_model=768))
    assert info.value.missing == ("d_ff", "vocab")


# -- the chat: quantitative questions in both languages -------------------------------------------------------

ANSWERED = [
    pytest.param(
        "I sampled 20 programs per problem and 3 of them pass the unit tests. What is pass@5?",
        "pass_at_k",
        1 - 6188 / 15504,
        id="pass-at-k-en",
    ),
    pytest.param(
        "每道题采样 20 个，其中 3 个通过，pass@10 是多少？", "pass_at_k", 1 - 19448 / 184756, id="pass-at-k-zh"
    ),
    pytest.param("n=200, c=10, pass@1?", "pass_at_k", 0.05, id="pass-at-k-symbols"),
    pytest.param(
        "GPT-3 在两千个 token 时 KV 缓存多大？",
        "kv_cache_bytes",
        2 * 96 * 96 * 128 * 2000 * 2,
        id="zh-numerals-tokens",
    ),
    pytest.param(
        "批大小为八、int8 时解码的算术强度是多少？",
        "decode_intensity",
        16,
        id="zh-numerals-batch",
    ),
    pytest.param(
        "七十亿参数的模型用 fp16 每个 token 要读多少字节？",
        "decode_bytes_per_token",
        14e9,
        id="zh-numerals-params",
    ),
    pytest.param(
        "How much memory does the KV cache of GPT-3 take at 2,048 tokens?",
        "kv_cache_bytes",
        9_663_676_416,
        id="kv-gpt3-en",
    ),
    pytest.param(
        "GPT-3 175B 在 2048 个 token 上的 KV 缓存有多大？",
        "kv_cache_bytes",
        9_663_676_416,
        id="kv-gpt3-zh",
    ),
    pytest.param(
        "为什么解码是访存瓶颈？7B 模型 fp16 每个 token 要读多少字节？",
        "decode_bytes_per_token",
        14e9,
        id="bytes-7b-zh",
    ),
    pytest.param(
        "How many FLOPs is one forward pass of BERT-base on 512 tokens?",
        "forward_flops",
        96_721_698_816,
        id="flops-bert-en",
    ),
    pytest.param(
        "What batch size makes decoding compute-bound on a GPU with 2 TB/s and 312 TFLOPS?",
        "compute_bound_batch",
        156,
        id="bound-en",
    ),
    pytest.param(
        "带宽 2 TB/s、算力 312 TFLOPS 的 GPU，批大小多大时解码会变成计算瓶颈？",
        "compute_bound_batch",
        156,
        id="bound-zh",
    ),
    pytest.param(
        "KV cache of a model with 32 layers, 32 heads of 128 at 4k context, batch 8, int8",
        "kv_cache_bytes",
        2 * 32 * 32 * 128 * 4096 * 8,
        id="kv-sizes-en",
    ),
    pytest.param(
        "32 层、d_model 4096 的模型在 4096 个 token、批大小 8 时 KV 缓存多大？",
        "kv_cache_bytes",
        2 * 32 * 4096 * 4096 * 8 * 2,
        id="kv-sizes-zh",
    ),
    pytest.param(
        "How many parameters does BERT-large have?",
        "param_count",
        BERT_LARGE,
        id="params-en",
    ),
    pytest.param(
        "70 亿参数的模型在 2 TB/s 带宽下每秒最多生成多少个 token？",
        "decode_tokens_per_second",
        2e12 / 14e9,
        id="speed-zh",
    ),
    pytest.param(
        "What is the arithmetic intensity of decoding at batch 16 in int8?",
        "decode_intensity",
        32,
        id="intensity-en",
    ),
    pytest.param(
        "GPT-2 XL 用 int4 量化后每生成一个 token 要读多少字节？",
        "decode_bytes_per_token",
        GPT2_XL / 2,
        id="int4-zh",
    ),
]


@pytest.mark.parametrize(("question", "function", "value"), ANSWERED)
@pytest.mark.parametrize("level", ["beginner", "intermediate", "expert"])
def test_quantitative_questions_are_computed(question: str, function: str, value: float, level: str) -> None:
    answer = answer_quantity(question, "auto", level)
    assert answer is not None
    assert answer.function == function
    assert answer.value == pytest.approx(value, rel=1e-9)
    assert answer.sources and not re.search(r"\[\d+\]", answer.text)
    assert answer.text.startswith("**")  # the number first


NOT_QUANTITATIVE = [
    pytest.param("What is pass@k?", id="what-pass-at-k"),
    pytest.param("Codex-12B 的 pass@100 是多少？", id="zh-a-reported-pass-at-k"),
    pytest.param("Why does Codex draw n=200 samples to estimate pass@k?", id="why-n-200"),
    pytest.param("5 samples and 1 passes: what are pass@1, pass@2 and pass@5?", id="several-k-worked-example"),
    pytest.param("my filter keeps only 3 of 200 samples, what's pass@10 then?", id="kept-is-not-passing"),
    pytest.param("why is decoding memory-bound?", id="why-memory-bound"),
    pytest.param("what is the KV cache?", id="what-kv"),
    pytest.param("How big is the KV cache?", id="no-model-no-size"),
    pytest.param("how many layers does BERT have?", id="fact-layers"),
    pytest.param("Why does GPT-3 need a KV cache?", id="why-with-model"),
    pytest.param("How does the KV cache work in GPT-2?", id="how-with-model"),
    pytest.param("How many attention heads does GPT-3 175B use?", id="fact-heads"),
    pytest.param("为什么解码是访存瓶颈？", id="zh-why"),
    pytest.param("KV 缓存是什么？", id="zh-what"),
    pytest.param("BERT 有多少层？", id="zh-fact-layers"),
    pytest.param("KV 缓存有多大？", id="zh-no-model"),
    pytest.param("Which has more parameters, BERT-large or GPT-2 medium?", id="two-models"),
    pytest.param("What is overfitting and how do I detect it?", id="unrelated"),
    pytest.param("GPT-2 为什么要用字节级 BPE？", id="zh-byte-level"),
    pytest.param("How many tokens fit in GPT-3's prompt?", id="fit-is-not-memory"),
    pytest.param("8 个头是不是 8 倍的计算量？", id="zh-yes-no"),
    pytest.param("How many parameters are in GPT-2's embedding matrix?", id="a-part-not-the-total"),
    pytest.param("GPT-1 有几层、多少参数？", id="zh-also-a-fact"),
    pytest.param("How do MQA and GQA shrink the KV cache?", id="mqa-is-not-a-size"),
    pytest.param("为什么验证 k 个词元和生成 1 个词元差不多快？", id="zh-why-with-numbers"),
    pytest.param(
        "GPT-2 runs BPE on a sequence of bytes with a base vocab of 256. How does BPE on bytes work?",
        id="how-with-a-size",
    ),
]


@pytest.mark.parametrize("question", NOT_QUANTITATIVE)
def test_conceptual_and_fact_questions_are_left_to_the_qa_bank(question: str) -> None:
    assert answer_quantity(question, "auto", "intermediate") is None


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        pytest.param("How big is the KV cache of LLaMA-2 7B at 4096 tokens?", ["layers", "d_model"], id="llama-en"),
        pytest.param("LLaMA-2 7B 的 KV 缓存在 4096 上下文下多大？", ["layers", "d_model"], id="llama-zh"),
        pytest.param(
            "How much memory does the KV cache of a 7B model need at a 4k context?", ["layers", "d_model"], id="7b"
        ),
        pytest.param("GPT-4 每秒能生成多少 token？", ["params"], id="gpt4-zh"),
    ],
)
def test_sizes_the_readings_do_not_give_are_asked_for(question: str, missing: list[str]) -> None:
    answer = answer_quantity(question, "auto", "intermediate")
    assert answer is not None and answer.function == "needs_sizes"
    assert answer.missing == missing and answer.value is None and answer.sources


def test_only_quantitative_questions_of_the_qa_bank_fire() -> None:
    """Every question and phrasing in corpus/qa: what/why/how/compare/… never fire; numbers and systems may."""
    import tomllib

    fired = []
    for lang in ("en", "zh"):
        for path in sorted((REPO / "corpus" / "qa" / lang).glob("*.toml")):
            for pair in tomllib.loads(path.read_text(encoding="utf-8"))["qa"]:
                for question in [pair["q"], *pair.get("also", [])]:
                    answer = answer_quantity(question, lang, "intermediate")
                    if answer is not None:
                        fired.append((pair["kind"], answer.function, question))
    # the bank's pass@k worked examples are "how" pairs: a stated n, c and k is a calculation all the same
    assert fired and all(kind in ("numbers", "systems") or fn == "pass_at_k" for kind, fn, _ in fired), fired


def test_a_missing_head_count_gives_the_per_head_figure() -> None:
    answer = answer_quantity("How much memory do GPT-2 XL's attention scores take at 1024 tokens?", "en", "expert")
    assert answer is not None and answer.function == "attention_scores_bytes"
    assert answer.value == 1024 * 1024 * 2 and "heads" in answer.missing
    assert "figure for one head" in answer.text and "1 head," in answer.text
    assert src.GPT2_SIZES not in answer.sources  # the table gives no heads, so it is not cited for them


def test_a_kv_cache_for_bert_is_declined_with_the_reason() -> None:
    en = answer_quantity("What is the KV cache of BERT-base at 512 tokens?", "en", "beginner")
    zh = answer_quantity("BERT-base 在 512 个 token 时的 KV 缓存有多大？", "zh", "beginner")
    assert en is not None and zh is not None
    assert en.function == zh.function == "declined"
    assert "encoder" in en.text and "编码器" in zh.text
    assert en.sources == [src.CAUSAL]


@pytest.mark.parametrize(
    ("question", "lang", "counted", "printed"),
    [
        ("how many parameters does bert base have?", "en", "108.5M", "The paper prints 110.0M (§3)"),
        ("BERT-large 有多少参数？", "zh", "333.5M", "论文（§3）印的是 3.40 亿（340.0M）"),
    ],
)
def test_a_counted_parameter_total_opens_beside_the_papers_printed_one(
    question: str, lang: str, counted: str, printed: str
) -> None:
    answer = answer_quantity(question, lang, "beginner")
    assert answer is not None and answer.function == "param_count"
    opening = answer.text.split("\n")[0]
    assert counted in opening and printed in opening, opening  # a beginner sees both, not a silent correction


def test_defaulted_sizes_are_named_and_said() -> None:
    answer = answer_quantity("How big is GPT-3's KV cache?", "en", "intermediate")
    assert answer is not None
    assert answer.missing == ["tokens", "batch", "precision"]
    assert "full context of 2,048 tokens" in answer.text and "fp16 (2 bytes per value)" in answer.text
    zh = answer_quantity("BERT 有多少参数？", "zh", "beginner")
    assert zh is not None and zh.missing == ["model_size"] and "BERT-base" in zh.text


def test_levels_differ_in_depth() -> None:
    question = "How much memory does the KV cache of GPT-3 take at 2,048 tokens?"
    beginner, intermediate, expert = (
        answer_quantity(question, "en", lvl) for lvl in ("beginner", "intermediate", "expert")
    )
    assert beginner and intermediate and expert
    assert "9.00 GiB" in beginner.text and "notes" in beginner.text and "```" not in beginner.text
    assert "2 · 96 · 96 · 128 · 2,048 · 1 · 2" in intermediate.text and "Derivation" not in intermediate.text
    assert "Derivation" in expert.text and "grouped-query" in expert.text and "Formula from" in expert.text
    assert len(beginner.text) < len(intermediate.text) < len(expert.text)


def test_answers_are_in_the_language_asked_for() -> None:
    question = "How much memory does the KV cache of GPT-3 take at 2,048 tokens?"
    zh = answer_quantity(question, "zh", "intermediate")
    auto = answer_quantity("GPT-3 175B 在 2048 个 token 上的 KV 缓存有多大？", "auto", "intermediate")
    assert zh and auto and "KV 缓存" in zh.text and "假设" in auto.text


def test_sources_cite_the_formula_and_the_models_table() -> None:
    answer = answer_quantity("How much memory does the KV cache of GPT-3 take at 2,048 tokens?", "en", "expert")
    assert answer is not None
    assert answer.sources[:3] == [src.HEADS, src.KV_REUSE, src.KV_MEMORY]
    assert src.GPT3_SIZES in answer.sources and src.GPT2_SIZES not in answer.sources  # no vocabulary used


# -- the eval set --------------------------------------------------------------------------------------------

EVAL = [json.loads(line) for line in (REPO / "eval" / "numbers.jsonl").read_text(encoding="utf-8").splitlines()]


def test_eval_set_is_large_and_bilingual() -> None:
    assert len(EVAL) >= 40
    assert sum(row["lang"] == "zh" for row in EVAL) >= len(EVAL) // 2
    assert sum(row["function"] in ("needs_sizes", "declined") for row in EVAL) >= 4
    assert sum(bool(row.get("missing")) for row in EVAL if row["value"] is not None) >= 10
    assert len({row["id"] for row in EVAL}) == len(EVAL)


@pytest.mark.parametrize("row", EVAL, ids=[row["id"] for row in EVAL])
def test_eval_question(row: dict[str, object]) -> None:
    """Right function, the number within 1 %, exactly the expected readings cited, the defaulted sizes named."""
    answer = answer_quantity(str(row["question"]), str(row["lang"]), str(row["level"]))
    if row["function"] is None:
        assert answer is None
        return
    assert answer is not None
    assert answer.function == row["function"]
    assert sorted({p.id for p in answer.sources}) == row["readings"]
    if row["value"] is not None:
        assert answer.value == pytest.approx(row["value"], rel=0.01)
    if "missing" in row:
        assert sorted(answer.missing) == sorted(row["missing"])  # type: ignore[arg-type]


# -- the CLI -------------------------------------------------------------------------------------------------


def test_cli_kv_cache_json() -> None:
    result = CliRunner().invoke(
        numbers, ["kv-cache", "--model", "gpt3-175b", "--tokens", "2048", "--precision", "fp16", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["value"] == 9_663_676_416 and data["function"] == "kv_cache_bytes"
    assert data["filled"].startswith("2 · 96 · 96 · 128 · 2,048 · 1 · 2")
    assert "Brown et al. 2020, §2" in data["citations"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["params", "--model", "bert-base", "--json"], BERT_BASE, id="params"),
        pytest.param(["weights", "--params", "7e9", "--precision", "int4", "--json"], 3.5e9, id="weights"),
        pytest.param(["flops", "--model", "bert-base", "--tokens", "512", "--json"], 96_721_698_816, id="flops"),
        pytest.param(["intensity", "--batch", "8", "--json"], 8, id="intensity"),
        pytest.param(["compute-bound", "--bandwidth", "2", "--peak", "312", "--json"], 156, id="compute-bound"),
        pytest.param(["decode-bound", "--params", "7e9", "--bandwidth", "2", "--json"], 2e12 / 14e9, id="decode-bound"),
        pytest.param(["attention-memory", "--model", "bert-large", "--tokens", "512", "--json"], 8_388_608, id="attn"),
        pytest.param(
            ["kv-cache", "--layers", "32", "--d-model", "4096", "--tokens", "4096", "--json"],
            2 * 32 * 4096 * 4096 * 2,
            id="kv-sizes",
        ),
        pytest.param(["pass-at-k", "--n", "20", "--c", "3", "--k", "5", "--json"], 1 - 6188 / 15504, id="pass-at-k"),
    ],
)
def test_cli_commands(args: list[str], expected: float) -> None:
    result = CliRunner().invoke(numbers, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["value"] == pytest.approx(expected)


def test_cli_presets_and_a_users_mistake(monkeypatch: pytest.MonkeyPatch) -> None:
    listing = CliRunner().invoke(numbers, ["presets"])
    assert listing.exit_code == 0 and "gpt3-175b" in listing.output and "(example)" in listing.output
    monkeypatch.delenv("PYTEST_CURRENT_TEST")  # the one-line message a user sees, not the debug traceback
    wrong = CliRunner().invoke(numbers, ["weights", "--model", "gpt-5"])
    assert wrong.exit_code == 1 and "No preset 'gpt-5'" in wrong.output


def test_registered_on_the_tutor_command() -> None:
    from tutor.cli import main

    result = CliRunner().invoke(main, ["numbers", "intensity", "--batch", "4", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["value"] == 4


def test_the_readme_reports_the_eval() -> None:
    assert "eval/numbers.jsonl" in Path(REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("previous", "question", "pronoun", "function"),
    [
        ("What is the KV cache?", "How much memory does it take for GPT-2 at 1024 tokens?", True, "kv_cache_bytes"),
        ("KV cache 为什么能加速推理？", "它在 GPT-2 上 1024 个词时占多少显存？", True, "kv_cache_bytes"),
        ("", "How much memory does it take for GPT-2 at 1024 tokens?", True, "weight_bytes"),
        # a follow-up that names its own quantity keeps it
        (
            "How much memory do GPT-2's weights take?",
            "what about the KV cache of GPT-2 at 1024 tokens?",
            False,
            "kv_cache_bytes",
        ),
        ("What is the KV cache?", "how does it work?", True, None),
    ],
)
def test_a_follow_up_asks_about_the_previous_questions_quantity(
    previous: str, question: str, pronoun: bool, function: str | None
) -> None:
    found = answer_quantity(question, "auto", "intermediate", previous, pronoun)
    assert (found.function if found else None) == function


@pytest.mark.parametrize(
    ("question", "tokens"),
    [
        ("Mistral-7B（32 层、8 个 KV 头、head_dim=128、bf16）推理 128k 长度的文本，KV cache 要占多少内存？", 131072),
        ("32 层、d_model 4096、fp16 的模型，8k 长的序列 KV cache 多大？", 8192),
        ("32 层、d_model 4096、fp16，上下文长度 2048 时 KV cache 多大？", 2048),
    ],
)
def test_a_chinese_context_length_is_read_however_it_is_written(question: str, tokens: int) -> None:
    answer = answer_quantity(question, "zh", "beginner")
    assert answer is not None and answer.function == "kv_cache_bytes", answer and answer.text
    assert f"{tokens:,} 个 token" in answer.text


@pytest.mark.parametrize(
    ("question", "sizes"),
    [
        ("某 32B 模型（64 层、8 个 KV 头）每个 token 的 KV cache 多大？我按 head_dim = 5120/64 = 80 算的", (64, 8, 80)),
        ("per-token KV cache with 32 layers, 4 kv heads and head_dim = 4096 / 32 = 128?", (32, 4, 128)),
        ("KV cache per token for 32 layers, 8 kv heads, head_dim 128 in fp16?", (32, 8, 128)),
    ],
)
def test_a_size_given_with_its_working_is_the_result(question: str, sizes: tuple[int, int, int]) -> None:
    found = parse(question)
    assert (found.layers, found.kv_heads, found.head_dim) == sizes
