"""差评 follow-ups (整改): every 不满意/非常不满意 is verified, rectified and called back.

States: 待核实 → 核实中 → 整改中 → 已整改 → 已回访, with 申诉 (the rating is wrong or
malicious: requested, then approved = 申诉成立, closed; or rejected = back where it
was), 无法整改 (requested, approved = 无法整改, then called back; or rejected) and
延期 (the rectification deadline moved once, by at most ``max_extend_days``). Every
step records who, when and what (``followup_steps``); a step the state does not allow
is refused with a sentence saying what is allowed.

Deadlines are working days on China's calendar (hall/workdays.py) from the day of the
差评: the citizen is contacted (核实 starts) by the end of ``callback_days`` (1), the
problem rectified by the end of ``rectify_days`` (15). A follow-up is *due soon* from
``warn_days`` (2) working days before its deadline and *overdue* after it."""
from __future__ import annotations

import sqlite3
from datetime import date, datetime

from .clock import business_day
from .damaged_rows import readable
from .errors import InvalidArgument, UnknownTicket

STATES = {
    "pending": "待核实", "verifying": "核实中", "rectifying": "整改中", "rectified": "已整改",
    "called_back": "已回访", "appeal": "申诉待审核", "appeal_approved": "申诉成立",
    "unfixable_requested": "无法整改待审核", "unfixable": "无法整改",
}
CLOSED = frozenset({"called_back", "appeal_approved"})
# action -> (states it may start from, the state it leads to; None: back to resume_state / unchanged)
ACTIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "verify": (frozenset({"pending"}), "verifying"),
    "rectify": (frozenset({"verifying"}), "rectifying"),
    "done": (frozenset({"verifying", "rectifying"}), "rectified"),  # 立行立改: straight from 核实中
    "call_back": (frozenset({"rectified", "unfixable"}), "called_back"),
    "appeal": (frozenset({"pending", "verifying", "rectifying"}), "appeal"),
    "approve_appeal": (frozenset({"appeal"}), "appeal_approved"),
    "reject_appeal": (frozenset({"appeal"}), None),
    "request_unfixable": (frozenset({"verifying", "rectifying"}), "unfixable_requested"),
    "approve_unfixable": (frozenset({"unfixable_requested"}), "unfixable"),
    "reject_unfixable": (frozenset({"unfixable_requested"}), None),
    "extend": (frozenset({"verifying", "rectifying"}), None),
}
ACTIONS_ZH = {"verify": "开始核实（已联系评价人）", "rectify": "开始整改", "done": "整改完成", "call_back": "回访",
              "appeal": "申诉", "approve_appeal": "申诉成立", "reject_appeal": "驳回申诉",
              "request_unfixable": "申请无法整改", "approve_unfixable": "同意无法整改",
              "reject_unfixable": "驳回无法整改", "extend": "延期"}
# decisions a manager takes (the API lets only managers take any step; the CLI records who)
APPROVALS = frozenset({"approve_appeal", "reject_appeal", "approve_unfixable", "reject_unfixable", "extend"})


def work_calendar(config):
    from .workdays import WorkCalendar
    return WorkCalendar.from_config(config)


def deadline_state(cal, today: date, due: date, warn_days: int, soon_before: date | None = None) -> str:
    """``"overdue"`` after the due day, ``"due_soon"`` within ``warn_days`` working days, else ``"ok"``.
    ``soon_before``: ``cal.add_workdays(today, warn_days + 1)``, when many are asked for one day."""
    if today > due:
        return "overdue"
    if soon_before is None:
        soon_before = cal.add_workdays(today, warn_days + 1)
    # at most warn_days working days in (today, due]: due is before the (warn_days + 1)-th one
    return "due_soon" if due < soon_before else "ok"


def allowed_actions(state: str) -> list[str]:
    return [a for a, (starts, _) in ACTIONS.items() if state in starts]


class FollowupOps:
    """Follow-up operations of :class:`hall.queue.HallQueue` (a mixin)."""

    def _open_followup(self, c: sqlite3.Connection, now: datetime, row: sqlite3.Row, rating_id: int) -> int:
        """Open the ticket's follow-up for a 差评 (an existing one stays: one per case)."""
        f = c.execute("SELECT id FROM followups WHERE ticket_id = ?", (row["id"],)).fetchone()
        if f is not None:
            return f[0]
        r = self.config.ratings
        cal = work_calendar(self.config)
        today = now.date()
        fid = c.execute("INSERT INTO followups (ticket_id, rating_id, state, opened_at, day, callback_due, "
                        "rectify_due) VALUES (?, ?, 'pending', ?, ?, ?, ?)",
                        (row["id"], rating_id, now.timestamp(), business_day(now),
                         cal.add_workdays(today, r.callback_days).isoformat(),
                         cal.add_workdays(today, r.rectify_days).isoformat())).lastrowid
        c.execute("INSERT INTO followup_steps (followup_id, action, from_state, to_state, by, note, at) "
                  "VALUES (?, 'open', '', 'pending', 'system', '差评', ?)", (fid, now.timestamp()))
        self._event(c, now, "followup_opened", row["window"], row, followup=fid)
        return fid

    def followup_step(self, followup_id: int, action: str, by: str, note: str, days: int | None = None) -> dict:
        """Take one step of a follow-up; a step its state does not allow is refused."""
        if action not in ACTIONS:
            raise InvalidArgument(f"unknown follow-up step {action!r}; one of {', '.join(ACTIONS)}",
                                  zh=f"没有整改步骤 {action}，应为 {'、'.join(ACTIONS)} 之一")
        by, note = (by or "").strip(), (note or "").strip()
        if not by:
            raise InvalidArgument("say who takes the step (工号)", zh="请填写办理人工号")
        if not note:
            raise InvalidArgument("say what was done (a note)", zh="请填写办理情况说明")
        if len(note) > 1000 or len(by) > 64:
            raise InvalidArgument("note at most 1000 characters, who at most 64", zh="说明不超过 1000 字，工号不超过 64 字符")
        with self._tx() as (c, now):
            f = c.execute("SELECT * FROM followups WHERE id = ?", (followup_id,)).fetchone()
            if f is None:
                raise UnknownTicket(f"no follow-up {followup_id}", zh=f"没有整改单 {followup_id}")
            state = f["state"]
            starts, to = ACTIONS[action]
            if state not in starts:
                can = allowed_actions(state)
                raise InvalidArgument(
                    f"follow-up {followup_id} is {STATES[state]} ({state}): it cannot {action}; "
                    + (f"it can: {', '.join(can)}" if can else "it is closed"),
                    zh=f"整改单 {followup_id} 当前为“{STATES[state]}”，不能{ACTIONS_ZH[action]}；"
                       + (f"可以：{'、'.join(ACTIONS_ZH[a] for a in can)}" if can else "已办结"))
            ts = now.timestamp()
            sets: dict[str, object] = {}
            if action == "extend":
                to = state
                sets.update(self._extension(f, days))
            elif to is None:
                to = f["resume_state"]
                sets["resume_state"] = None
            elif action in ("appeal", "request_unfixable"):
                sets["resume_state"] = state
            if days is not None and action != "extend":
                raise InvalidArgument("days go with extend only", zh="只有延期才填写天数")
            if action == "verify":
                sets["called_at"] = ts
            if action == "done":
                sets["rectified_at"] = ts
            if to in CLOSED:
                sets["closed_at"] = ts
            sets["state"] = to
            c.execute(f"UPDATE followups SET {', '.join(f'{k} = ?' for k in sets)} WHERE id = ?",
                      (*sets.values(), followup_id))
            c.execute("INSERT INTO followup_steps (followup_id, action, from_state, to_state, by, note, at) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)", (followup_id, action, state, to, by, note, ts))
            t = self._ticket_row(c, f["ticket_id"])
            self._event(c, now, "followup_step", t["window"], t, followup=followup_id, action=action,
                        state=to, by=by)
            return self._followup_json(c, self._followup_row(c, followup_id), now.date(), steps=True)

    def _extension(self, f: sqlite3.Row, days: int | None) -> dict:
        limit = self.config.ratings.max_extend_days
        if f["extended"]:
            raise InvalidArgument(f"follow-up {f['id']} was extended once already", zh=f"整改单 {f['id']} 已延期过一次")
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= limit:
            raise InvalidArgument(f"extend by 1-{limit} working days", zh=f"延期须为 1-{limit} 个工作日")
        due = work_calendar(self.config).add_workdays(date.fromisoformat(f["rectify_due"]), days)
        return {"rectify_due": due.isoformat(), "extended": days}

    # -- reads ------------------------------------------------------------------------------
    ROW = ("SELECT f.*, t.number, t.day AS ticket_day, t.window, t.staff, t.origin_service, r.level, "
           "r.channel, r.problems, r.text FROM followups f JOIN tickets t ON t.id = f.ticket_id "
           "JOIN ratings r ON r.id = f.rating_id")

    def _followup_row(self, c: sqlite3.Connection, fid: int) -> sqlite3.Row:
        return c.execute(self.ROW + " WHERE f.id = ?", (fid,)).fetchone()

    def _followup_json(self, c: sqlite3.Connection, f: sqlite3.Row, today: date, steps: bool = False,
                       cal=None, soon_before: date | None = None) -> dict:
        import json
        from .ratings import CHANNELS, LEVELS
        cal = cal or work_calendar(self.config)
        warn = self.config.ratings.warn_days
        state = f["state"]
        deadline, due = None, None
        if state == "pending":
            deadline, due = "callback", f["callback_due"]
        elif state in ("verifying", "rectifying", "appeal", "unfixable_requested"):
            deadline, due = "rectify", f["rectify_due"]
        flag = deadline_state(cal, today, date.fromisoformat(due), warn, soon_before) if due else "ok"
        w = self._windows.get(f["window"])
        out = {"id": f["id"], "ticket_id": f["ticket_id"], "number": f["number"], "day": f["ticket_day"],
               "window": f["window"], "department": w.department if w else "", "staff": f["staff"],
               "service": f["origin_service"], "level": f["level"], "level_name": LEVELS[f["level"]],
               "channel": CHANNELS.get(f["channel"], f["channel"]), "problems": json.loads(f["problems"]),
               "text": f["text"], "state": STATES[state], "state_key": state,
               "callback_due": f["callback_due"], "rectify_due": f["rectify_due"], "extended": f["extended"],
               "deadline": deadline, "due": due, "overdue": flag == "overdue", "due_soon": flag == "due_soon",
               "callback_late": bool(f["called_at"]) and (datetime.fromtimestamp(f["called_at"]).date()
                                                          > date.fromisoformat(f["callback_due"])),
               "closed": f["closed_at"] is not None, "actions": allowed_actions(state),
               "opened_at": datetime.fromtimestamp(f["opened_at"]).isoformat(timespec="seconds")}
        if steps:
            out["steps"] = [{"action": s["action"], "from": STATES.get(s["from_state"], ""),
                             "to": STATES[s["to_state"]], "by": s["by"], "note": s["note"],
                             "at": datetime.fromtimestamp(s["at"]).isoformat(timespec="seconds")}
                            for s in c.execute("SELECT * FROM followup_steps WHERE followup_id = ? ORDER BY id",
                                               (f["id"],))]
        return out

    def followups(self, overdue: bool = False, open_only: bool = False) -> list[dict]:
        """Every follow-up (oldest first), or only the open or the overdue ones."""
        with self._lock:
            c = self._conn
            today = self.clock().date()
            cal = work_calendar(self.config)
            soon = cal.add_workdays(today, self.config.ratings.warn_days + 1)
            where = " WHERE f.closed_at IS NULL" if (open_only or overdue) else ""
            out = readable(c.execute(self.ROW + where + " ORDER BY f.id").fetchall(),
                           lambda row: self._followup_json(c, row, today, cal=cal, soon_before=soon), "followups")
        return [f for f in out if f["overdue"]] if overdue else out

    def followup(self, followup_id: int) -> dict:
        with self._lock:
            row = self._followup_row(self._conn, followup_id)
            if row is None:
                raise UnknownTicket(f"no follow-up {followup_id}", zh=f"没有整改单 {followup_id}")
            return self._followup_json(self._conn, row, self.clock().date(), steps=True)
