"""How every `tutor` command reports a TutorError: one line, or the traceback when the `debug` setting is on.

A leaf module: `tutor.cli` and `tutor.study.cli` (and any later command group) import it, never each other.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console

from tutor.errors import TutorError
from tutor.failures import classify

F = TypeVar("F", bound=Callable[..., Any])
_console = Console(stderr=True)


def debug_enabled() -> bool:
    """The `debug` setting (TUTOR_DEBUG or tutor.toml) of the settings the root command built."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root().obj if ctx else None
    settings = getattr(root, "settings", None)
    return bool(settings is not None and settings.debug)


def _told(exc: TutorError) -> str:
    """A full disk or an unreachable index server is said as such, whatever layer noticed it."""
    ctx = click.get_current_context(silent=True)
    settings = getattr(ctx.find_root().obj if ctx else None, "settings", None)
    failure = classify(exc, settings) if settings is not None else None
    return failure.message if failure else str(exc)


def friendly_errors(func: F) -> F:
    """Show TutorError as a message; re-raise with the traceback when the `debug` setting is on."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TutorError as exc:
            if debug_enabled():
                raise
            raise click.ClickException(_told(exc)) from exc
        except KeyboardInterrupt:
            _console.print(
                "[yellow]Interrupted.[/] The index still holds everything committed before; "
                "run the command again to finish."
            )
            sys.exit(130)

    return wrapper  # type: ignore[return-value]
