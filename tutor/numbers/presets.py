"""Model shapes from the readings' own tables, and example devices.

Every preset is a row of a table in a reading, cited to it; sizes a paper leaves out stay ``None`` and a
formula that needs them says so. Where a paper's stated count and the count its sizes give disagree, the
preset says why in ``note`` (the tests check every count against the table).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tutor.numbers import sources as src
from tutor.numbers.errors import NumbersError
from tutor.numbers.formulas import param_count
from tutor.numbers.shape import Shape
from tutor.qa import Pointer

SIZES = ("params", "layers", "d_model", "heads", "d_ff", "vocab", "context")


@dataclass(frozen=True)
class Preset:
    """One row of a reading's table: the model's shape, the parameter count the paper prints, and where each
    size is stated (``where["params"]`` is the table itself)."""

    id: str
    name: str
    shape: Shape
    table_params: int  # as printed in the table
    table: str  # "Table 3", "§3", …
    where: dict[str, Pointer]
    aliases: tuple[str, ...] = ()
    note: str = ""  # a known disagreement between the printed count and the sizes, with its evidence
    note_zh: str = ""
    family_default: bool = False  # the row a bare family name means ("BERT" → BERT-base)
    provenance: dict[str, str] = field(default_factory=dict)  # sizes the table does not print, and why they hold

    @property
    def table_source(self) -> Pointer:
        return self.where["params"]

    def sources_for(self, sizes: tuple[str, ...]) -> list[Pointer]:
        """Where the given sizes are stated, the table first, without repeats."""
        pointers: list[Pointer] = []
        for size in ("params", *sizes):
            pointer = self.where.get(size)
            if pointer is not None and pointer not in pointers and (size != "params" or size in sizes):
                pointers.append(pointer)
        return pointers


def _where(table: Pointer, **others: Pointer) -> dict[str, Pointer]:
    return {size: others.get(size, table) for size in SIZES}


_TRANSFORMER_NOTE = (
    "Table 3 prints 65M. The sizes it gives, with the paper's 'about 37000' shared tokens, count 63.0M (3 % less): "
    "the table's own rows (C) imply about 21M of embedding parameters, i.e. a vocabulary nearer 41,000, which the "
    "paper does not state."
)
_TRANSFORMER_NOTE_ZH = (
    "表 3 印的是 65M。按论文给出的尺寸和“约 37000 个”共享词元计算得 63.0M（少 3%）；表中 (C) 各行本身隐含约 21M 的"
    "嵌入参数，即词表更接近 41,000，但论文没有写明。"
)
_GPT2_NOTE = (
    "Table 2 prints {table}; the sizes count {count}. OpenAI's GPT-2 repository later renamed this model {fixed}: "
    "'our original parameter counts were wrong due to an error (in our previous blog posts and paper)'."
)
_GPT2_NOTE_ZH = (
    "表 2 印的是 {table}，按尺寸计算得 {count}。OpenAI 的 GPT-2 代码库后来把它改称 {fixed}，"
    "并说明论文中的参数量统计有误。"
)

_T_WHERE = _where(src.TRANSFORMER_TABLE, vocab=src.WMT_VOCAB)
_BERT_PROVENANCE = {"d_ff": "4H (§3, footnote 3)", "vocab": "30,000 WordPieces (§3)", "context": "≤ 512 tokens (A.2)"}
_BERT_WHERE = _where(src.BERT_SIZES, vocab=src.BERT_VOCAB, context=src.BERT_LENGTH)


def _gpt2(pid: str, name: str, layers: int, d: int, table: int, fixed: str, aliases: tuple[str, ...]) -> Preset:
    shape = Shape(layers=layers, d_model=d, d_ff=4 * d, vocab=50257, context=1024, final_norm=True)
    count = int(param_count(shape).value)
    note = note_zh = ""
    if abs(count - table) / table > 0.02:
        values = {"table": f"{table / 1e6:.0f}M", "count": f"{count / 1e6:.1f}M", "fixed": fixed}
        note, note_zh = _GPT2_NOTE.format(**values), _GPT2_NOTE_ZH.format(**values)
    return Preset(
        pid, name, shape, table, "Table 2", _where(src.GPT2_SIZES, d_ff=src.GPT1_SIZES), aliases, note, note_zh,
        family_default=pid == "gpt2-xl",
        provenance={"d_ff": "4 · d_model, as in GPT-1 §4.1 (GPT-2 §2.3: 'largely follows' GPT)",
                    "heads": "not given in the paper; h · d_head = d_model does not depend on it"},
    )  # fmt: skip


_GPT3_XL_NOTE = (
    "Table 2.1 prints 24 heads of 128 (3,072 wide) for a 2,048-wide model. The printed 1.3B fits projections "
    "d_model wide (1.3B) and not 3,072 wide (1.5B), so the calculator uses d_model for the attention and KV width."
)
_GPT3_XL_NOTE_ZH = (
    "表 2.1 给 XL 印的是 24 个 128 维的头（共 3,072 维），而 d_model 是 2,048。印出的 1.3B 与宽度为 d_model 的投影相符"
    "（1.3B），与 3,072 宽不符（1.5B），所以计算器按 d_model 计注意力与 KV 的宽度。"
)


def _gpt3(
    pid: str, name: str, params: int, layers: int, d: int, heads: int, d_head: int, aliases: tuple[str, ...]
) -> Preset:  # noqa: E501 -- one row of Table 2.1
    consistent = heads * d_head == d or pid == "gpt3-13b"  # 13B: 40 × 128 = 5,120 beside d_model 5,140, within 0.4 %
    shape = Shape(
        layers=layers,
        d_model=d,
        d_ff=4 * d,
        vocab=50257,
        heads=heads if consistent else None,
        head_dim=d_head if consistent else None,
        context=2048,
        final_norm=True,
    )
    return Preset(
        pid, name, shape, params, "Table 2.1", _where(src.GPT3_SIZES, vocab=src.GPT2_SIZES), aliases,
        note="" if consistent else _GPT3_XL_NOTE, note_zh="" if consistent else _GPT3_XL_NOTE_ZH,
        family_default=pid == "gpt3-175b",
        provenance={"vocab": "GPT-2's 50,257 tokens (GPT-3 uses GPT-2's model and tokenizer, §2.1)",
               "d_ff": "4 · d_model (§2.1)", "context": "n_ctx = 2,048 tokens (§2.1)",
               "heads": f"{heads} heads of {d_head} (Table 2.1)"},
    )  # fmt: skip


def _presets() -> tuple[Preset, ...]:
    return (
        Preset(
            "transformer-base", "Transformer (base)",
            Shape(layers=6, d_model=512, d_ff=2048, heads=8, vocab=37000, kind="encoder-decoder",
                  learned_positions=False),
            65_000_000, "Table 3", _T_WHERE,
            ("transformer base", "base transformer", "transformer-base", "transformer (base)", "base model",
             "transformer 基础版", "transformer 基础模型", "transformer base 模型"),
            _TRANSFORMER_NOTE, _TRANSFORMER_NOTE_ZH, family_default=True,
            provenance={"vocab": "'about 37000' shared source-target BPE tokens (§5.1, English-German)"},
        ),
        Preset(
            "transformer-big", "Transformer (big)",
            Shape(layers=6, d_model=1024, d_ff=4096, heads=16, vocab=37000, kind="encoder-decoder",
                  learned_positions=False),
            213_000_000, "Table 3", _T_WHERE,
            ("transformer big", "big transformer", "transformer-big", "transformer (big)", "transformer 大模型",
             "transformer big 模型"),
            provenance={"vocab": "'about 37000' shared source-target BPE tokens (§5.1, English-German)"},
        ),
        Preset(
            "bert-base", "BERT-base",
            Shape(layers=12, d_model=768, d_ff=3072, heads=12, vocab=30000, context=512, segments=2, kind="encoder"),
            110_000_000, "§3", _BERT_WHERE,
            ("bert-base", "bert base", "bert_base", "bertbase", "bert 基础版", "bert-base 模型"), family_default=True,
            provenance=_BERT_PROVENANCE,
        ),
        Preset(
            "bert-large", "BERT-large",
            Shape(layers=24, d_model=1024, d_ff=4096, heads=16, vocab=30000, context=512, segments=2, kind="encoder"),
            340_000_000, "§3", _BERT_WHERE,
            ("bert-large", "bert large", "bert_large", "bertlarge", "bert 大模型", "bert-large 模型"),
            provenance=_BERT_PROVENANCE,
        ),
        Preset(
            "gpt1", "GPT-1",
            Shape(layers=12, d_model=768, d_ff=3072, heads=12, vocab=40000, context=512),
            117_000_000, "GPT-2 Table 2", _where(src.GPT1_SIZES, params=src.GPT2_SIZES),
            ("gpt-1", "gpt1", "gpt 1", "openai gpt", "original gpt", "原始 gpt", "初代 gpt", "第一代 gpt"),
            provenance={"vocab": "40,000 BPE merges (§4.1)",
                   "params": "GPT-1 prints no count; GPT-2's Table 2 gives 117M for 'the original GPT'"},
        ),
        _gpt2("gpt2-small", "GPT-2 small (117M)", 12, 768, 117_000_000, "124M",
              ("gpt-2 small", "gpt2 small", "gpt-2 117m", "gpt2-117m", "gpt-2 124m", "smallest gpt-2")),
        _gpt2("gpt2-medium", "GPT-2 medium (345M)", 24, 1024, 345_000_000, "355M",
              ("gpt-2 medium", "gpt2 medium", "gpt-2 345m", "gpt2-345m", "gpt-2 355m")),
        _gpt2("gpt2-large", "GPT-2 large (762M)", 36, 1280, 762_000_000, "774M",
              ("gpt-2 large", "gpt2 large", "gpt-2 762m", "gpt2-762m", "gpt-2 774m")),
        _gpt2("gpt2-xl", "GPT-2 XL (1542M)", 48, 1600, 1_542_000_000, "1558M",
              ("gpt-2 xl", "gpt2 xl", "gpt-2 1542m", "gpt2-1542m", "gpt-2 1.5b", "gpt-2 1558m", "largest gpt-2")),
        _gpt3("gpt3-small", "GPT-3 Small", 125_000_000, 12, 768, 12, 64, ("gpt-3 small", "gpt-3 125m")),
        _gpt3("gpt3-medium", "GPT-3 Medium", 350_000_000, 24, 1024, 16, 64, ("gpt-3 medium", "gpt-3 350m")),
        _gpt3("gpt3-large", "GPT-3 Large", 760_000_000, 24, 1536, 16, 96, ("gpt-3 large", "gpt-3 760m")),
        _gpt3("gpt3-xl", "GPT-3 XL", 1_300_000_000, 24, 2048, 24, 128, ("gpt-3 xl", "gpt-3 1.3b")),
        _gpt3("gpt3-2.7b", "GPT-3 2.7B", 2_700_000_000, 32, 2560, 32, 80, ("gpt-3 2.7b",)),
        _gpt3("gpt3-6.7b", "GPT-3 6.7B", 6_700_000_000, 32, 4096, 32, 128, ("gpt-3 6.7b",)),
        _gpt3("gpt3-13b", "GPT-3 13B", 13_000_000_000, 40, 5140, 40, 128, ("gpt-3 13b",)),
        _gpt3("gpt3-175b", "GPT-3 175B", 175_000_000_000, 96, 12288, 96, 128, ("gpt-3 175b", "gpt3-175b")),
    )  # fmt: skip


PRESETS: tuple[Preset, ...] = _presets()
_BY_ID = {p.id: p for p in PRESETS}


def get_preset(preset_id: str) -> Preset:
    """The preset with this id, or a NumbersError listing the ids."""
    key = preset_id.strip().lower()
    if key in _BY_ID:
        return _BY_ID[key]
    for preset in PRESETS:
        if key in preset.aliases:
            return preset
    raise NumbersError(f"No preset {preset_id!r}. Presets: {', '.join(_BY_ID)}.")


@dataclass(frozen=True)
class Device:
    """An accelerator as the learner describes it: memory bandwidth (bytes/s), peak FLOP/s, memory (bytes)."""

    name: str
    bandwidth: float
    peak_flops: float
    memory: float
    note: str = ""


# Examples only, from the vendors' datasheets (dense fp16/bf16 tensor throughput), not from the readings.
EXAMPLE_DEVICES: tuple[Device, ...] = (
    Device("A100 80GB SXM (example)", 2.039e12, 312e12, 80e9, "NVIDIA A100 datasheet; not from the readings"),
    Device("H100 SXM (example)", 3.35e12, 989e12, 80e9, "NVIDIA H100 datasheet; not from the readings"),
)
