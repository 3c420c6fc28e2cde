"""Every language rule, as a table, in English and Chinese: the toolkit retrieval, selection, grounding and
grading share (tutor/lang/)."""

from __future__ import annotations

import pytest

from tutor.lang.direction import direction_spans, swapped_opposite
from tutor.lang.docref import named_document, refers_to_document
from tutor.lang.negation import negated, negation_flipped, negation_spans
from tutor.lang.numbers import numbers_in
from tutor.lang.quotable import quotable
from tutor.lang.script import close_cjk_gaps, detect_language, has_cjk
from tutor.lang.sentences import clauses, clean_text, ends_sentence, split_sentences
from tutor.lang.tokens import content_words, tokenize


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("What is attention?", "en"),
        ("What does 残差 mean in ResNet?", "en"),
        ("It is overfitting, the 过拟合 case", "en"),
        ("Transformer 里的 self-attention 和 multi-head attention 有什么区别？", "zh"),
        ("BERT 的 NSP", "zh"),
        ("softmax 会饱和", "zh"),
        ("梯度提升", "zh"),
        ("KV cache", "en"),
        ("㐀㐁 in the attention paper", "en"),  # Extension A characters are CJK, and too few to frame it
        ("反向传播", "zh"),
        ("高数题：计算 ∫ x e^x dx", "zh"),  # single letters are variables, not English words
        ("设 n 为样本数，k 取多少合适", "zh"),
        ("Is x in softmax(x) a vector?", "en"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_one_cjk_range_covers_extension_a_and_compatibility_characters() -> None:
    assert has_cjk("㐀") and has_cjk("﨑") and has_cjk("注意") and not has_cjk("attention")


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("What is the KV cache?", ["kv", "cache"]),
        ("Why divide by sqrt(d_k)?", ["divide", "sqrt"]),
        ("残差连接", ["残差", "差连", "连接"]),
        ("BERT 的掩码", ["bert", "的掩", "掩码"]),
        ("注", ["注"]),
    ],
)
def test_tokenize_keeps_words_and_cjk_bigrams(text: str, tokens: list[str]) -> None:
    assert tokenize(text)[: len(tokens)] == tokens


def test_content_words_drop_stop_words_and_short_words() -> None:
    assert content_words("What is the role of the KV cache in decoding?") == ["role", "cache", "decoding"]


SPLITS = [
    (
        "The model uses d_k = 64. Each head attends separately.",
        ["The model uses d_k = 64.", "Each head attends separately."],
    ),
    ("See Fig. 3 for details. The curve drops.", ["See Fig. 3 for details.", "The curve drops."]),
    (
        "As shown by He et al. in 2015, depth helps. Shortcuts fix it.",
        ["As shown by He et al. in 2015, depth helps.", "Shortcuts fix it."],
    ),
    (
        "We use e.g. dropout and i.e. regularisation. It works.",
        ["We use e.g. dropout and i.e. regularisation.", "It works."],
    ),
    ("The learning rate was 0.1 at first. It decays.", ["The learning rate was 0.1 at first.", "It decays."]),
    ("BLEU rises to 28.4. That is 2.0 more than before.", ["BLEU rises to 28.4.", "That is 2.0 more than before."]),
    ("Is it overfitting? No. Training error is higher.", ["Is it overfitting?", "No.", "Training error is higher."]),
    (
        "Scores are divided by $\\sqrt{d_k}$. This keeps softmax soft.",
        ["Scores are divided by $\\sqrt{d_k}$.", "This keeps softmax soft."],
    ),
    (
        "The scaling factor is 1/√d_k. Without it, gradients vanish.",
        ["The scaling factor is 1/√d_k.", "Without it, gradients vanish."],
    ),
    (
        "Section 3.2 describes it. Eq. 1 gives the score.",
        ["Section 3.2 describes it.", "Eq. 1 gives the score."],
    ),
    ("GPT-2 has 1.5B parameters. GPT-3 has 175B.", ["GPT-2 has 1.5B parameters.", "GPT-3 has 175B."]),
    (
        "They compare ResNet vs. plain nets. The gap is large.",
        ["They compare ResNet vs. plain nets.", "The gap is large."],
    ),
    ("“Attention is all you need.” The title says it.", ["“Attention is all you need.”", "The title says it."]),
    ("It is fast (see Sec. 4). It is also simple.", ["It is fast (see Sec. 4).", "It is also simple."]),
    ("Use approx. 8 heads. Each has 64 dims.", ["Use approx. 8 heads.", "Each has 64 dims."]),
    ("Results: 92.3% accuracy. Not bad.", ["Results: 92.3% accuracy.", "Not bad."]),
    ("Train for 100k steps.4 The footnote ends here.", ["Train for 100k steps.", "The footnote ends here."]),
    (
        "word2vec was fast. skip-gram predicts context words.",
        ["word2vec was fast.", "skip-gram predicts context words."],
    ),
    ("This is cf. the earlier result. It holds.", ["This is cf. the earlier result.", "It holds."]),
    (
        "Mikolov et al. proposed it. Negative sampling followed.",
        ["Mikolov et al. proposed it.", "Negative sampling followed."],
    ),
    ("No. 5 is the best model. It wins.", ["No. 5 is the best model.", "It wins."]),
    ("4To illustrate, take a tree. It splits.", ["To illustrate, take a tree.", "It splits."]),
    ("残差连接让梯度直接回传。它解决了退化问题！是吗？", ["残差连接让梯度直接回传。", "它解决了退化问题！", "是吗？"]),
    ("BERT 用了 15% 的掩码。其中 80% 换成 [MASK]。", ["BERT 用了 15% 的掩码。", "其中 80% 换成 [MASK]。"]),
]


@pytest.mark.parametrize(("text", "sentences"), [pytest.param(t, s, id=t[:30]) for t, s in SPLITS])
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_cleaning_keeps_chinese_punctuation_and_folds_full_width_letters() -> None:
    assert (
        clean_text("全相联缓存：它不是一行，而是多行。ﬁne ＡＢＣ１２") == "全相联缓存：它不是一行，而是多行。fine ABC12"
    )
    assert split_sentences("它快吗?是的!") == ["它快吗?", "是的!"], "half-width marks typed in Chinese still end one"


def test_cleaning_keeps_the_super_and_subscripts_of_formulas() -> None:
    assert clean_text("softmax(QKᵀ/√d_k), d², x₁, W⁻¹, ﬁne") == "softmax(QKᵀ/√d_k), d², x₁, W⁻¹, fine"


@pytest.mark.parametrize(
    ("before", "after", "ends"),
    [
        ("It is fast.", " It is simple", True),
        ("See Fig.", " 3", False),
        ("Answer No.", " 5 is", False),
        ("残差连接有用。", "", True),
        ("It is fast.", "", False),  # the next sentence has not started: it may still be "fast.5"
    ],
)
def test_a_streamed_sentence_ends_only_where_a_split_would_cut(before: str, after: str, ends: bool) -> None:
    assert ends_sentence(before, after) is ends


def test_clauses_stop_at_contrastive_conjunctions_in_both_languages() -> None:
    assert clauses("It is not overfitting, but optimisation") == ["it is not overfitting", "optimisation"]
    assert clauses("不是过拟合，而是优化问题") == ["不是过拟合", "优化问题"]


@pytest.mark.parametrize(
    ("sentence", "negative"),
    [
        ("The deeper network is not overfitting.", True),
        ("It doesn't recompute earlier tokens.", True),
        ("Residual learning never hurts.", True),
        ("Not only keys but also values are cached.", False),
        ("It uses attention rather than recurrence.", False),  # a contrast, not a denial
        ("这不是过拟合。", True),
        ("没有标签检查。", True),
        ("两者并非一回事。", True),
        ("不同的头关注不同的位置。", False),
        ("非线性激活函数很重要。", False),
        ("前馈网络对每个位置分别计算。", False),
        ("是否需要缩放？", False),
        ("The mask prevents a position from seeing later ones.", True),
    ],
)
def test_negation_in_both_languages(sentence: str, negative: bool) -> None:
    assert negated(sentence) is negative


def test_outcome_cues_are_left_out_of_term_negation() -> None:
    text = "dividing keeps the dot products from getting too large"
    assert negation_spans(text) and not negation_spans(text, implicit=False)


@pytest.mark.parametrize(
    ("sentence", "source", "flipped"),
    [
        ("Each position never sees later positions.", "The mask lets each position see later positions.", True),
        ("Each position sees earlier positions.", "Each position sees earlier positions.", False),
        ("模型不是容量不够。", "问题在于模型容量不够。", True),
    ],
)
def test_negation_flipped_against_a_source(sentence: str, source: str, flipped: bool) -> None:
    assert negation_flipped(sentence, source) is flipped


NUMBERS = [
    ("六十四", {64}),
    ("十二", {12}),
    ("三千", {3000}),
    ("两万", {20000}),
    ("一百零五", {105}),
    ("七十亿", {7e9}),
    ("1.5亿", {1.5e8}),
    ("一点五亿", {1.5e8}),
    ("百分之十五", {15, 0.15}),
    ("15%", {15, 0.15}),
    ("第二", set()),
    ("十分重要", set()),
    ("两倍", {2}),
    ("一半", {0.5}),
    ("三点五", {3.5}),
    ("零点一", {0.1}),
    ("2,048", {2048}),
    ("70 亿", {7e9}),
    ("4k", {4000}),
    ("一千七百五十亿", {1.75e11}),
    ("eight heads", {8}),
    ("7 billion", {7e9}),
    ("两者", set()),
    ("万一", set()),
]


@pytest.mark.parametrize(("text", "values"), [pytest.param(t, v, id=t) for t, v in NUMBERS])
def test_numbers_are_read_across_scripts(text: str, values: set[float]) -> None:
    assert numbers_in(text) == {float(v) for v in values}


@pytest.mark.parametrize(
    ("clause", "signs"),
    [
        ("training error rises", [1]),
        ("the gradients vanish", [-1]),
        ("训练误差上升", [1]),
        ("梯度变小", [-1]),
        ("大模型的高维表示", []),  # 大 and 高 inside words that do not say anything moved
    ],
)
def test_direction_words(clause: str, signs: list[int]) -> None:
    assert [s for _, _, s in direction_spans(clause)] == signs


@pytest.mark.parametrize(
    ("sentence", "source", "word"),
    [
        ("The outputs can differ from the big model's.", "The outputs are the same as the big model's.", "differ"),
        ("旧树被重新调整。", "旧树被冻结。", "重新调整"),
        ("The outputs are the same.", "The outputs are the same.", ""),
    ],
)
def test_swapped_opposites(sentence: str, source: str, word: str) -> None:
    assert swapped_opposite(sentence, source) == word


@pytest.mark.parametrize(
    ("sentence", "ok"),
    [
        ("Residual learning makes it easier to optimise deeper networks.", True),
        ("残差学习让更深的网络更容易优化。", True),
        ("Kaiming He, Xiangyu Zhang (kaiming@microsoft.com).", False),
        ("In Proceedings of the IEEE conference on computer vision, pp. 770-778.", False),
        ("def forward(self, x): return self.f(x) + x.", False),
        ("Tok M Question Paragraph BERT E[CLS].", False),
        ("and the rest follows.", False),
        # measured results and worked examples: the numbers are what a learner asks about
        ("同理第二、三轮分别约为 0.040 与 0.642。", True),
        ("在 45 个错误码类问题的子集上，Recall@8 从 0.62 提到 0.88。", True),
        ("Remarkably, the mAP absolute increase (6.0%) is nearly as big as at 0.5 IoU (6.9%).", True),
        # but not a reference entry or a layer table read into the text, where numbers outweigh the words
        ("Annals of Statistics, 28(2):337–407, 2000.", False),
        ("ImageNet Classification 3×3, 512 1×1, 2048 ×3 1×1, 512 3×3, 512 1×1, 2048 ×3 average pool.", False),
    ],
)
def test_quotable(sentence: str, ok: bool) -> None:
    assert quotable(sentence) is ok


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("According to the scanned chapter, who proposed the method?", True),
        ("In our serving notes, which batch size did we keep?", True),
        ("What does the team's runbook say about retries?", True),
        ("我的梯度累积笔记里，最后保留了哪种设置？", True),
        ("那份约束解码的记录里，失败率降到了多少？", True),
        ("教材第 6 章的例子里阈值取多少？", True),
        ("What is attention?", False),
        ("Why does XGBoost use second-order gradients?", False),
        ("家里笔记本的电源适配器很烫，正常吗？", False),  # a laptop, not notes
        ("KV cache 为什么能加速推理？", False),
    ],
)
def test_a_question_that_names_a_document(question: str, names: bool) -> None:
    assert refers_to_document(question) == names


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("According to the reward model notes, what loss is used?", "reward model notes"),
        ("Per the team's A/B notes, what sample size is needed?", "A/B notes"),
        ("奖励模型训练笔记里，学习率是多少？", "奖励模型训练笔记"),
        ("那份约束解码的记录里，失败率降到了多少？", "约束解码的记录"),
        ("根据我们的 A/B 实验规范，实验至少跑几天？", "A/B 实验规范"),
        ("笔记里长度偏置是怎么处理的？", ""),  # named by its kind only
        ("What does the chapter say LDA assumes?", ""),
        ("家里笔记本的电源适配器很烫，正常吗？", ""),  # a laptop, not notes
        ("What is attention?", ""),
    ],
)
def test_the_words_a_question_names_a_document_by(question: str, name: str) -> None:
    assert named_document(question) == name


@pytest.mark.parametrize(
    ("text", "closed"),
    [
        ("在本章的西瓜数据集 例子中，未剪枝的树", "在本章的西瓜数据集例子中，未剪枝的树"),  # a scan's line break
        ("就进行替换。 在本章的例子中", "就进行替换。在本章的例子中"),  # quoted sentences joined with a space
        ("7B 模型的 KV cache 用 FP16 存", "7B 模型的 KV cache 用 FP16 存"),  # Latin terms keep their spaces
        ("Keys and values are cached.", "Keys and values are cached."),
    ],
)
def test_no_space_is_left_between_chinese_characters(text: str, closed: str) -> None:
    assert close_cjk_gaps(text) == closed
