"""A window's staff and state: log in, log out, pause (离岗/午休/会议) and resume, each one
short transaction with its event. Part of :class:`hall.queue.HallQueue` (a mixin over
its transaction, rows and events)."""
from __future__ import annotations

from .errors import InvalidArgument, WindowNotReady
from .models import WindowState

PAUSE_REASONS = {"away": "离岗", "lunch": "午休", "meeting": "会议"}


class WindowOps:
    """pause, resume, login, logout of :class:`hall.queue.HallQueue`."""

    def pause(self, window: int, reason: str | None = None) -> WindowState:
        if reason is not None and reason not in PAUSE_REASONS:
            raise InvalidArgument(f"pause reason must be one of {', '.join(PAUSE_REASONS)}",
                                  zh=f"暂停原因须为 {'、'.join(f'{k}（{v}）' for k, v in PAUSE_REASONS.items())} 之一")
        with self._tx() as (c, now):
            w = self._window_row(c, window)
            if w["state"] == "closed":
                raise WindowNotReady(f"window {window} is closed", zh=f"{window}号窗口未开放")
            c.execute("UPDATE windows SET state = 'paused', pause_reason = ?, updated_at = ? WHERE number = ?",
                      (reason, now.timestamp(), window))
            self._event(c, now, "paused", window, reason=reason, label=PAUSE_REASONS.get(reason, "暂停服务"))
        return self.window_state(window)

    def resume(self, window: int) -> WindowState:
        with self._tx() as (c, now):
            w = self._window_row(c, window)
            if w["state"] != "paused":
                raise WindowNotReady(f"window {window} is not paused", zh=f"{window}号窗口没有暂停")
            state = "serving" if w["current_ticket"] is not None else "idle"
            c.execute("UPDATE windows SET state = ?, pause_reason = NULL, updated_at = ? WHERE number = ?",
                      (state, now.timestamp(), window))
            self._event(c, now, "resumed", window)
        return self.window_state(window)

    def login(self, window: int, staff: str) -> WindowState:
        with self._tx() as (c, now):
            w = self._window_row(c, window)
            ts = now.timestamp()
            c.execute("UPDATE staff_sessions SET logout_at = ? WHERE window = ? AND logout_at IS NULL", (ts, window))
            c.execute("INSERT INTO staff_sessions (window, staff, login_at) VALUES (?, ?, ?)", (window, staff, ts))
            state = w["state"] if w["state"] in ("serving", "paused") else "idle"
            c.execute("UPDATE windows SET staff = ?, state = ?, updated_at = ? WHERE number = ?",
                      (staff, state, ts, window))
            self._event(c, now, "login", window, staff=staff)
        return self.window_state(window)

    def logout(self, window: int) -> WindowState:
        with self._tx() as (c, now):
            w = self._window_row(c, window)
            if w["current_ticket"] is not None:
                self._end_current(c, now, w, "finished", auto=True)
            ts = now.timestamp()
            c.execute("UPDATE staff_sessions SET logout_at = ? WHERE window = ? AND logout_at IS NULL", (ts, window))
            c.execute("UPDATE windows SET staff = NULL, state = 'closed', pause_reason = NULL, updated_at = ? "
                      "WHERE number = ?", (ts, window))
            self._event(c, now, "logout", window, staff=w["staff"])
        return self.window_state(window)
