"""好差评: cases (办件), ratings with their channels, and the 未评价 rule (docs/ratings.md).

A rating's ``level`` is the national 满意度代码 of GB/T 39046-2020: 1 非常满意, 2 满意,
3 基本满意, 4 不满意, 5 非常不满意. The window evaluator and keypads keep their 1–5
*score* (5 非常满意 … 1 非常不满意, ``HallQueue.rate(window, score)``): it is stored as
``level = 6 - score`` with the channel 政务大厅其他终端. Every other channel rates with
``HallQueue.rate_ticket(ticket_id, level, channel, problems=(), text="", rater="")`` (the
phone page: channel ``qrcode`` 二维码 or ``mobile`` 移动服务端; staff typing a phone
call: ``phone`` 电话). One evaluation per case (评价次数 1) and one 追加评价 (2) within
``[ratings] append_days``; ``level=None`` adds the problem options and text to the
case's latest rating (the evaluator gave the level, the phone or tablet the reasons).
A served ticket nobody rated stays 未评价: no rating row is written for it, it is never
counted or pushed as 满意. A 不满意/非常不满意 opens a follow-up (hall/followups.py)
and every rating is queued for the provincial platform (hall/rating_push.py) in the
same transaction. Cases: a ticket carries the 办件编号 the business system or the
software caller attached (``attach_case``), else one hall-local number."""
from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta

from .errors import InvalidArgument, UnknownTicket, WindowNotReady

LEVELS = {1: "非常满意", 2: "满意", 3: "基本满意", 4: "不满意", 5: "非常不满意"}
LEVELS_EN = {1: "very satisfied", 2: "satisfied", 3: "fairly satisfied", 4: "dissatisfied",
             5: "very dissatisfied"}
GOOD, BAD = (1, 2, 3), (4, 5)
SCORES = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}  # the evaluator's keys
# GB/T 39046-2020 评价渠道 names; the key is what the API and the code use
CHANNELS = {
    "web": "政务服务网",
    "mobile": "移动服务端",
    "terminal": "政务大厅其他终端",  # the window evaluator, the window tablet
    "qrcode": "二维码",
    "sms": "短信",
    "phone": "电话",
}
CASE_NO = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_\-./]{0,63}$")
MAX_TEXT = 500


def level_from_score(score: int) -> int:
    """The evaluator's score (5 非常满意 … 1 非常不满意) as the national level."""
    return 6 - score


def channel_key(channel: str) -> str:
    """``"qrcode"`` or ``"二维码"`` -> ``"qrcode"``; a clear refusal for anything else."""
    if channel in CHANNELS:
        return channel
    for key, name in CHANNELS.items():
        if channel == name:
            return key
    raise InvalidArgument(f"unknown rating channel {channel!r}; one of {', '.join(CHANNELS)}",
                          zh=f"没有评价渠道 {channel}，应为 {'、'.join(CHANNELS.values())} 之一")


def local_case_no(config, day: str, number: str) -> str:
    """The hall-local 办件编号 of a ticket without one: prefix + YYYYMMDD + ticket number."""
    r = config.ratings
    prefix = r.case_prefix or f"JH{r.region_code}"
    return f"{prefix}{day.replace('-', '')}{number}"


def item_code_of(config, service: str) -> str:
    """事项编码 of a service: the config's ``item_code`` (the guide's when it has one)."""
    svc = next((s for s in config.services if s.code == service), None)
    return getattr(svc, "item_code", "") if svc is not None else ""


def rating_json(row: sqlite3.Row, number: str, followup: int | None = None) -> dict:
    return {"id": row["id"], "ticket_id": row["ticket_id"], "number": number, "seq": row["seq"],
            "level": row["level"], "level_name": LEVELS[row["level"]], "channel": row["channel"],
            "channel_name": CHANNELS.get(row["channel"], row["channel"]), "rater": row["rater"],
            "problems": json.loads(row["problems"]), "text": row["text"],
            "at": datetime.fromtimestamp(row["at"]).isoformat(timespec="seconds"), "followup": followup}


class RatingOps:
    """Rating and case operations of :class:`hall.queue.HallQueue` (a mixin: it uses the
    queue's transaction and ticket helpers)."""

    def rate(self, window: int, score: int):
        """Record a 好差评 score (5 非常满意 … 1 非常不满意) for the ticket just served at ``window``."""
        if not isinstance(score, int) or score not in SCORES:
            raise InvalidArgument(f"score must be 1-5 ({', '.join(f'{k} {v}' for k, v in SCORES.items())})",
                                  zh=f"评价须为 1-5（{'，'.join(f'{k} {v}' for k, v in SCORES.items())}）")
        with self._tx() as (c, now):
            w = self._window_row(c, window)
            ticket_id = w["last_ticket"]  # the last ticket finished here; never one still being served
            if ticket_id is None:
                if w["current_ticket"] is not None:
                    number = self._ticket_row(c, w["current_ticket"])["number"]
                    raise WindowNotReady(f"ticket {number} is still being served at window {window}; "
                                         "rate it once it is finished",
                                         zh=f"{number}号仍在{window}号窗口办理中，办结后再评价")
                raise WindowNotReady(f"window {window} has no served ticket to rate", zh=f"{window}号窗口没有可评价的已办结号")
            row = self._ticket_row(c, ticket_id)
            if c.execute("SELECT 1 FROM evaluations WHERE ticket_id = ?", (ticket_id,)).fetchone():
                raise InvalidArgument(f"ticket {row['number']} is already rated", zh=f"{row['number']}号已评价过")
            call = c.execute("SELECT id, staff FROM calls WHERE ticket_id = ? AND window = ? "
                             "ORDER BY id DESC LIMIT 1", (ticket_id, window)).fetchone()
            c.execute("INSERT INTO evaluations (ticket_id, call_id, day, window, staff, score, at) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)", (ticket_id, call["id"] if call else None, row["day"],
                                                       window, call["staff"] if call else None, score,
                                                       now.timestamp()))
            # the case's rating (hall/ratings.py): level = 6 - score, channel 政务大厅其他终端
            level = level_from_score(score)
            self._record_rating(c, now, row, level, "terminal", [], "", "", window,
                                call["staff"] if call else None, evaluation=False)
            self._event(c, now, "rated", window, row, score=score, label=SCORES[score], level=level,
                        channel="terminal")
            return self._ticket(row)

    def rate_ticket(self, ticket_id: int, level: int | None, channel: str, problems=(), text: str = "",
                    rater: str = "") -> dict:
        """Rate a served ticket on ``channel`` (see the module note); the rating as a dict."""
        key = channel_key(channel)
        problems = list(problems or ())
        text = (text or "").strip()
        self._check_rating_input(level, problems, text, rater)
        with self._tx() as (c, now):
            row = self._ticket_row(c, ticket_id)
            if row["status"] != "finished":
                raise InvalidArgument(f"ticket {row['number']} has not been served yet; it can be rated once "
                                      "it is finished", zh=f"{row['number']}号尚未办结，办结后才能评价")
            if level is None:
                return self._detail_rating(c, now, row, problems, text)
            call = c.execute("SELECT staff FROM calls WHERE ticket_id = ? AND window = ? ORDER BY id DESC LIMIT 1",
                             (ticket_id, row["window"])).fetchone()
            return self._record_rating(c, now, row, level, key, problems, text, rater, row["window"],
                                       call["staff"] if call else row["staff"], evaluation=True)

    def _check_rating_input(self, level, problems: list, text: str, rater: str) -> None:
        if level is not None and (not isinstance(level, int) or isinstance(level, bool) or level not in LEVELS):
            raise InvalidArgument("level must be 1-5 (满意度代码: " + ", ".join(f"{k} {v}" for k, v in LEVELS.items()) + ")",
                                  zh="满意度代码须为 1-5（" + "，".join(f"{k} {v}" for k, v in LEVELS.items()) + "）")
        allowed = self.config.ratings.problems
        for p in problems:
            if p not in allowed:
                raise InvalidArgument(f"unknown problem option {p!r}; one of {', '.join(allowed)}",
                                      zh=f"没有问题选项“{p}”，应为 {'、'.join(allowed)} 之一")
        if len(set(problems)) != len(problems):
            raise InvalidArgument("a problem option is given twice", zh="问题选项重复")
        if problems and level is not None and level not in BAD:
            raise InvalidArgument("problem options go with 不满意 or 非常不满意 only",
                                  zh="只有“不满意”“非常不满意”才选择问题")
        if len(text) > MAX_TEXT:
            raise InvalidArgument(f"text is longer than {MAX_TEXT} characters", zh=f"文字评价超过 {MAX_TEXT} 字")
        if len(rater) > 64:
            raise InvalidArgument("rater is longer than 64 characters", zh="评价人超过 64 个字符")
        if not all(ch.isprintable() or ch in "\n\t" for ch in text) or not rater.isprintable():
            # NUL and escapes went into the GB/T 39046 CSV and the provincial push
            raise InvalidArgument("the text holds control characters", zh="评价内容中含有无法显示的字符")

    def _record_rating(self, c: sqlite3.Connection, now: datetime, row: sqlite3.Row, level: int, channel: str,
                       problems: list, text: str, rater: str, window: int | None, staff: str | None,
                       evaluation: bool) -> dict:
        """Write the case's evaluation or its 追加评价, and what follows from it."""
        prior = c.execute("SELECT * FROM ratings WHERE ticket_id = ? ORDER BY seq", (row["id"],)).fetchall()
        if len(prior) >= 2:
            raise InvalidArgument(f"ticket {row['number']} has been rated and rated again already",
                                  zh=f"{row['number']}号已评价并追加评价过，不能再评价")
        seq = len(prior) + 1
        if seq == 2:
            days = self.config.ratings.append_days
            if now.timestamp() > prior[0]["at"] + timedelta(days=days).total_seconds():
                raise InvalidArgument(f"ticket {row['number']} was rated more than {days} days ago; "
                                      "it can no longer be rated again",
                                      zh=f"{row['number']}号的评价已超过 {days} 天，不能再追加评价")
        elif evaluation and not c.execute("SELECT 1 FROM evaluations WHERE ticket_id = ?", (row["id"],)).fetchone():
            # the queue's own table (reports, the evaluator) keeps its 1-5 score
            c.execute("INSERT INTO evaluations (ticket_id, call_id, day, window, staff, score, at) VALUES "
                      "(?, (SELECT max(id) FROM calls WHERE ticket_id = ?), ?, ?, ?, ?, ?)",
                      (row["id"], row["id"], row["day"], window or 0, staff, 6 - level, now.timestamp()))
        rid = c.execute("INSERT INTO ratings (ticket_id, seq, level, channel, rater, problems, text, day, window, "
                        "staff, service, at, detailed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (row["id"], seq, level, channel, rater, json.dumps(problems, ensure_ascii=False), text,
                         row["day"], window, staff, row["origin_service"], now.timestamp(),
                         now.timestamp() if (problems or text) else None)).lastrowid
        followup = None
        if level in BAD:
            followup = self._open_followup(c, now, row, rid)
        from . import rating_push
        rating_push.enqueue_rating(c, self.config, rid)
        rating = c.execute("SELECT * FROM ratings WHERE id = ?", (rid,)).fetchone()
        if seq == 2:
            self._event(c, now, "rated_again", window, row, level=level, label=LEVELS[level], channel=channel)
        elif evaluation:  # (the evaluator's own rate() writes its "rated" event)
            self._event(c, now, "rated", window, row, score=6 - level, label=LEVELS[level], level=level,
                        channel=channel)
        return rating_json(rating, row["number"], followup)

    def _detail_rating(self, c: sqlite3.Connection, now: datetime, row: sqlite3.Row, problems: list,
                       text: str) -> dict:
        rating = c.execute("SELECT * FROM ratings WHERE ticket_id = ? ORDER BY seq DESC LIMIT 1",
                           (row["id"],)).fetchone()
        if rating is None:
            raise InvalidArgument(f"ticket {row['number']} has no rating to add reasons to; give a level",
                                  zh=f"{row['number']}号还没有评价，请先选择满意程度")
        if not problems and not text:
            raise InvalidArgument("give problem options or a text", zh="请选择问题或填写文字评价")
        if rating["detailed_at"] is not None:
            raise InvalidArgument(f"the reasons for ticket {row['number']}'s rating were given already",
                                  zh=f"{row['number']}号的评价已补充过问题和文字")
        if problems and rating["level"] not in BAD:
            raise InvalidArgument("problem options go with 不满意 or 非常不满意 only",
                                  zh="只有“不满意”“非常不满意”才选择问题")
        c.execute("UPDATE ratings SET problems = ?, text = ?, detailed_at = ? WHERE id = ?",
                  (json.dumps(problems, ensure_ascii=False), text, now.timestamp(), rating["id"]))
        self._event(c, now, "rating_detailed", rating["window"], row, problems=problems, text=text)
        rating = c.execute("SELECT * FROM ratings WHERE id = ?", (rating["id"],)).fetchone()
        f = c.execute("SELECT id FROM followups WHERE ticket_id = ?", (row["id"],)).fetchone()
        return rating_json(rating, row["number"], f[0] if f else None)

    # -- cases ----------------------------------------------------------------------------
    def attach_case(self, ticket_id: int, case_no: str, item_code: str = "", source: str = "api",
                    by: str = "") -> dict:
        """Attach a 办件编号 (and 事项编码) to a called or served ticket."""
        case_no = (case_no or "").strip()
        item_code = (item_code or "").strip()
        if not CASE_NO.match(case_no):
            raise InvalidArgument(f"case number {case_no!r} must be 1-64 letters, digits or - _ . /",
                                  zh=f"办件编号“{case_no}”须为 1-64 位字母、数字或 - _ . /")
        if len(item_code) > 64:
            raise InvalidArgument("item code is longer than 64 characters", zh="事项编码超过 64 个字符")
        if source not in ("api", "caller"):
            raise InvalidArgument("source must be api or caller", zh="来源须为 api 或 caller")
        with self._tx() as (c, now):
            row = self._ticket_row(c, ticket_id)
            if row["status"] not in ("called", "finished"):
                raise InvalidArgument(f"ticket {row['number']} is not being or been served",
                                      zh=f"{row['number']}号未在办理也未办结，不能登记办件")
            other = c.execute("SELECT * FROM cases WHERE case_no = ?", (case_no,)).fetchone()
            if other is not None:
                if other["ticket_id"] != row["id"]:
                    raise InvalidArgument(f"case number {case_no} belongs to another ticket already",
                                          zh=f"办件编号 {case_no} 已登记在另一个号上")
                if item_code and item_code != other["item_code"]:
                    c.execute("UPDATE cases SET item_code = ? WHERE id = ?", (item_code, other["id"]))
            else:
                c.execute("INSERT INTO cases (ticket_id, case_no, item_code, source, by, at) VALUES (?, ?, ?, ?, ?, ?)",
                          (row["id"], case_no, item_code, source, by, now.timestamp()))
                self._event(c, now, "case_attached", row["window"], row, case_no=case_no, item_code=item_code)
            return {"ticket_id": row["id"], "number": row["number"], "cases": self._cases(c, row)}

    def _cases(self, c: sqlite3.Connection, row: sqlite3.Row) -> list[dict]:
        default_item = item_code_of(self.config, row["origin_service"])
        rows = c.execute("SELECT case_no, item_code, source FROM cases WHERE ticket_id = ? ORDER BY id",
                         (row["id"],)).fetchall()
        if not rows:
            return [{"case_no": local_case_no(self.config, row["day"], row["number"]), "item_code": default_item,
                     "source": "local"}]
        return [{"case_no": r["case_no"], "item_code": r["item_code"] or default_item, "source": r["source"]}
                for r in rows]

    def ticket_rating(self, ticket_id: int) -> dict:
        """A ticket's cases, ratings and follow-up: what the phone and tablet pages show."""
        with self._lock:
            c = self._conn
            row = c.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
            if row is None:
                raise UnknownTicket(f"no ticket with id {ticket_id}", zh=f"没有编号为 {ticket_id} 的票")
            ratings = c.execute("SELECT * FROM ratings WHERE ticket_id = ? ORDER BY seq", (ticket_id,)).fetchall()
            f = c.execute("SELECT id FROM followups WHERE ticket_id = ?", (ticket_id,)).fetchone()
            rated = [rating_json(r, row["number"]) for r in ratings]
            can_append = (len(rated) == 1 and self.clock().timestamp()
                          <= ratings[0]["at"] + self.config.ratings.append_days * 86400)
            return {"ticket_id": row["id"], "number": row["number"], "status": row["status"],
                    "window": row["window"], "cases": self._cases(c, row), "ratings": rated,
                    "state": "rated" if rated else ("unrated" if row["status"] == "finished" else "not_served"),
                    "can_rate": row["status"] == "finished" and (not rated or can_append),
                    "can_detail": bool(rated) and ratings[-1]["detailed_at"] is None,
                    "followup": f[0] if f else None, "problems": list(self.config.ratings.problems)}

    # -- reads for exports and reports (a read-only queue answers them too) ----------------
    def rating_records(self, start=None, end=None, unrated: bool = False) -> list[dict]:
        """Table 9 records (hall/rating_export.py) of the ratings given from ``start`` to ``end``."""
        from .rating_export import records
        with self._lock:
            return records(self._conn, self.config, start, end, unrated)

    def rating_indicators(self, start, end, by: str = "hall") -> list[dict]:
        """好评率 … 回访率 per group (hall/rating_indicators.py)."""
        from .rating_indicators import indicators
        with self._lock:
            return indicators(self._conn, self.config, start, end, by)
