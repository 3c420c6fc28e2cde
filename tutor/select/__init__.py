"""Choosing the answer: candidates from the Q&A bank, the notes and the documents, scored by a fitted model."""
