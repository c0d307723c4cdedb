"""Simulated window staff: they press keys on their keypads, citizens rate on evaluators.

Each :class:`WindowStaff` looks at its window's state in the queue (the truth) on
every tick of the simulated clock and decides what a clerk would do next: call when
somebody waits, serve for a while (drawn around the service's expected minutes),
finish and let the citizen rate, recall and then skip a citizen who does not come,
now and then transfer a ticket or step away, take lunch once the morning's citizens
are served (at least 45 minutes, back at about 14:00). It acts through a :class:`Desk`:

- :class:`KeypadDesk` presses keys on the simulated keypad and evaluator of the
  window bus simulator, so the real bus master in ``caller.service`` polls, decodes
  and applies them, exactly as with hardware;
- :class:`QueueDesk` calls the queue directly, for a window with no keypad
  configured or when the window bus part is not available.

One key at a time: after a press the clerk waits until the queue shows its effect
(or a time-out passes) before pressing again, as a keypad latches only its latest
event.
"""
from __future__ import annotations

import logging
import math
import random
import time as _time
from datetime import datetime, time, timedelta
from typing import Callable

from hall import HallError, HallQueue, WindowState

log = logging.getLogger(__name__)

# Key codes of protocols/window-bus.md
KEYS = {"call": 1, "recall": 2, "skip": 3, "finish": 4, "pause": 5, "resume": 6,
        "transfer": 7, "call_number": 8, "login": 9, "logout": 10}
PAUSE_ARGS = {"away": 1, "lunch": 2, "meeting": 3}
LUNCH = (time(12, 0), time(14, 0))


class KeypadDesk:
    """A window's keypad and evaluator on the bus simulator (``BusSimulator``)."""

    kind = "keypad"

    def __init__(self, bus_sim, keypad_address: int, evaluator_address: int | None):
        self.bus_sim = bus_sim
        self.keypad = keypad_address
        self.evaluator = evaluator_address

    def press(self, action: str, arg: int = 0) -> None:
        self.bus_sim.keypad(self.keypad).press(KEYS[action], arg)

    def busy(self) -> bool:
        """The keypad still latches a key the master has not acknowledged (no beep yet)."""
        return self.bus_sim.keypad(self.keypad).pending

    def rate(self, score: int) -> bool | None:
        """True once rated, False with no evaluator, None when the evaluator is still busy."""
        if self.evaluator is None:
            return False
        evaluator = self.bus_sim.evaluator(self.evaluator)
        if evaluator.pending:
            return None
        evaluator.rate(score)
        return True


class QueueDesk:
    """The same actions straight on the queue (no bus in between)."""

    kind = "queue"

    def __init__(self, queue: HallQueue, window: int):
        self.queue = queue
        self.window = window

    def press(self, action: str, arg: int = 0) -> None:
        q, w = self.queue, self.window
        try:
            if action == "call":
                q.call_next(w)
            elif action == "recall":
                q.recall(w)
            elif action == "skip":
                q.skip(w)
            elif action == "finish":
                q.finish(w)
            elif action == "pause":
                q.pause(w, {v: k for k, v in PAUSE_ARGS.items()}.get(arg))
            elif action == "resume":
                q.resume(w)
            elif action == "transfer":
                q.transfer(w, to_window=arg)
            elif action == "login":
                q.login(w, str(arg))
            elif action == "logout":
                q.logout(w)
        except HallError as e:  # a clerk pressing a key at the wrong moment: the keypad beeps
            log.debug("window %d %s: %s", w, action, e)

    def busy(self) -> bool:
        return False

    def rate(self, score: int) -> bool | None:
        try:
            self.queue.rate(self.window, score)
        except HallError as e:
            log.debug("window %d rate: %s", self.window, e)
        return True


class WindowStaff:
    """One clerk at one window, driven by :meth:`tick` with the simulated time."""

    PRESS_TIMEOUT_S = 3.0  # real seconds to wait for a key's effect before pressing again

    def __init__(self, window: int, desk, queue: HallQueue, rng: random.Random,
                 citizens: dict[str, object], services_minutes: dict[str, float],
                 transfer_targets: list[int], staff_id: int,
                 transfer_share: float = 0.03, away_per_hour: float = 0.15,
                 monotonic: Callable[[], float] = _time.monotonic):
        self.window = window
        self.desk = desk
        self.queue = queue
        self.rng = rng
        self.citizens = citizens          # ticket number -> Citizen (shared with the runner)
        self.minutes = services_minutes
        self.transfer_targets = transfer_targets
        self.staff_id = staff_id
        self.transfer_share = transfer_share
        self.away_per_hour = away_per_hour
        self._mono = monotonic
        self._pending: tuple[str, float, Callable[[WindowState], bool]] | None = None
        self._serving: int | None = None          # ticket id the current plan is for
        self._plan: list[tuple[datetime, str, int]] = []  # (when, action, arg)
        self._rest_until: datetime | None = None  # after a finish: rating + a breath
        self._resume_at: datetime | None = None
        self._lunch_done: str | None = None       # the day lunch was taken
        self._last_tick: datetime | None = None
        self._rating: tuple[datetime, int] | None = None
        self.presses = 0
        self.ratings = 0

    # -- helpers -------------------------------------------------------------
    def _press(self, action: str, arg: int, done: Callable[[WindowState], bool]) -> None:
        self.presses += 1
        self._pending = (action, self._mono(), done)
        self.desk.press(action, arg)

    def _waiting_on_key(self, ws: WindowState) -> bool:
        if self._pending is None:
            return False
        action, since, done = self._pending
        timed_out = self._mono() - since > self.PRESS_TIMEOUT_S
        if self.desk.busy() and not timed_out:  # no beep yet: pressing again would overwrite the key
            return True
        # no beep after PRESS_TIMEOUT_S (a key nobody heard is never acknowledged): press again
        if done(ws) or timed_out:
            self._pending = None
            return False
        return True

    def _service_minutes(self, service: str) -> float:
        mean = self.minutes.get(service, 8.0)
        sigma = 0.45  # lognormal with the expected minutes as its mean
        return max(0.5, self.rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma))

    # -- the clerk's day -------------------------------------------------------------
    def start(self) -> None:
        """Log in at the keypad (staff number)."""
        self._press("login", self.staff_id, lambda ws: ws.staff is not None)

    def tick(self, now: datetime) -> None:
        ws = self.queue.window_state(self.window)
        elapsed_h = ((now - self._last_tick).total_seconds() / 3600.0) if self._last_tick else 0.0
        self._last_tick = now
        if self._waiting_on_key(ws):
            return
        self._rate_if_due(now)
        if ws.state == "closed":
            self._press("login", self.staff_id, lambda s: s.state != "closed")
            return
        if ws.state == "paused":
            if self._resume_at is None:  # paused by someone else (a software caller): resume later
                self._resume_at = now + timedelta(minutes=self.rng.uniform(3, 10))
            if now >= self._resume_at:
                self._resume_at = None
                self._press("resume", 0, lambda s: s.state != "paused")
            return
        if ws.state == "serving" and ws.current is not None:
            self._serve(now, ws)
            return
        # idle
        self._serving = None
        self._plan.clear()
        if self._rest_until and now < self._rest_until:
            return
        self._rest_until = None
        if self._lunch_due(now, ws):
            self._lunch_done = now.date().isoformat()
            back = datetime.combine(now.date(), LUNCH[1]) + timedelta(minutes=self.rng.uniform(-5, 3))
            self._resume_at = max(back, now + timedelta(minutes=45))
            self._press("pause", PAUSE_ARGS["lunch"], lambda s: s.state == "paused")
            return
        if ws.waiting > 0:
            self._press("call", 0, lambda s: s.state != "idle")
            return
        if self.rng.random() < self.away_per_hour * elapsed_h:
            self._resume_at = now + timedelta(minutes=self.rng.uniform(4, 12))
            self._press("pause", PAUSE_ARGS["away"], lambda s: s.state == "paused")

    def _lunch_due(self, now: datetime, ws: WindowState) -> bool:
        """After 12:00, once nobody waits for this window: the morning's citizens are served first."""
        if self._lunch_done == now.date().isoformat():
            return False
        return LUNCH[0] <= now.time() < LUNCH[1] and ws.waiting == 0

    def _serve(self, now: datetime, ws: WindowState) -> None:
        ticket = ws.current
        if self._serving != ticket.id:
            self._serving = ticket.id
            self._plan = self._plan_for(now, ticket)
        if not self._plan or now < self._plan[0][0]:
            return
        _, action, arg = self._plan.pop(0)
        tid = ticket.id
        if action == "recall":
            self._press("recall", 0, lambda s: True)
        elif action in ("skip", "finish", "transfer"):
            citizen = self.citizens.get(ticket.number)
            if action == "finish":
                pause = timedelta(seconds=self.rng.uniform(10, 40))
                self._rest_until = now + pause
                if citizen is not None and getattr(citizen, "rating", None):
                    self._rating = (now + pause * 0.6, citizen.rating)
            self._press(action, arg, lambda s: s.current is None or s.current.id != tid)

    def _plan_for(self, now: datetime, ticket) -> list[tuple[datetime, str, int]]:
        citizen = self.citizens.get(ticket.number)
        if citizen is not None and getattr(citizen, "no_show", False):
            # nobody comes: call again after a minute, then mark a no-show (过号)
            return [(now + timedelta(seconds=60), "recall", 0), (now + timedelta(seconds=150), "skip", 0)]
        walk = timedelta(seconds=self.rng.uniform(20, 60))  # the citizen walks to the window
        done = now + walk + timedelta(minutes=self._service_minutes(ticket.service))
        if self.transfer_targets and self.rng.random() < self.transfer_share and not ticket.transfers:
            target = self.rng.choice(self.transfer_targets)
            return [(now + walk + timedelta(minutes=2), "transfer", target)]
        return [(done, "finish", 0)]

    def _rate_if_due(self, now: datetime) -> None:
        """The citizen presses a key on the evaluator once the service has ended."""
        if self._rating is not None and now >= self._rating[0]:
            rated = self.desk.rate(self._rating[1])
            if rated is None:  # the evaluator is still busy: try again next tick
                return
            self._rating = None
            if rated:
                self.ratings += 1
