"""Language rules, written once: script and language, tokens, sentences, negation, numbers, directions.

Retrieval, the answer selector, grounding of generated text and grading of open answers all import these,
so a fix to a rule (a Chinese negation, a sentence end after a formula) reaches every one of them.

- `script`: CJK characters and which language a question is framed in
- `tokens`: words, stop words, CJK bigrams (Lucene's CJK method), normalised forms
- `sentences`: cleaning PDF text, sentence and clause splitting
- `negation`: negation cues and what they apply to
- `numbers`: numbers stated in English or Chinese, normalised across scripts
- `direction`: words saying a quantity goes up or down, and other opposites
"""
