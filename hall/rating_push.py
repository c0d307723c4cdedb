"""The provincial 好差评 push: each rating, as the platform's fields, through the outbox.

A rating is queued (hall/outbox.py, channel ``ratings``) in the same transaction that
records it, one record per case (办件编号) and 评价次数, with ``Idempotency-Key``
``<case_no>:<seq>``: retried with back-off until the platform takes it, across restarts,
never queued twice. 未评价 has no rating row and so is never pushed.

The payload is GB/T 39046-2020 Table 9 (hall/rating_export.py), renamed by
``[ratings.push] fields`` (Table 9 item -> the platform's field name), the level turned
to the platform's direction (``level_direction``: the national code is descending,
1 非常满意; "ascending" sends 6 - level) and the region code cut or padded to
``region_digits`` (6 county, 9 township, 12 village). The token is read from
``credentials_file`` or the environment variable ``credentials_env`` when the sender
starts, never from the TOML."""
from __future__ import annotations

import json
import logging
import os
import sqlite3
from pathlib import Path

from .errors import InvalidArgument

log = logging.getLogger(__name__)

CHANNEL = "ratings"
# Table 9 item -> field name; provinces publish their own: set [ratings.push] fields
DEFAULT_FIELDS = {
    "办件编号": "projectNo", "事项编码": "taskCode", "评价渠道": "pf", "评价人": "userName",
    "评价时间": "assessTime", "评价次数": "assessNumber", "满意度": "satisfaction",
    "满意度代码": "alternate", "文字评价": "writingEvaluation", "行政区划": "areaCode",
    "问题选项": "appraisald",
}


def region(code: str, digits: int) -> str:
    """``code`` (6, 9 or 12 digits) at ``digits`` length: cut to its first digits, or padded with 0."""
    if not (code.isascii() and code.isdigit() and len(code) in (6, 9, 12)):
        raise InvalidArgument(f"region code {code!r} must be 6, 9 or 12 digits",
                              zh=f"行政区划代码“{code}”须为 6、9 或 12 位数字")
    return code[:digits].ljust(digits, "0")


def platform_level(level: int, direction: str) -> int:
    return level if direction == "descending" else 6 - level


def payload(item: dict, push) -> dict:
    """One Table 9 record (``rating_export.table9`` with its extras) as the platform's fields."""
    names = {**DEFAULT_FIELDS, **push.fields}
    out = {}
    for key, value in item.items():
        if key not in names:
            continue
        if key == "满意度代码":
            value = platform_level(int(value), push.level_direction)
        elif key == "行政区划" and value:
            value = region(value, push.region_digits)
        elif key == "评价渠道":
            value = push.channels.get(value, value)
        out[names[key]] = value
    return out


def enqueue_rating(c: sqlite3.Connection, config, rating_id: int) -> int:
    """Queue the rating for the platform (one record per case); nothing when no push is set."""
    push = config.ratings.push
    if not push.url:
        return 0
    from . import outbox
    from .rating_export import rating_items
    n = 0
    for item in rating_items(c, config, rating_id):
        key = f"{item['办件编号']}:{item['评价次数']}"
        n += outbox.enqueue(c, CHANNEL, payload(item, push), key)
    return n


def read_token(push, env=os.environ) -> str:
    """The platform token: ``credentials_file``'s first line, else ``$credentials_env``."""
    if push.credentials_file:
        path = Path(push.credentials_file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as e:
            raise InvalidArgument(f"{path}: cannot read the push credentials ({e.strerror or e})",
                                  zh=f"{path}：无法读取好差评推送凭据") from None
        if not lines or not lines[0].strip():
            raise InvalidArgument(f"{path}: line 1 should hold the push token; the file is empty",
                                  zh=f"{path}：第 1 行应为推送令牌，文件是空的")
        return lines[0].strip()
    return env.get(push.credentials_env, "").strip() if push.credentials_env else ""


def accept_answer(push):
    """``accept(response)`` for the outbox: an error text for a 2xx whose ``ok_field`` says no."""
    def accept(response) -> str | None:
        if not push.ok_field:
            return None
        try:
            body = response.json()
        except (ValueError, json.JSONDecodeError):
            return f"the platform answered {response.status_code} without JSON"
        value = body.get(push.ok_field) if isinstance(body, dict) else None
        if str(value) not in push.ok_values:
            msg = body.get("msg") or body.get("message") or "" if isinstance(body, dict) else ""
            return f"the platform refused: {push.ok_field}={value!r} {msg}".strip()
        return None
    return accept


def destinations(config) -> dict:
    """The outbox destination of the ``ratings`` channel (hall.outbox.DESTINATION_FACTORIES)."""
    push = config.ratings.push
    if not push.url:
        return {}
    from .outbox import Destination
    try:
        token = read_token(push)
    except InvalidArgument as e:  # the records wait (pending) until the file is fixed; diag check says so
        log.error("provincial 好差评 push not started: %s", e)
        return {}
    headers = {}
    if token:
        headers[push.auth_header] = f"{push.auth_scheme} {token}".strip()
    return {CHANNEL: Destination(push.url, headers=headers, timeout_s=push.timeout_s, accept=accept_answer(push))}


def push_state(queue, config) -> dict:
    """The ``ratings`` channel of the outbox: what `diag check` and the manager's page show."""
    push = config.ratings.push
    out = {"configured": bool(push.url), "url": push.url, "pending": 0, "sent": 0, "failing": 0,
           "oldest_pending_at": None, "last_error": None}
    with queue._lock:
        c = queue._conn
        if not c.execute("SELECT 1 FROM sqlite_schema WHERE name = 'outbox'").fetchone():
            return out
        from . import outbox
        for row in outbox.status(c):
            if row["channel"] == CHANNEL:
                out.update({k: row[k] for k in ("pending", "sent", "failing", "oldest_pending_at", "last_error")})
    return out
