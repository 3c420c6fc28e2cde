"""Errors that speak to the user.

    TutorError                 what failed, where, and how to fix it
    ├── ConfigError            a setting or data file is wrong
    ├── LibraryError           a file cannot be fetched, added or found
    ├── DocumentError          one document cannot be read (reported and skipped during ingest)
    ├── StoreError             the index is missing or unusable
    ├── QuestionError          the question cannot be answered as asked (empty, too long, bad level)
    └── BackendUnavailable     the language model cannot be used; the offline card answers instead

Only the CLI turns these into ``click.ClickException`` and only the UI into ``gr.Error``.
"""

from __future__ import annotations


class TutorError(Exception):
    """Base class: the message is shown to the user as is."""


class ConfigError(TutorError):
    """A setting, a corpus data file or a prompt is invalid."""


class LibraryError(TutorError):
    """A reading cannot be fetched, imported or found."""


class DocumentError(TutorError):
    """A document cannot be read; ingest reports it and carries on."""


class StoreError(TutorError):
    """The index is missing, locked or from another embedding model."""


class QuestionError(TutorError):
    """The question itself cannot be answered as asked (empty, too long, bad level)."""


class BackendUnavailable(TutorError):
    """The LLM server could not be used; the tutor falls back to the offline card."""
