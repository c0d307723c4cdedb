"""A ticket's status-page token (``/t/<token>``, docs/phone.md): 128 random bits as 32
lowercase hex digits, the same as migration 0008's trigger makes on the server.

A kiosk issuing offline makes its tickets' tokens itself with :func:`new_token`, prints
the QR code with it, and sends it with the upload; the merge keeps it (:func:`is_token`
checks its shape), so the QR printed offline works once the ticket is merged."""
from __future__ import annotations

import re
import secrets

_SHAPE = re.compile(r"[0-9a-f]{32}")


def new_token() -> str:
    return secrets.token_hex(16)


def is_token(value) -> bool:
    return isinstance(value, str) and _SHAPE.fullmatch(value) is not None


__all__ = ["is_token", "new_token"]
