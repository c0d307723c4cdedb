"""A manager's actions on the hall, each recorded with who and why.

Every action runs the queue's own operation (so screens, boards, voice and keypads
follow it as they follow a keypad) and writes a ``manage_action`` event in the same
transaction: ``{"action", "target", "why", "by", "by_name"}``. What only a manager
does has its own small operation here: stop or restart issuing a service for the day
(暂停取号, the reason shown on the kiosks), open a closed window, move a waiting ticket,
and the notice on the hall screen and boards (``hall_notice``).
"""
from __future__ import annotations

import json
import sqlite3

from .clock import business_day
from .errors import InvalidArgument, UnknownTicket, WindowNotReady
from .issue_stops import issue_stop, issue_stops
from .queue import HallQueue, PAUSE_REASONS, STATUS_ZH

ACTIONS = {  # action -> (zh, en)
    "pause": ("暂停窗口", "pause a window"), "resume": ("恢复窗口", "resume a window"),
    "open": ("开放窗口", "open a window for the day"), "close": ("关闭窗口", "close a window for the day"),
    "transfer": ("转移号", "transfer a ticket"), "cancel": ("取消号", "cancel a ticket"),
    "reactivate": ("过号重排", "re-activate a no-show"), "stop_issuing": ("暂停取号", "stop issuing"),
    "restart_issuing": ("恢复取号", "restart issuing"), "notice": ("大厅通知", "hall notice"),
    "clear_notice": ("撤下通知", "clear the hall notice"), "limit": ("修改限值", "change a limit"),
    "ack": ("确认告警", "acknowledge an alarm"),
    "staff_add": ("添加人员", "add a staff account"), "staff_password": ("重设密码", "set a password"),
    "staff_disable": ("停用人员", "disable a staff account"), "staff_enable": ("启用人员", "enable a staff account"),
    "device_add": ("添加设备", "enrol a device"), "device_revoke": ("吊销设备", "revoke a device"),
}
MAX_WHY = 200
MAX_NOTICE = 120


def check_why(why: str | None) -> str:
    why = (why or "").strip()
    if not why:
        raise InvalidArgument("say why (it is recorded with your name)", zh="请填写原因（将与您的工号一起记录）")
    if len(why) > MAX_WHY:
        raise InvalidArgument(f"the reason is longer than {MAX_WHY} characters", zh=f"原因超过 {MAX_WHY} 个字")
    if not why.isprintable():  # NUL, escape sequences, right-to-left overrides in the action record
        raise InvalidArgument("the reason holds control characters", zh="原因中含有无法显示的字符")
    return why


class ManagerActions:
    """The actions of one manager (``by`` their 工号, ``by_name`` their name) on ``queue``."""

    def __init__(self, queue: HallQueue, by: str, by_name: str = ""):
        self.queue, self.by, self.by_name = queue, by, by_name

    def _record(self, action: str, target: str, why: str, window: int | None = None, **data) -> None:
        self.queue.log_event("manage_action", window, action=action, target=target, why=why, by=self.by,
                             by_name=self.by_name, **data)

    # -- windows ------------------------------------------------------------------------
    def pause(self, window: int, why: str, reason: str | None = None):
        why = check_why(why)
        with self.queue.transaction():
            state = self.queue.pause(window, reason)
            self._record("pause", f"window:{window}", why, window, pause_reason=reason)
        return state

    def resume(self, window: int, why: str):
        why = check_why(why)
        with self.queue.transaction():
            state = self.queue.resume(window)
            self._record("resume", f"window:{window}", why, window)
        return state

    def close_window(self, window: int, why: str):
        """Closed for the day: the staff logged out, the current ticket finished, no calls."""
        why = check_why(why)
        with self.queue.transaction():
            if self.queue.window_state(window).state == "closed":
                raise WindowNotReady(f"window {window} is already closed", zh=f"{window}号窗口已关闭")
            state = self.queue.logout(window)
            self._record("close", f"window:{window}", why, window)
        return state

    def open_window(self, window: int, why: str):
        """A closed window opens (idle) without a staff login: its keypad can call again."""
        why = check_why(why)
        with self.queue.transaction() as (c, now):
            if self.queue.window_state(window).state != "closed":
                raise WindowNotReady(f"window {window} is not closed", zh=f"{window}号窗口未关闭")
            c.execute("UPDATE windows SET state = 'idle', pause_reason = NULL, updated_at = ? WHERE number = ?",
                      (now.timestamp(), window))
            self.queue.log_event("window_opened", window, by=self.by)
            self._record("open", f"window:{window}", why, window)
        return self.queue.window_state(window)

    # -- tickets ------------------------------------------------------------------------
    def _today_ticket(self, c: sqlite3.Connection, now, number: str) -> sqlite3.Row:
        row = c.execute("SELECT * FROM tickets WHERE day = ? AND number = ?",
                        (business_day(now), number.strip().upper())).fetchone()
        if row is None:
            raise UnknownTicket(f"no ticket {number} today", zh=f"今天没有 {number} 号")
        return row

    def transfer(self, number: str, why: str, to_service: str | None = None, to_window: int | None = None):
        """Move a ticket: the one being served at a window (as its TRANSFER key), or a waiting one
        (to the front of the other service, or to one window only)."""
        why = check_why(why)
        q = self.queue
        with q.transaction() as (c, now):
            row = self._today_ticket(c, now, number)
            if row["status"] == "called" and row["window"] is not None:
                ticket = q.transfer(row["window"], to_service=to_service, to_window=to_window)
            elif row["status"] == "waiting":
                ticket = self._move_waiting(c, now, row, to_service, to_window)
            else:
                raise InvalidArgument(f"ticket {row['number']} is {row['status']}: only a waiting or called "
                                      "ticket can be transferred",
                                      zh=f"{row['number']}号{STATUS_ZH.get(row['status'], row['status'])}，不能转移")
            self._record("transfer", f"ticket:{row['number']}", why, to_service=to_service, to_window=to_window)
        return ticket

    def _move_waiting(self, c, now, row, to_service, to_window):
        q = self.queue
        if (to_service is None) == (to_window is None):
            raise InvalidArgument("transfer needs exactly one of a target service or a target window",
                                  zh="转移须指定一个目标业务或一个目标窗口（只能选一个）")
        if to_service is not None:
            q._service(to_service)
        if to_window is not None:
            q._window_row(c, to_window)
        c.execute("UPDATE tickets SET service = ?, lane = 0, sort_key = ?, target_window = ?, "
                  "transfers = transfers + 1 WHERE id = ?",
                  (to_service or row["service"], now.timestamp(), to_window, row["id"]))
        moved = q._ticket_row(c, row["id"])
        q._event(c, now, "transferred", None, moved, to_service=to_service, to_window=to_window,
                 from_service=row["service"], waiting=True)
        return q._ticket(moved)

    def cancel(self, number: str, why: str):
        why = check_why(why)
        with self.queue.transaction() as (c, now):
            row = self._today_ticket(c, now, number)
            ticket = self.queue.cancel(row["id"], "manager")
            self._record("cancel", f"ticket:{row['number']}", why)
        return ticket

    def reactivate(self, number: str, why: str):
        why = check_why(why)
        with self.queue.transaction():
            ticket = self.queue.reactivate(number)
            self._record("reactivate", f"ticket:{ticket.number}", why)
        return ticket

    # -- issuing ------------------------------------------------------------------------
    def stop_issuing(self, service: str, why: str) -> dict:
        """暂停取号 for the rest of today: kiosks show ``why``; tickets already taken are served."""
        why = check_why(why)
        svc = self.queue._service(service)
        with self.queue.transaction() as (c, now):
            day = business_day(now)
            if c.execute("SELECT 1 FROM issue_stops WHERE day = ? AND service = ? AND restarted_at IS NULL",
                         (day, svc.code)).fetchone():
                raise InvalidArgument(f"issuing of {svc.code} is already stopped", zh=f"{svc.name}已暂停取号")
            c.execute("INSERT INTO issue_stops (day, service, reason, stopped_by, stopped_at) VALUES (?, ?, ?, ?, ?)",
                      (day, svc.code, why, self.by, now.timestamp()))
            self.queue.log_event("issue_stopped", None, service=svc.code, service_name=svc.name, reason=why)
            self._record("stop_issuing", f"service:{svc.code}", why)
        return {"service": svc.code, "stopped": True, "reason": why}

    def restart_issuing(self, service: str, why: str) -> dict:
        why = check_why(why)
        svc = self.queue._service(service)
        with self.queue.transaction() as (c, now):
            n = c.execute("UPDATE issue_stops SET restarted_by = ?, restarted_at = ? WHERE day = ? AND service = ? "
                          "AND restarted_at IS NULL", (self.by, now.timestamp(), business_day(now), svc.code)).rowcount
            if not n:
                raise InvalidArgument(f"issuing of {svc.code} is not stopped", zh=f"{svc.name}没有暂停取号")
            self.queue.log_event("issue_restarted", None, service=svc.code, service_name=svc.name)
            self._record("restart_issuing", f"service:{svc.code}", why)
        return {"service": svc.code, "stopped": False, "reason": None}

    # -- the hall notice ----------------------------------------------------------------
    def notice(self, text: str, why: str, text_en: str = "", minutes: float | None = None) -> dict:
        """Show ``text`` on the hall screen and the LED boards instead of the configured notice
        (until cleared, the end of the day, or ``minutes``)."""
        why = check_why(why)
        text, text_en = (text or "").strip(), (text_en or "").strip()
        if not text:
            raise InvalidArgument("the notice is empty", zh="通知内容为空")
        if len(text) > MAX_NOTICE or len(text_en) > MAX_NOTICE * 2:
            raise InvalidArgument(f"the notice is longer than {MAX_NOTICE} characters", zh=f"通知超过 {MAX_NOTICE} 个字")
        if minutes is not None and not 0 < minutes <= 24 * 60:
            raise InvalidArgument("minutes must be between 1 and 1440", zh="显示时长须在 1 到 1440 分钟之间")
        with self.queue.transaction() as (c, now):
            until = now.timestamp() + minutes * 60 if minutes else None
            self.queue.log_event("hall_notice", None, text=text, text_en=text_en, until=until)
            self._record("notice", "hall", why, text=text)
        return {"text": text, "text_en": text_en, "until": until}

    def clear_notice(self, why: str) -> dict:
        why = check_why(why)
        with self.queue.transaction():
            self.queue.log_event("hall_notice", None, text="", text_en="", until=None)
            self._record("clear_notice", "hall", why)
        return {"text": "", "text_en": "", "until": None}


def actions(conn: sqlite3.Connection, day: str) -> list[dict]:
    """Every manager action of ``day``, newest first."""
    out = []
    for event_id, at, window, data in conn.execute(
            "SELECT id, at, window, data FROM events WHERE day = ? AND kind = 'manage_action' ORDER BY id DESC",
            (day,)):
        d = json.loads(data or "{}")
        zh, en = ACTIONS.get(d.get("action"), (d.get("action"), d.get("action")))
        out.append({"id": event_id, "at": at, "window": window, "label": zh, "label_en": en, **d})
    return out


__all__ = ["ACTIONS", "ManagerActions", "PAUSE_REASONS", "actions", "check_why", "issue_stop", "issue_stops"]
