"""The sizes of a Transformer stack, as one value the formulas take.

Names follow Vaswani et al. (d_model, d_ff, h, d_k); a size a reading does not give stays ``None`` and the
formula that needs it raises a NumbersError naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from tutor.numbers.errors import NumbersError

Kind = Literal["encoder", "decoder", "encoder-decoder"]
KINDS: tuple[Kind, ...] = ("encoder", "decoder", "encoder-decoder")


@dataclass(frozen=True)
class Shape:
    """The sizes of a Transformer stack, named as in Vaswani et al. (N is ``layers``); ``None`` means unknown."""

    layers: int | None = None
    d_model: int | None = None
    d_ff: int | None = None
    vocab: int | None = None
    heads: int | None = None
    head_dim: int | None = None  # None: d_model / heads (Vaswani §3.2.2)
    kv_heads: int | None = None  # None: every head keeps its own K and V; 1: multi-query; else grouped-query
    context: int | None = None  # the longest sequence the model was trained on
    learned_positions: bool = True  # learned position embeddings add context · d_model parameters
    segments: int = 0  # BERT's sentence A/B embeddings
    tied: bool = True  # input embedding shared with the pre-softmax layer (Vaswani §3.4)
    final_norm: bool = False  # GPT-2's extra layer norm after the last block
    kind: Kind = "decoder"

    def __post_init__(self) -> None:
        for name in ("layers", "d_model", "d_ff", "vocab", "heads", "head_dim", "kv_heads", "context"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise NumbersError(f"{name} must be a positive whole number, not {value}.")
        if self.kind not in KINDS:
            raise NumbersError(f"Unknown kind {self.kind!r}; choose one of {', '.join(KINDS)}.")
        if self.heads and self.d_model and self.head_dim is None and self.d_model % self.heads:
            raise NumbersError(
                f"d_model ({self.d_model}) is not a multiple of heads ({self.heads}); give the head size too.",
                ("head_dim",),
            )
        if self.kv_heads is not None and self.heads is not None and self.kv_heads > self.heads:
            raise NumbersError(f"kv_heads ({self.kv_heads}) cannot exceed heads ({self.heads}).")
        if self.kv_heads is not None and self.heads is not None and self.heads % self.kv_heads:
            raise NumbersError(f"heads ({self.heads}) must be a multiple of kv_heads ({self.kv_heads}) to group them.")

    @property
    def dim_per_head(self) -> int | None:
        """d_head: given, or d_model / h as in the Transformer."""
        if self.head_dim is not None:
            return self.head_dim
        if self.heads is not None and self.d_model is not None:
            return self.d_model // self.heads
        return None

    @property
    def d_attn(self) -> int | None:
        """Width of the query (and output) projection: h · d_head, which is d_model unless a table says otherwise."""
        if self.heads is not None and self.dim_per_head is not None:
            return self.heads * self.dim_per_head
        return self.d_model

    @property
    def d_kv(self) -> int | None:
        """Width of the key (and value) projection: h_kv · d_head."""
        if self.kv_heads is not None:
            if self.dim_per_head is None:
                return None
            return self.kv_heads * self.dim_per_head
        return self.d_attn

    def need(self, *names: str) -> None:
        """Raise a NumbersError naming every size in `names` that is unknown."""
        unknown = tuple(n for n in names if getattr(self, n) is None)
        if unknown:
            raise NumbersError(
                f"This needs {', '.join(unknown)}; give {'them' if len(unknown) > 1 else 'it'}.", unknown
            )

    def with_sizes(self, **sizes: int | bool | str | None) -> Shape:
        """A copy with the given sizes changed (None leaves a size as it is)."""
        changes = {k: v for k, v in sizes.items() if v is not None}
        return replace(self, **changes)  # type: ignore[arg-type]  # names are Shape's fields; __post_init__ checks values
