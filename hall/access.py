"""Who may use the hall API: device tokens, staff accounts and their login sessions, kept
in the queue database (CONTRACT STUB: the `access` work fills this in; signatures are
the contract the server codes against, see docs/api.md).

Device and session tokens are 256-bit random strings; only their SHA-256 is stored.
Staff passwords are hashed with scrypt (hashlib, memory-hard).
"""
from __future__ import annotations

from dataclasses import dataclass

DEVICE_ROLES = ("kiosk", "screen", "caller", "controller")
STAFF_ROLES = ("staff", "manager", "technician")


@dataclass(frozen=True)
class Principal:
    """The holder of a valid token: a device or a logged-in person."""

    kind: str  # "device" | "staff"
    name: str  # device name, or the staff number (工号)
    role: str  # one of DEVICE_ROLES or STAFF_ROLES
    windows: tuple[int, ...] = ()  # windows it may act on; () = any (caller device) or none (session not at a window)
    display_name: str = ""  # a person's name (张三)
    token_id: str = ""  # the stored hash's first 16 hex digits: names the token in logs, never the token


@dataclass(frozen=True)
class Device:
    name: str
    role: str
    windows: tuple[int, ...]
    created_at: float
    revoked_at: float | None
    last_seen_at: float | None = None


@dataclass(frozen=True)
class StaffMember:
    staff: str
    name: str
    role: str
    created_at: float
    disabled_at: float | None


@dataclass(frozen=True)
class Session:
    token: str  # given once to the client
    staff: StaffMember
    window: int | None
    expires_at: float


class Access:
    """Devices, staff and sessions on the hall database (its own connection; thread-safe)."""

    def __init__(self, queue) -> None:  # a hall.HallQueue: its path, clock and event log
        raise NotImplementedError

    # devices
    def add_device(self, name: str, role: str, windows: tuple[int, ...] = ()) -> str: ...  # -> token, once
    def devices(self) -> list[Device]: ...
    def revoke_device(self, name: str) -> Device: ...  # + event "device_revoked" {name}

    # staff
    def add_staff(self, staff: str, name: str, role: str, password: str) -> StaffMember: ...
    def set_password(self, staff: str, password: str) -> None: ...  # ends that person's sessions
    def disable_staff(self, staff: str) -> None: ...  # + ends sessions; event "staff_disabled"
    def staff(self) -> list[StaffMember]: ...

    # sessions (software caller, manager pages)
    def login(self, staff: str, password: str, window: int | None, hours: float) -> Session: ...
    # raises hall.access.LoginRefused(code, retry_after) on a wrong password/unknown staff/lock-out
    def logout(self, token: str) -> None: ...

    # every request
    def principal_for(self, token: str) -> Principal | None: ...  # None: unknown, revoked, expired


class LoginRefused(Exception):
    """A login refused: ``code`` "unauthorized" (wrong password, unknown or disabled staff)
    or "too_many_attempts" with ``retry_after`` seconds."""

    def __init__(self, code: str, retry_after: float | None = None) -> None:
        super().__init__(code)
        self.code, self.retry_after = code, retry_after
