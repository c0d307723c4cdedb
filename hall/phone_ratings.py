"""The phone's evaluation of a finished ticket (好差评, channel 二维码), once per ticket.

Levels are the national 满意度代码 (GB/T 39046-2020): 1 非常满意, 2 满意, 3 基本满意,
4 不满意, 5 非常不满意; 4 and 5 take problem options and a text. The rating is the
queue's 好差评 operation (``HallQueue.rate_ticket``, hall/ratings.py) with the channel
``qrcode``. A ticket already rated (at the window's evaluator, the tablet …) counts as
rated: one evaluation a case, and the phone offers none.
"""
from __future__ import annotations

import sqlite3

from .errors import InvalidArgument

LEVELS = {1: "非常满意", 2: "满意", 3: "基本满意", 4: "不满意", 5: "非常不满意"}
LEVELS_EN = {1: "Very satisfied", 2: "Satisfied", 3: "Fairly satisfied", 4: "Dissatisfied",
             5: "Very dissatisfied"}
BAD = (4, 5)
DEFAULT_PROBLEMS = ["服务态度差", "办事效率低", "多次跑动", "材料告知不清", "其他"]
MAX_TEXT = 500
CHANNEL = "qrcode"  # 二维码


def problem_options(config) -> list[str]:
    ratings = getattr(config, "ratings", None)
    return list(getattr(ratings, "problems", None) or DEFAULT_PROBLEMS)


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table' "
                                       "AND name IN ('evaluations', 'ratings')")}


def rated_ids(conn: sqlite3.Connection, ids: list[int]) -> set[int]:
    """Those of ``ids`` that have an evaluation already (any channel)."""
    ids = list(ids)
    if not ids:
        return set()
    out: set[int] = set()
    tables = _tables(conn)
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        marks = ",".join("?" * len(part))
        for table in tables:
            out |= {r[0] for r in conn.execute(f"SELECT ticket_id FROM {table} WHERE ticket_id IN ({marks})", part)}
    return out


def check(config, level: int, problems: list[str], text: str) -> tuple[int, list[str], str]:
    """The rating as given, or InvalidArgument in words."""
    if level not in LEVELS:
        raise InvalidArgument(f"level must be 1 (very satisfied) … 5 (very dissatisfied), not {level}",
                              zh="请选择一个评价等级")
    options = problem_options(config)
    text = (text or "").strip()
    if level not in BAD:
        return level, [], ""
    unknown = [p for p in problems if p not in options]
    if unknown:
        raise InvalidArgument(f"unknown problem option {unknown[0]!r}", zh=f"没有“{unknown[0]}”这一项")
    if len(text) > MAX_TEXT:
        raise InvalidArgument(f"the text is longer than {MAX_TEXT} characters",
                              zh=f"意见请不要超过{MAX_TEXT}字")
    return level, list(dict.fromkeys(problems)), text


def rate(queue, ticket_id: int, level: int, problems: list[str], text: str) -> bool:
    """Record the phone's evaluation; False when the ticket was rated already (nothing changes)."""
    level, problems, text = check(queue.config, level, problems, text)
    with queue.transaction() as (c, _now):
        if rated_ids(c, [ticket_id]):
            return False
        queue.rate_ticket(ticket_id, level, CHANNEL, problems=tuple(problems), text=text)
    return True
