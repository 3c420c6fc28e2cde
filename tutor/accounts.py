"""Classroom accounts: a name, an argon2 password hash and a teacher flag per learner, in one JSON file.

The file lives in the data folder (`Settings.accounts_path`, mode 0600) and is written whole and atomically under a
lock, so `tutor users add` can run while workers serve. Workers re-read it when it changes: a removed account can
no longer sign in, and its open sessions end at their next request. `TUTOR_AUTH=user:password` stays as a
one-learner shortcut that needs no file.

Each account is its own learner in study mode: the account name is the learner name.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tutor.config import Settings
from tutor.echo import shown
from tutor.errors import ConfigError, TutorError

NAME = re.compile(r"^[\w.@+-]{1,64}$")
GUEST_PREFIX = "guest-"  # browsers without a login; no account may take a name that could be one
MIN_PASSWORD = 8
FORMAT = "tutor-accounts"
# OWASP's smallest recommended argon2id cost (19 MiB, 2 passes): thirty learners signing in at once need 0.6 GB,
# not the 2 GB of argon2-cffi's defaults.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_DUMMY = _HASHER.hash("no such account")  # verified against for unknown names, so timing does not tell them apart


class AccountError(TutorError):
    """An account cannot be added, found or removed as asked."""


@dataclass(frozen=True)
class Account:
    name: str
    teacher: bool = False
    created_at: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "teacher": self.teacher, "created_at": self.created_at}


def check_name(name: str) -> str:
    """A usable learner or account name, or a one-line error that does not echo a huge or hostile name."""
    clean = name.strip()
    if not NAME.fullmatch(clean):
        raise AccountError(
            f"The name {shown(name, 40)!r} is not usable: use 1-64 letters, digits or . _ @ + - (no spaces)."
        )
    return clean


class Accounts:
    """The accounts file, read again whenever it changes on disk."""

    def __init__(self, path: Path, shortcut: str | None = None) -> None:
        self.path = path
        self._shortcut: tuple[str, str] | None = None
        if shortcut:
            user, sep, password = shortcut.partition(":")
            if not sep or not user or not password:
                raise ConfigError("TUTOR_AUTH must be user:password (both parts non-empty).")
            self._shortcut = (check_name(user), password)
        self._cache: tuple[tuple[int, int] | None, dict[str, dict[str, Any]]] = (None, {})
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Accounts:
        return cls(settings.accounts_path, settings.auth)

    # -------------------------------------------------------------------------------- reading

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _records(self) -> dict[str, dict[str, Any]]:
        stamp = self._stamp()
        with self._lock:
            if stamp == self._cache[0]:
                return self._cache[1]
            records = self._load() if stamp is not None else {}
            self._cache = (stamp, records)
            return records

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"The accounts file {self.path} cannot be read ({exc}). Restore it, or move it aside and "
                "add the accounts again with `tutor users add`."
            ) from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("accounts"), list):
            raise ConfigError(
                f"{self.path} is not a tutor accounts file; move it aside or set TUTOR_SERVER_ACCOUNTS_FILE."
            )
        return {str(a["name"]): a for a in data["accounts"] if isinstance(a, dict) and "name" in a}

    @property
    def required(self) -> bool:
        """A login is needed: there is an account, or the TUTOR_AUTH shortcut."""
        return self._shortcut is not None or bool(self._records())

    def get(self, name: str) -> Account | None:
        if self._shortcut is not None and name == self._shortcut[0]:
            return Account(name)
        record = self._records().get(name)
        if record is None:
            return None
        return Account(name, bool(record.get("teacher")), str(record.get("created_at", "")))

    def list(self) -> list[Account]:
        found = [a for name in sorted(self._records()) if (a := self.get(name)) is not None]
        if self._shortcut is not None and self._shortcut[0] not in self._records():
            found.insert(0, Account(self._shortcut[0]))
        return found

    def is_teacher(self, name: str | None) -> bool:
        account = self.get(name) if name else None
        return account is not None and account.teacher

    def stamp(self, name: str) -> str:
        """Changes whenever the account's password does, so a session signed before that no longer counts."""
        if self._shortcut is not None and name == self._shortcut[0]:
            secret = self._shortcut[1]
        else:
            record = self._records().get(name)
            secret = str(record["hash"]) if record else ""
        return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()[:16] if secret else ""

    def verify(self, name: str, password: str) -> Account | None:
        """The account if the password is right; None otherwise (same cost whether or not the name exists)."""
        if self._shortcut is not None and name == self._shortcut[0]:
            ok = hmac.compare_digest(password.encode("utf-8", "replace"), self._shortcut[1].encode("utf-8", "replace"))
            return Account(name) if ok else None
        record = self._records().get(name)
        try:
            _HASHER.verify(str(record["hash"]) if record else _DUMMY, password)
        except (VerificationError, InvalidHashError):
            return None
        return self.get(name) if record else None

    # -------------------------------------------------------------------------------- writing

    @contextmanager
    def _editing(self) -> Iterator[dict[str, dict[str, Any]]]:
        """The records to change; written back atomically (0600) when the block ends without an error."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            records = dict(self._load())
            yield records
            payload = {"format": FORMAT, "version": 1, "accounts": [records[n] for n in sorted(records)]}
            fd, tmp = tempfile.mkstemp(prefix=".accounts-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(payload, f, ensure_ascii=False, indent=1)
                os.chmod(tmp, 0o600)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    def add(self, name: str, password: str, teacher: bool = False) -> Account:
        name = check_name(name)
        if name.lower().startswith(GUEST_PREFIX):
            raise AccountError(f"Names starting with {GUEST_PREFIX!r} are kept for browsers without a login.")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"The password for {name} is too short: use at least {MIN_PASSWORD} characters.")
        if self._shortcut is not None and name == self._shortcut[0]:
            raise AccountError(f"{name} is the TUTOR_AUTH login already; pick another name or unset TUTOR_AUTH.")
        with self._editing() as records:
            if name in records:
                raise AccountError(
                    f"There is already an account {name}. To set a new password: "
                    f"`tutor users remove {name}`, then add it again (the study record stays)."
                )
            created = datetime.now(UTC).isoformat(timespec="seconds")
            records[name] = {"name": name, "hash": _HASHER.hash(password), "teacher": teacher, "created_at": created}
        return Account(name, teacher, created)

    def remove(self, name: str) -> Account:
        with self._editing() as records:
            record = records.pop(name, None)
            if record is None:
                known = ", ".join(sorted(records)) or "none yet"
                raise AccountError(f"There is no account {shown(name, 40)!r} (accounts: {known}).")
        return Account(name, bool(record.get("teacher")), str(record.get("created_at", "")))
