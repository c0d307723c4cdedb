"""A ticket's status-page token (``/t/<token>``, docs/phone.md): 32 lowercase hex digits,
the day (4 hex digits: days since 2000-01-01, UTC) then 112 random bits, the same as
migration 0013's trigger makes on the server. The day first keeps each day's inserts
together in the tokens' unique index (no random page of a year's index read per ticket);
the 112 random bits keep it unguessable.

A kiosk issuing offline makes its tickets' tokens itself with :func:`new_token`, prints
the QR code with it, and sends it with the upload; the merge keeps it (:func:`is_token`
checks its shape), so the QR printed offline works once the ticket is merged."""
from __future__ import annotations

import re
import secrets
import time

_SHAPE = re.compile(r"[0-9a-f]{32}")


EPOCH_DAY = 10957  # 2000-01-01 in days since 1970-01-01


def new_token(now: float | None = None) -> str:
    day = (int((time.time() if now is None else now) // 86400) - EPOCH_DAY) & 0xFFFF
    return f"{day:04x}{secrets.token_hex(14)}"


def is_token(value) -> bool:
    return isinstance(value, str) and _SHAPE.fullmatch(value) is not None


__all__ = ["is_token", "new_token"]
