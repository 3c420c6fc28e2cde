"""Where each formula and each model size comes from: reading id, section (as the Q&A bank writes it) and the
1-based PDF page, checked against the copies in ../shared/readings/raw with pdftotext.

GPT-3 (brown2020-gpt3) has no local PDF, so its pointer carries no page.
"""

from __future__ import annotations

from tutor.qa import Pointer

VASWANI = "vaswani2017-attention"
DEVLIN = "devlin2018-bert"
RADFORD18 = "radford2018-gpt"
RADFORD19 = "radford2019-gpt2"
BROWN = "brown2020-gpt3"
MIAO = "miao2023-llm-serving-survey"
CHEN = "chen2021-codex"

# Short author-year labels for prose citations ("Vaswani et al. 2017, §3.2.2, p. 5").
AUTHORS: dict[str, str] = {
    VASWANI: "Vaswani et al. 2017",
    DEVLIN: "Devlin et al. 2018",
    RADFORD18: "Radford et al. 2018",
    RADFORD19: "Radford et al. 2019",
    BROWN: "Brown et al. 2020",
    MIAO: "Miao et al. 2023",
    CHEN: "Chen et al. 2021",
}

# The Transformer: stacks, the n×n score matrix, head sizes, FFN, shared embeddings, per-layer cost, data.
STACKS = Pointer(id=VASWANI, section="3.1 Encoder and Decoder Stacks", page=3)
SCORES = Pointer(id=VASWANI, section="3.2.1 Scaled Dot-Product Attention", page=4)
HEADS = Pointer(id=VASWANI, section="3.2.2 Multi-Head Attention", page=5)
CAUSAL = Pointer(id=VASWANI, section="3.2.3 Applications of Attention in our Model", page=5)  # decoder masking
FFN = Pointer(id=VASWANI, section="3.3 Position-wise Feed-Forward Networks", page=5)
EMBEDDINGS = Pointer(id=VASWANI, section="3.4 Embeddings and Softmax", page=5)
COMPLEXITY = Pointer(id=VASWANI, section="4 Why Self-Attention", page=6)  # Table 1: O(n²·d) vs O(n·d²)
WMT_VOCAB = Pointer(id=VASWANI, section="5.1 Training Data and Batching", page=7)
TRANSFORMER_TABLE = Pointer(id=VASWANI, section="6.2 Model Variations", page=9)  # Table 3

# Model tables.
BERT_SIZES = Pointer(id=DEVLIN, section="3 BERT", page=3)  # L, H, A, 110M/340M; footnote: FFN = 4H
BERT_VOCAB = Pointer(id=DEVLIN, section="3 BERT", page=4)  # 30,000 WordPieces, segment embeddings
BERT_LENGTH = Pointer(id=DEVLIN, section="Appendix A.2 Pre-training Procedure", page=13)  # ≤ 512 tokens
GPT1_SIZES = Pointer(id=RADFORD18, section="4.1 Setup", page=5)
GPT2_SIZES = Pointer(id=RADFORD19, section="2.3. Model", page=4)  # Table 2, vocab 50,257, context 1,024
GPT3_SIZES = Pointer(id=BROWN, section="2 Approach")  # Table 2.1 (§2.1); no local PDF

# Serving: precisions, architecture tricks (MQA/GQA), quantization, KV memory, kernels, frameworks.
PRECISIONS = Pointer(id=MIAO, section="2.2 GPUs and Other Accelerators", page=4)
INFERENCE = Pointer(id=MIAO, section="2.3 LLM Inference", page=4)
SHARED_KV = Pointer(
    id=MIAO,
    section="3.1.2 Architecture Design",
    page=9,
)
QUANTIZATION = Pointer(id=MIAO, section="3.2.1 Low-bit Quantization", page=11)
KV_MEMORY = Pointer(id=MIAO, section="3.2.3 Memory Management", page=13)
KV_REUSE = Pointer(id=MIAO, section="3.2.5 Kernel Optimization", page=15)  # one query per new token; online softmax
INTENSITY = Pointer(id=MIAO, section="4 SOFTWARE FRAMEWORKS", page=17)  # incremental phase: lower intensity

# Evaluation: Codex's unbiased pass@k estimator from n samples of which c pass (n = 200, k ≤ 100 in the paper).
PASS_AT_K = Pointer(id=CHEN, section="2.1. Functional Correctness", page=3)
NAIVE_PASS_AT_K = Pointer(id=CHEN, section="Appendix A Estimating pass@k", page=19)  # 1 − (1 − p̂)^k underestimates


def cite(pointer: Pointer, lang: str = "en") -> str:
    """A prose citation without [n] markers: "Vaswani et al. 2017, §3.2.2, p. 5"."""
    author = AUTHORS.get(pointer.id, pointer.id)
    number = pointer.section.split(" ", 1)[0].rstrip(".")
    section = f"§{number}" if number[:1].isdigit() else pointer.section
    if lang == "zh":
        return f"{author}，{section}" + (f"，第 {pointer.page} 页" if pointer.page else "")
    return f"{author}, {section}" + (f", p. {pointer.page}" if pointer.page else "")
