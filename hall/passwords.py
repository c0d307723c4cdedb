"""Salted scrypt hashes of secrets people type: staff passwords (hall/access.py) and the
kiosk's PINs (kiosk/pins.py). Standard library only.

A hash is one string ``scrypt$N$r$p$salt$hash`` (salt and hash in base64): what it says
it is, so anyone can recompute it with ``hashlib.scrypt``. scrypt is memory-hard (16 MiB
per try with these parameters), which makes guessing on a stolen database slow.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

# scrypt's interactive-login parameters: 16 MiB and some 40-90 ms per try on a 2-core PC
N, R, P = 2 ** 14, 8, 1
SALT_BYTES, HASH_BYTES = 16, 32

_HASH = re.compile(r"^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/=]{4,200})\$([A-Za-z0-9+/=]{4,200})$")


def parse_hash(text: str) -> tuple[int, int, int, bytes, bytes]:
    """``scrypt$N$r$p$salt$hash`` → (N, r, p, salt, digest), or ValueError.

    The bounds keep a damaged or hand-edited hash from allocating gigabytes."""
    m = _HASH.match(text or "")
    if not m:
        raise ValueError("not a scrypt hash (scrypt$N$r$p$salt$hash)")
    n, r, p = (int(g) for g in m.groups()[:3])
    if n < 2 ** 14 or n > 2 ** 20 or n & (n - 1) or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise ValueError(f"scrypt parameters N={n} r={r} p={p} are out of range")
    return n, r, p, base64.b64decode(m.group(4), validate=True), base64.b64decode(m.group(5), validate=True)


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * r * n + 2 ** 20,
                          dklen=HASH_BYTES)


def hash_secret(secret: str, *, salt: bytes | None = None) -> str:
    """``scrypt$16384$8$1$<salt>$<hash>`` of ``secret`` with a new random salt."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(secret, salt, N, R, P)
    return "$".join(["scrypt", str(N), str(R), str(P), base64.b64encode(salt).decode(),
                     base64.b64encode(digest).decode()])


def verify_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` is the one hashed in ``stored``; False for no or a damaged hash.

    The comparison takes the same time wherever the digests differ."""
    if not stored or not secret:
        return False
    try:
        n, r, p, salt, expected = parse_hash(stored)
        actual = _scrypt(secret, salt, n, r, p)
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def burn_time(secret: str) -> None:
    """As much work as :func:`verify_secret` on a real hash, for an answer that must take the
    same time whether or not there was a hash to check (an unknown staff number)."""
    _scrypt(secret or "-", b"\0" * SALT_BYTES, N, R, P)
