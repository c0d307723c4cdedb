"""Back-off after wrong PINs on the kiosk's PIN pad (no Qt).

After ``attempts`` wrong PINs in a row for one role (technician or green channel) the
pad locks for ``first_seconds``; each further lock-out doubles, up to an hour, until the
right PIN is typed. The state is kept in a small JSON file, so restarting the kiosk
does not reset it; a missing or unreadable file starts afresh (whoever can delete it
can also stop the kiosk). Time comes from an injected wall clock, so tests need no
sleeping; a clock that steps back never lengthens a lock-out beyond its own length.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MAX_LOCKOUT_SECONDS = 3600


def default_state_path() -> Path:
    """This user's lock-out file: ``~/.local/state/jiaohao/kiosk-pin-lockout.json`` on Linux."""
    from platformdirs import user_state_dir
    return Path(user_state_dir("jiaohao")) / "kiosk-pin-lockout.json"


@dataclass
class RoleState:
    failures: int = 0  # wrong PINs since the last lock-out or the right PIN
    lockouts: int = 0  # lock-outs since the right PIN was last typed (each doubles the next)
    until: float = 0.0  # wall-clock end of the current lock-out
    length: float = 0.0  # that lock-out's length in seconds


class PinGuard:
    """Counts wrong PINs per role and says how long the pad stays locked."""

    def __init__(self, attempts: int = 3, first_seconds: float = 30, path: Path | str | None = None,
                 clock=time.time):
        self.attempts = attempts
        self.first_seconds = first_seconds
        self.path = Path(path) if path else None
        self.clock = clock
        self._roles: dict[str, RoleState] = self._load()

    def _state(self, role: str) -> RoleState:
        return self._roles.setdefault(role, RoleState())

    def locked_for(self, role: str) -> float:
        """Seconds until the pad accepts a PIN for ``role`` again (0: it does now)."""
        s = self._state(role)
        left = s.until - self.clock()
        return max(0.0, min(left, s.length))

    def failed(self, role: str) -> float:
        """A wrong PIN: the length of the lock-out it starts, or 0."""
        s = self._state(role)
        s.failures += 1
        length = 0.0
        if s.failures >= self.attempts:
            length = min(self.first_seconds * 2 ** s.lockouts, MAX_LOCKOUT_SECONDS)
            s.failures, s.lockouts = 0, s.lockouts + 1
            s.until, s.length = self.clock() + length, length
            log.warning("%d wrong %s PINs: PIN pad locked for %d s", self.attempts, role, length)
        self._save()
        return length

    def attempts_left(self, role: str) -> int:
        return self.attempts - self._state(role).failures

    def succeeded(self, role: str) -> None:
        """The right PIN: counting starts again."""
        if self._roles.get(role, RoleState()) != RoleState():
            self._roles[role] = RoleState()
            self._save()

    def clear(self) -> None:
        """Forget every failure and lock-out (`jiaohao pin unlock`)."""
        self._roles = {}
        self._save()

    # -- the file ---------------------------------------------------------------------
    def _load(self) -> dict[str, RoleState]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {role: RoleState(**{k: type(getattr(RoleState(), k))(v) for k, v in fields.items()})
                    for role, fields in data.items()}
        except (OSError, ValueError, TypeError, AttributeError) as e:
            log.warning("PIN lock-out state %s unreadable (%s): starting afresh", self.path, e)
            return {}

    def _save(self) -> None:
        if self.path is None:
            return
        tmp = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".pin-lockout-")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({role: asdict(s) for role, s in self._roles.items()}, f)
            os.replace(tmp, self.path)
        except OSError as e:
            log.warning("PIN lock-out state not saved to %s (%s): kept until the kiosk restarts", self.path, e)
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
