"""What a quantitative question asks and which sizes it states, in English or Chinese.

Pure functions over the question text: which calculation is asked for (KV cache, FLOPs, …), which preset or
other model is named, and every size written in it ("2,048 tokens", "4k 上下文", "7B", "1750 亿参数",
"2 TB/s", "312 TFLOPS", "batch 8", "32 层", "8 个 KV 头"). Nothing here computes or decides the answer.

The number and unit rules here (k, B, 亿, TB/s, TFLOPS) are specific to sizes of models and devices; they
belong with tutor.lang's numbers once that package takes quantities.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from tutor.lang.numbers import number_spans
from tutor.numbers.presets import EXAMPLE_DEVICES, PRESETS, Device, Preset, get_preset

NUM = r"(\d{1,3}(?:,\d{3})+(?![\d.])|\d+(?:\.\d+)?)"
_A = r"(?<![a-z0-9_])"  # ASCII word edges that also hold beside Chinese characters ("BERT的")
_Z = r"(?![a-z0-9_])"
_SEP = r"\s*(?:=|:|is|of|at|为|是|达到|取|设为)?\s*"

# First match wins: the measure asked for (FLOPs, FLOPs per byte) before the thing measured (KV cache, weights).
FUNCTIONS = (
    "pass_at_k",
    "compute_bound_batch",
    "decode_intensity",
    "flops",
    "attention_scores_bytes",
    "kv_cache_bytes",
    "prefill_seconds",
    "decode_tokens_per_second",
    "decode_bytes_per_token",
    "weight_bytes",
    "param_count",
)

_READ = r"(?:" + _A + r"(?:bytes|traffic|moved|read)" + _Z + r"|字节|读取|读|搬运|访存量)"
_PER_TOKEN = (
    r"(?:per (?:generated |new |output )?token|每个\s*token|每生成一个|each (?:new )?token|every token|"
    r"per step|每一步|每步)"
)
_CUES: dict[str, re.Pattern[str]] = {
    "pass_at_k": re.compile(r"pass\s*@\s*(?:\d|k)"),
    "attention_scores_bytes": re.compile(
        r"attention[- ](?:score|matri|map|weight matri|probabilit)|scores? matri|softmax matri|qk\^?t|"
        r"注意力(?:分数|得分|矩阵|权重矩阵|图)|分数矩阵|得分矩阵|flash\s*-?attention|tiling|tiled|分块"
    ),
    "compute_bound_batch": re.compile(
        r"compute[- ]?(?:bound|limited)|计算(?:瓶颈|受限|密集型)|算力(?:瓶颈|受限)|ridge|脊点|"
        r"(?:batch|批).*(?:memory[- ]bound|访存瓶颈|内存瓶颈|带宽瓶颈)|"
        r"(?:memory[- ]bound|访存瓶颈|内存瓶颈).*(?:batch|批)"
    ),
    "decode_intensity": re.compile(
        r"arithmetic intensity|operational intensity|compute intensity|flops? per byte|flops?\s*/\s*byte|"
        r"算术强度|计算强度|运算强度|每字节"
    ),
    "kv_cache_bytes": re.compile(
        r"kv[- ]?cache|k/v cache|key[- ]value cache|kv\s*缓存|键值缓存|" + _A + r"cache" + _Z + "|缓存"
    ),
    "prefill_seconds": re.compile(
        r"(?:prefill|pre-fill|预填充|time to first token|ttft|首\s*个?\s*token|第一个\s*token|prompt processing)"
        r".*(?:time|long|latency|second|ms\b|多久|多长|时间|耗时|延迟|秒)|"
        r"(?:time|long|latency|多久|多长|时间|耗时|延迟).*(?:prefill|pre-fill|预填充|ttft|首\s*个?\s*token|第一个\s*token)"
    ),
    "decode_tokens_per_second": re.compile(
        r"tokens?\s*(?:per|/|a|each)\s*(?:second|sec|s)" + _Z + r"|tok/s|每秒[^。？?]{0,10}(?:token|词元)|"
        r"how fast|多快|解码速度|生成速度|(?:decod\w*|generation|inference) speed|speed (?:bound|limit)|"
        r"latency per token|per[- ]token latency|time per (?:output )?token|tpot|"
        r"每个\s*token\s*(?:的)?(?:延迟|时间|耗时)"
    ),
    "decode_bytes_per_token": re.compile(f"{_READ}[^。？?]{{0,30}}{_PER_TOKEN}|{_PER_TOKEN}[^。？?]{{0,30}}{_READ}"),
    "flops": re.compile(
        _A + r"(?:[kmgtp]|giga|tera|peta)?flops?" + _Z + r"|floating[- ]point operations|浮点(?:运算|操作)|计算量|"
        r"运算量|乘加|multiply-adds?"
    ),
    "weight_bytes": re.compile(
        r"memory|vram|footprint|"
        + _A
        + r"ram"
        + _Z
        + r"|显存|内存|storage|存储|disk|磁盘|占用|占多少|"
        + _A
        + r"load|加载|"
        + _A
        + r"gi?b"
        + _Z
        + r"|bytes|字节"
    ),
    "param_count": re.compile(r"parameters|params|参数量|参数数量|参数"),
}
_WEIGHT_SUBJECT = re.compile(r"weights?|权重|model|模型|parameters|params|参数|gpt|bert|transformer")
_SIZE_ASK = re.compile(r"how big|how large|多大|size")
_NOT_BYTES = re.compile(r"byte[- ]level|bytes?-level|on bytes|字节级|字节对|字节上")
# A part of the model ("the embedding matrix"), or what fine-tuning adds: not the total the calculator counts.
_PARAM_PART = re.compile(r"embedding|嵌入|new parameters|新增|fine-tun|微调|per layer|每层|each layer|每一层")
# Questions that also ask for facts the Q&A bank holds ("how many layers"), or which sizes were trained.
_FACT_ASK = re.compile(r"how many layers|多少层|几层|哪几个|which sizes|what sizes|几个规模|几种规模")
_YES_NO_WHY = re.compile(r"是不是|是否|吗[？?]?\s*$|" + _A + r"(?:why|is it|are they|does it)" + _Z + r"|为什么|为何")
_WHY_CLAUSE = re.compile(
    r"为什么[^？?。]*[？?。]|why[^?.]*[?.]"
)  # "为什么…？7B 模型…多少字节？": the why is answered apart
_PER_TOKEN_ONLY = re.compile(r"per token|每个\s*(?:token|词元)|each token|for one token|一个\s*(?:token|词元)")
_PARAM_ASK = re.compile(r"how many|多少|count|number of|total|计算|数一下|有几|几个")
_QUANT = re.compile(
    r"how (?:much|many|big|large|fast|long|quickly)|what (?:batch|is the (?:size|memory|number|arithmetic))|"
    r"which batch|多少|多大|(?<!差不)多快|多久|多长|几个|估算|估计|计算一下|算一下|算算|calculate|compute the|estimate|"
    r"size of|tokens?/s|per second|每秒|flops?|intensity|强度|ttft|怎么算|如何(?:计算|估算)|"
    r"how (?:do|would|can|to) (?:i |you |we )?(?:compute|calculate|estimate|work out)"
)
# "how does BPE on bytes work … a base vocab of 256": a question about how something works, or how two differ, that
# happens to state a size asks for an explanation, not a calculation with that size.
_HOW_IT_WORKS = re.compile(
    r"how (?:does|do|is|are|did)\b(?![^?.]*\b(?:much|many|big|large|long|fast)\b)|difference between|different from|"
    r"differ\b|怎么(?!算)|如何(?!计算|估算)|原理|区别|不同|差异"
)
_DECODE = re.compile(
    r"per (?:generated |new |output )?token|每个\s*(?:token|词元)|每生成|each (?:new )?token|one (?:new )?token|"
    r"decod|解码|一个\s*token|next token|下一个\s*token"
)
_FORWARD = re.compile(r"forward|prefill|前向|预填充|prompt|提示|一次|one pass|a pass|encod|编码|process")

_OTHER_MODELS = re.compile(
    _A + r"(?:llama|qwen|mistral|mixtral|gpt-?4o?|gpt-?3\.5|chatgpt|chatglm|glm-?\d|baichuan|gemma|palm|t5|roberta|"
    r"bloom|falcon|deepseek|claude|gemini|internlm|vicuna|alpaca|megatron|opt-\d)[-\w.]*"
)
_DEVICE_PEAK = re.compile(NUM + r"\s*(p|t|g|peta|tera|giga)\s*-?\s*flop(?:s|/s)?" + _Z)
_FAMILY: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            _A + r"gpt-?3(?![.\d])\s*[-_ ]?\s*(small|medium|large|xl|125m|350m|760m|1\.3b|2\.7b|6\.7b|13b|175b)?" + _Z
        ),
        "gpt3",
    ),
    (
        re.compile(
            _A
            + r"gpt-?2(?![.\d])\s*[-_ ]?\s*(small|medium|large|xl|117m|345m|762m|1542m|124m|355m|774m|1558m|1\.5b)?"
            + _Z
        ),
        "gpt2",
    ),
    (
        re.compile(
            _A + r"(?:gpt-?1(?!\d)|openai gpt(?![-\s]?\d)|original gpt(?![-\s]?\d)|原始\s*gpt|初代\s*gpt|第一代\s*gpt)"
        ),
        "gpt1",
    ),
    (re.compile(_A + r"bert\s*[-_ ]?\s*(base|large|基础版|大模型)?" + _Z), "bert"),
    (
        re.compile(_A + r"transformer\s*[-_ ]?\s*\(?(base|big)\)?" + _Z + r"|" + _A + r"(base|big) transformer"),
        "transformer",
    ),
    (re.compile(r"(?:original|原始|vaswani[^.?？。]{0,20})\s*transformer"), "transformer"),
]
_FAMILY_SIZES = {
    "gpt3": {"small": "gpt3-small", "125m": "gpt3-small", "medium": "gpt3-medium", "350m": "gpt3-medium",
             "large": "gpt3-large", "760m": "gpt3-large", "xl": "gpt3-xl", "1.3b": "gpt3-xl", "2.7b": "gpt3-2.7b",
             "6.7b": "gpt3-6.7b", "13b": "gpt3-13b", "175b": "gpt3-175b", "": "gpt3-175b"},
    "gpt2": {"small": "gpt2-small", "117m": "gpt2-small", "124m": "gpt2-small", "medium": "gpt2-medium",
             "345m": "gpt2-medium", "355m": "gpt2-medium", "large": "gpt2-large", "762m": "gpt2-large",
             "774m": "gpt2-large", "xl": "gpt2-xl", "1542m": "gpt2-xl", "1558m": "gpt2-xl", "1.5b": "gpt2-xl",
             "": "gpt2-xl"},
    "bert": {"base": "bert-base", "基础版": "bert-base", "large": "bert-large", "大模型": "bert-large",
             "": "bert-base"},
    "transformer": {"base": "transformer-base", "big": "transformer-big", "": "transformer-base"},
    "gpt1": {"": "gpt1"},
}  # fmt: skip
_NAMED_DEFAULT = {"gpt3", "gpt2", "gpt1"}  # the papers call the default row by the bare name ("GPT-3", "GPT-2")


@dataclass
class Found:
    """What a question names and states; None where it says nothing."""

    function: str | None = None
    quantitative: bool = False
    preset: Preset | None = None
    preset_guessed: bool = False  # "BERT" alone: BERT-base taken
    presets_named: int = 0
    fact_too: bool = False  # also asks a fact the Q&A bank answers ("how many layers")
    yes_no_or_why: bool = False  # "is it 8 times the compute?", "why …" with no quantity asked
    how_it_works: bool = False  # "how does byte-level BPE work?" (a size it states is not asked about)
    per_token: bool = False  # "per token" with no context: the cache of one token
    other_model: str | None = None
    decode: bool = False  # FLOPs per generated token rather than a forward pass
    params: float | None = None
    tokens: int | None = None
    batch: int | None = None
    precision: str | None = None
    bandwidth: float | None = None  # bytes/s
    peak_flops: float | None = None  # FLOP/s
    device: Device | None = None
    layers: int | None = None
    d_model: int | None = None
    d_ff: int | None = None
    vocab: int | None = None
    heads: int | None = None
    kv_heads: int | None = None
    head_dim: int | None = None
    samples: int | None = None  # pass@k: n samples drawn per problem
    correct: int | None = None  # pass@k: c of them pass the tests
    k: int | None = None
    stated: list[str] = field(default_factory=list)  # names of the sizes the question gave

    @property
    def concrete(self) -> bool:
        """Names a model, a device or any size: something to compute with."""
        return bool(self.preset or self.other_model or self.device or self.stated)


_ZH_DIGITS = set("零一二两三四五六七八九十百千万亿")


# A learner's own working: "5120/64 = 80", "2 x 64 = 128". The size it states is the result, not the first operand.
_WORKING = re.compile(r"\d[\d,.]*(?:\s*[/x*]\s*\d[\d,.]*)+\s*=\s*(?P<result>\d[\d,.]*)")


def normalise(question: str) -> str:
    """Full-width digits and punctuation to ASCII (NFKC), lower case, dashes tidied, and Chinese numerals as digits
    ("两千个 token" → "2000个 token", read by tutor.lang's number rules)."""
    text = unicodedata.normalize("NFKC", question).lower()
    text = text.replace("×", "x").replace("−", "-").replace("–", "-")
    for value, start, end in reversed(number_spans(text)):
        if value.is_integer() and value >= 1 and any(ch in _ZH_DIGITS for ch in text[start:end]):
            text = text[:start] + str(int(value)) + text[end:]
    return text


def _number(raw: str) -> float:
    return float(raw.replace(",", ""))


def _first(patterns: list[str], text: str) -> tuple[re.Match[str], str] | None:
    for pattern in patterns:
        match = re.search(pattern, text)
        if match:
            return match, pattern
    return None


def _int_size(text: str, patterns: list[str], scale_k: int = 1000) -> tuple[int | None, str]:
    """The first number a pattern catches (its group 1, with an optional 'k' in group 2); the text without it."""
    hit = _first(patterns, text)
    if hit is None:
        return None, text
    match, _ = hit
    value = _number(match.group(1))
    if match.lastindex and match.lastindex >= 2 and (match.group(2) or "").strip() == "k":
        value *= scale_k
    return int(round(value)), text[: match.start()] + " " + text[match.end() :]


def find_presets(text: str) -> tuple[list[tuple[Preset, bool]], str]:
    """Presets named in the text, each with whether its size was guessed; the text with the names removed."""
    found: list[tuple[Preset, bool]] = []
    for preset in PRESETS:  # explicit aliases first ("gpt-2 xl", "bert-large")
        for alias in sorted(preset.aliases, key=len, reverse=True):
            named = _A + re.escape(alias) + _Z
            if re.search(named, text):
                found.append((preset, False))
                text = re.sub(named, " ", text)
                break
    for pattern, family in _FAMILY:
        for match in list(pattern.finditer(text)):
            size = next((g for g in match.groups() if g), "") if match.groups() else ""
            preset = get_preset(_FAMILY_SIZES[family].get(size.strip(), _FAMILY_SIZES[family][""]))
            if family == "gpt2" and not size and re.search(r"smallest|最小", text):
                preset = get_preset("gpt2-small")
            guessed = not size and family not in _NAMED_DEFAULT and preset.family_default
            found.append((preset, guessed))
        text = pattern.sub(" ", text)
    unique: dict[str, tuple[Preset, bool]] = {}
    for preset, guessed in found:
        if preset.id not in unique or not guessed:
            unique[preset.id] = (preset, guessed)
    return list(unique.values()), text


def _params(text: str) -> tuple[float | None, str]:
    patterns = [
        (NUM + r"\s*(?:b|bn|billion)" + _Z + r"(?!\s*/)", 1e9),
        (NUM + r"\s*(?:m|million)" + _Z + r"(?!\s*/)", 1e6),
        (NUM + r"\s*亿", 1e8),
        (NUM + r"\s*万\s*(?:个)?\s*参数", 1e4),
        (NUM + r"\s*(?:个)?\s*参数", 1.0),  # "7000000000 个参数" (also 七十亿参数, once normalised)
    ]
    for pattern, scale in patterns:
        match = re.search(pattern, text)
        if match:
            return _number(match.group(1)) * scale, text[: match.start()] + " " + text[match.end() :]
    return None, text


def _device_numbers(found: Found, text: str) -> str:
    bandwidth = re.search(NUM + r"\s*(tb|gb|tib|gib)\s*(?:/\s*s|ps|每秒|/秒)" + _Z, text)
    if bandwidth:
        scale = {"tb": 1e12, "gb": 1e9, "tib": 2.0**40, "gib": 2.0**30}[bandwidth.group(2)]
        found.bandwidth = _number(bandwidth.group(1)) * scale
        found.stated.append("bandwidth")
        text = text[: bandwidth.start()] + " " + text[bandwidth.end() :]
    peak = _DEVICE_PEAK.search(text)
    if peak:
        scale = {"p": 1e15, "peta": 1e15, "t": 1e12, "tera": 1e12, "g": 1e9, "giga": 1e9}[peak.group(2)]
        found.peak_flops = _number(peak.group(1)) * scale
        found.stated.append("peak_flops")
        text = text[: peak.start()] + " " + text[peak.end() :]
    for device in EXAMPLE_DEVICES:
        key = device.name.split()[0].lower()  # "a100", "h100"
        if re.search(_A + key + _Z, text):
            found.device = device
            break
    return text


def _precision(text: str) -> str | None:
    table = [
        (r"fp32|float32|单精度|32[- ]?bit float", "fp32"),
        (r"bf16|bfloat16", "bf16"),
        (r"fp16|float16|half[- ]precision|半精度", "fp16"),
        (r"int8|8[- ]?bits?" + _Z + r"|8\s*位|8\s*比特|w8a16", "int8"),
        (r"int4|4[- ]?bits?" + _Z + r"|4\s*位|4\s*比特|w4a16", "int4"),
    ]
    for pattern, name in table:
        if re.search(_A + r"(?:" + pattern + r")", text):
            return name
    return None


_PASS_K = [r"pass\s*@\s*(\d+)", _A + r"k\s*(?:=|is|为|取|等于)\s*" + NUM]
_C_OF_N = [  # "3 out of 20 pass", "3/20 correct" (c first); "20 个里有 3 个" (n first)
    (
        NUM + r"\s*(?:out of|of(?: the)?|/)\s*" + NUM + r"\s*(?:samples?\s*)?(?:pass|are correct|were correct|correct)",
        "cn",
    ),
    (
        NUM
        + r"\s*(?:个|次|份|条)?\s*(?:样本|候选|答案|程序|代码|结果|采样)?\s*(?:里|中|当中)(?:有|共有)?\s*"
        + NUM
        + r"\s*(?:个|次|份|条)",
        "nc",
    ),
]
_SAMPLES = [
    _A + r"n\s*(?:=|is|为|取|等于)\s*" + NUM,
    NUM + r"\s*(?:samples|completions|generations|candidates|attempts|tries|solutions|programs|outputs|times)" + _Z,
    r"(?:sampled?|generated?|drew|draw|run|ran|采样了?|生成了?|跑了?)\s*" + NUM,
    NUM + r"\s*(?:个|次|份|条)\s*(?:样本|采样|候选|生成|答案|程序|代码|解|输出)",
]
_CORRECT = [
    _A + r"c\s*(?:=|is|为|取|等于)\s*" + NUM,
    NUM + r"\s*(?:of them\s*)?(?:are |were )?(?:correct|pass(?:ed|es)?|passing|succeed(?:ed)?|right)" + _Z,
    NUM + r"\s*(?:个|次|份|条)\s*(?:是)?(?:正确|通过|对|能通过|跑通)",
    r"(?:通过了?|正确的?(?:有)?|跑通了?|对了)\s*" + NUM + r"\s*(?:个|次|份|条)",
]


def _pass_sizes(found: Found, text: str) -> None:
    """pass@k's n (samples per problem), c (those that pass) and k, as the learner states them."""
    if len(re.findall(_PASS_K[0], text)) > 1:
        return  # "pass@1, pass@2 and pass@5?": a worked example, which the Q&A bank walks through
    found.k, text = _int_size(text, _PASS_K)
    for pattern, order in _C_OF_N:
        match = re.search(pattern, text)
        if match:
            first, second = int(_number(match.group(1))), int(_number(match.group(2)))
            found.correct, found.samples = (first, second) if order == "cn" else (second, first)
            text = text[: match.start()] + " " + text[match.end() :]
            break
    if found.samples is None:
        found.samples, text = _int_size(text, _SAMPLES)
    if found.correct is None:
        found.correct, text = _int_size(text, _CORRECT)
    found.stated = [name for name in ("samples", "correct", "k") if getattr(found, name) is not None]


def parse(question: str) -> Found:
    """Everything a question states that the calculator can use."""
    text = normalise(question)
    found = Found()
    asked = _DEVICE_PEAK.sub(" ", text)  # "312 TFLOPS" describes a device; it does not ask for FLOPs
    asked = _NOT_BYTES.sub(" ", asked)  # "byte-level BPE" is a tokenizer, not a size
    for name in FUNCTIONS:
        if _CUES[name].search(asked):
            if name == "weight_bytes" and not _WEIGHT_SUBJECT.search(text):
                continue
            if name == "param_count" and (not _PARAM_ASK.search(text) or _PARAM_PART.search(text)):
                continue
            found.function = name
            break
    if found.function is None and _SIZE_ASK.search(text) and _precision(text) and _WEIGHT_SUBJECT.search(text):
        found.function = "weight_bytes"  # "how big is GPT-2 XL in int8?"
    found.quantitative = bool(_QUANT.search(text))
    found.fact_too = bool(_FACT_ASK.search(text))
    found.yes_no_or_why = bool(_YES_NO_WHY.search(text)) and not _QUANT.search(_WHY_CLAUSE.sub(" ", text))
    found.how_it_works = bool(_HOW_IT_WORKS.search(text))
    found.per_token = bool(_PER_TOKEN_ONLY.search(text))
    found.decode = bool(_DECODE.search(text)) and not re.search(r"forward pass|prefill|预填充|前向", text)
    if found.function == "pass_at_k":
        _pass_sizes(found, text)  # a metric over samples: no model sizes to read
        return found

    presets, rest = find_presets(text)
    found.presets_named = len(presets)
    if presets:
        found.preset, found.preset_guessed = presets[0]
    other = _OTHER_MODELS.search(rest)
    if other:
        found.other_model = question_span(question, text, other.group(0))
        inside = re.search(NUM + r"\s*b" + _Z, other.group(0))
        if inside:
            found.params = _number(inside.group(1)) * 1e9
            found.stated.append("params")
        rest = rest[: other.start()] + " " + rest[other.end() :]

    rest = _device_numbers(found, rest)
    rest = _WORKING.sub(lambda m: m.group("result"), rest)  # "head_dim = 5120/64 = 80" states 80
    found.precision = _precision(rest)
    rest = re.sub(r"fp32|fp16|bf16|int8|int4|float32|float16|bfloat16", " ", rest)

    kv_patterns = [
        NUM + r"\s*(?:个\s*)?(?:kv|key[- ]value|key/value|k/v)\s*(?:heads?|头)",
        r"(?:kv|key[- ]value)\s*heads?" + _SEP + NUM,
        r"kv\s*头(?:数)?" + _SEP + NUM,
        r"(?:gqa|grouped[- ]query(?: attention)?|分组查询(?:注意力)?)[^0-9。？?]{0,24}" + NUM,
        NUM + r"\s*(?:kv )?(?:groups|个组|组)",
    ]
    found.kv_heads, rest = _int_size(rest, kv_patterns)
    mqa_named = False
    if found.kv_heads is None and re.search(_A + r"mqa" + _Z + r"|multi-query|multi query|多查询", rest):
        found.kv_heads = 1
        mqa_named = True
    both = re.search(NUM + r"\s*(?:attention\s*)?heads? of\s*" + NUM + r"\s*(?:dimensions|dims|-dim)?", rest)
    if both:  # "96 heads of 128"
        found.heads, found.head_dim = int(_number(both.group(1))), int(_number(both.group(2)))
        rest = rest[: both.start()] + " " + rest[both.end() :]
    head_dim_patterns = [
        r"(?:head[_ ]?dim(?:ension)?|head size|d_head|dhead|d_k|per-head dim(?:ension)?|头维度|每个头的维度)"
        + _SEP
        + NUM,
        r"heads? of\s*" + NUM + r"\s*(?:dimensions|dims|-dim)?",
        NUM + r"\s*-?\s*dim(?:ensional)?\s*heads",
        r"每个头\s*" + NUM + r"\s*维",
    ]
    if found.head_dim is None:
        found.head_dim, rest = _int_size(rest, head_dim_patterns)
    head_patterns = [
        NUM + r"\s*(?:个\s*)?(?:attention\s*|注意力\s*)?(?:heads?|头)" + _Z,
        r"(?:heads|头数|注意力头数|n_heads?|num_heads)" + _SEP + NUM,
    ]
    if found.heads is None:
        found.heads, rest = _int_size(rest, head_patterns)
    layer_patterns = [
        NUM + r"\s*(?:-\s*)?(?:layers?|层)(?!归一化|norm)",
        r"(?:layers|层数|n_layers?|num_layers|depth)" + _SEP + NUM,
    ]
    found.layers, rest = _int_size(rest, layer_patterns)
    d_ff_patterns = [
        r"(?:d_ff|dff|d_{ff}|ffn(?: width| size| dim(?:ension)?| inner)?|"
        r"feed[- ]forward(?: width| size| dim(?:ension)?)?|intermediate size|inner size|"
        r"前馈(?:层)?(?:维度|宽度)?|ffn\s*(?:维度|宽度))" + _SEP + NUM,
    ]
    found.d_ff, rest = _int_size(rest, d_ff_patterns)
    d_model_patterns = [
        _A
        + r"(?:d_model|dmodel|d_{model}|hidden[_ ]size|hidden dim(?:ension)?|hidden|model dim(?:ension)?|model width|"
        r"width|embedding (?:size|dim(?:ension)?)|隐藏(?:层)?(?:维度|大小)|隐层维度|模型维度|模型宽度)" + _SEP + NUM,
        NUM + r"\s*-?\s*dim(?:ensional)?\s*(?:hidden|model|states?|embeddings?)",
        NUM + r"\s*维(?:的)?\s*(?:隐藏|隐层|模型)",
    ]
    found.d_model, rest = _int_size(rest, d_model_patterns)
    vocab_patterns = [r"(?:vocab(?:ulary)?(?: size)?|词表(?:大小)?|词汇表(?:大小)?)" + _SEP + NUM + r"\s*(k)?"]
    found.vocab, rest = _int_size(rest, vocab_patterns)
    batch_patterns = [
        r"batch(?:[- ]?size)?" + _SEP + NUM,
        r"(?:批大小|批量大小|批次大小|批量|批次)" + _SEP + NUM,
        NUM + r"\s*(?:concurrent |parallel )?(?:sequences|requests|users|prompts)" + _Z,
        NUM + r"\s*(?:个|条|路)\s*(?:并发)?\s*(?:请求|序列|用户|并发)",
    ]
    found.batch, rest = _int_size(rest, batch_patterns)
    token_patterns = [
        NUM + r"\s*(k)?\s*-?\s*(?:tokens?|个\s*tokens?|个词元|词元|ctx)" + _Z,
        NUM + r"\s*(k)?\s*(?:-\s*)?(?:context|上下文|长度|长的?(?:文本|序列|输入))",  # "128k 长度的文本"
        r"(?:context(?: length| window| size)?|sequence length|seq(?:uence)? len|上下文(?:长度)?|序列长度|长度)"
        + _SEP
        + NUM
        + r"\s*(k)?",
        r"(?:at|of|在|为)\s*" + NUM + r"\s*(k)" + _Z,
    ]
    found.tokens, rest = _int_size(rest, token_patterns, scale_k=1024)
    if found.params is None:
        found.params, rest = _params(rest)
        if found.params is not None:
            found.stated.append("params")
    for name in ("kv_heads", "head_dim", "heads", "layers", "d_ff", "d_model", "vocab", "batch", "tokens"):
        if getattr(found, name) is not None and not (name == "kv_heads" and mqa_named):
            found.stated.append(name)
    return found


def question_span(question: str, lowered: str, span: str) -> str:
    """The model name as the learner wrote it (case kept) for the answer to repeat."""
    normal = unicodedata.normalize("NFKC", question)
    start = lowered.find(span)
    return normal[start : start + len(span)].strip() if start >= 0 else span
