"""Polling the devices of one bus: who is online, what they latched, what they must show.

Rules (shared/protocols/window-bus.md, "Rules of the master"):

- A device is identified (0x0000-0x0001) when it first answers, then its event latch
  (0x0002-0x0004) is polled every cycle (window screens, which latch nothing, only
  every ``slow_poll_s`` as a health check).
- ``offline_after`` time-outs in a row mark a device offline; an offline device is
  probed once every ``offline_retry_s``, and at most ``max_probes`` offline probes run
  in one cycle, so dead addresses do not slow live ones.
- A device's latched event is acknowledged (the sequence written to 0x0100, the
  keypad beeps and clears its latch) only by whoever acted on it: the poller never
  moves ``acked_seq``; the event handler does, after the queue operation ran.
- When a device answers for the first time, comes back from offline or from a lost
  port, or restarted (sequence 0 again or jumping backwards, or its
  block blank after missed polls), its current sequence is
  taken as the baseline and ``on_back`` is called so its whole state block is written
  before anything else. An event latched while nobody heard it is counted as lost and
  neither acted on late nor acknowledged (``slot.unheard`` tells the handler, which
  asks staff to press again). Whenever a keypad was out of contact (first answer,
  offline, a missed poll) the poller reads its acknowledged sequence (0x0100) and, if
  it differs from its own record, its whole block (0x0100-0x0113): a blank block is a
  restart, an older acknowledgement is a write that never arrived (ours stands).
- A sequence that jumped by more than one is logged and counted as lost events.
- Every state block is written whole; a write that fails stays pending and is retried
  next cycle. Blocks that only change a waiting count are written in the background, a
  few per cycle (``max_background_writes``), so kiosk traffic never delays a key. A bad reply or a Modbus exception is counted and the cycle goes on.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from .codec import BusEvent, DeviceKind, KeypadState, ScreenState, seq_jump
from .devices import WindowBusProtocol
from .master import BadReply, ModbusException, NoAnswer, PortDown

log = logging.getLogger(__name__)

ROLES = ("keypad", "evaluator", "screen")
_EXPECTED = {"keypad": (DeviceKind.KEYPAD, DeviceKind.KEYPAD_EVALUATOR),
             "evaluator": (DeviceKind.EVALUATOR, DeviceKind.KEYPAD_EVALUATOR),
             "screen": (DeviceKind.SCREEN,)}


@dataclass
class DeviceSlot:
    """One configured device: where it is, what we know of it, what it must show."""

    unit: int
    window: int
    role: str  # keypad | evaluator | screen
    kind: DeviceKind | None = None
    version: int = 0
    online: bool | None = None  # None: not heard from yet
    last_seq: int = 0
    misses: int = 0
    next_poll: float = 0.0
    polls: int = 0
    answers: int = 0
    errors: int = 0
    lost_events: int = 0
    events: int = 0
    last_seen: float = 0.0
    kind_mismatch: bool = False
    acked_seq: int | None = None  # the sequence acknowledged to the device; None: ask it
    unheard: int = 0  # events latched while nobody heard them, found at the last baseline
    desired: KeypadState | ScreenState | None = None
    written: KeypadState | ScreenState | None = None

    @property
    def label(self) -> str:
        return f"window {self.window} {self.role} (address {self.unit})"

    @property
    def polls_events(self) -> bool:
        return self.role != "screen"

    def to_json(self) -> dict:
        return {"address": self.unit, "window": self.window, "role": self.role,
                "kind": self.kind.name.lower() if self.kind else None, "online": self.online,
                "polls": self.polls, "answers": self.answers, "errors": self.errors,
                "lost_events": self.lost_events, "events": self.events, "last_seq": self.last_seq,
                "kind_mismatch": self.kind_mismatch}


EventHandler = Callable[[DeviceSlot, BusEvent], None]
BackHandler = Callable[[DeviceSlot], None]


@dataclass
class CycleStats:
    cycles: int = 0
    last_s: float = 0.0
    polls_last: int = 0
    recent: deque = field(default_factory=lambda: deque(maxlen=200))  # (seconds, polls, requests)


class BusPoller:
    """Polls ``slots`` on ``protocol``; calls ``on_event`` for each new latched event and
    ``on_back`` when a device needs its full state. Single-threaded: one per bus worker."""

    def __init__(self, protocol: WindowBusProtocol, slots: list[DeviceSlot], *, name: str = "",
                 offline_after: int = 3, offline_retry_s: float = 5.0, slow_poll_s: float | None = None,
                 max_probes: int = 1, max_background_writes: int | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.protocol = protocol
        self.slots = slots
        self.name = name
        self.offline_after = offline_after
        self.offline_retry_s = offline_retry_s
        self.slow_poll_s = offline_retry_s if slow_poll_s is None else slow_poll_s
        self.max_probes = max_probes
        # non-urgent writes per cycle: about 10 % more wire time than the polls at most
        self.max_background_writes = max_background_writes or max(2, len(slots) // 10)
        self._rr = 0
        self.clock = clock
        self.port_up = True
        self.cycle_stats = CycleStats()
        self.on_event: EventHandler = lambda slot, ev: None
        self.on_back: BackHandler = lambda slot: None  # write the slot's whole state (ack: slot.acked_seq)
        self.on_status: Callable[[DeviceSlot, bool], None] = lambda slot, online: None

    # -- one cycle ---------------------------------------------------------------
    def cycle(self) -> int:
        """Poll every due device once and write pending state blocks; the number of polls.
        Raises PortDown when the port is gone (all devices then get full state on return)."""
        start = time.perf_counter()
        stats = self.protocol.stats
        requests0 = stats.requests if stats else 0
        polls = probes = 0
        try:
            for slot in self.slots:
                now = self.clock()
                if slot.next_poll > now:
                    continue
                if slot.online is False:
                    if probes >= self.max_probes:
                        continue
                    probes += 1
                self.poll(slot)
                polls += 1
            self._background_writes()
        except PortDown:
            self.port_lost()
            raise
        self.port_up = True
        if polls:
            elapsed = time.perf_counter() - start
            cs = self.cycle_stats
            cs.cycles += 1
            cs.last_s, cs.polls_last = elapsed, polls
            cs.recent.append((elapsed, polls, (stats.requests if stats else 0) - requests0))
        return polls

    def _background_writes(self) -> None:
        """Write pending blocks (failed writes, waiting-count updates), a few per cycle,
        round-robin, so a burst of updates never stalls the polling of keys."""
        n = len(self.slots)
        written = 0
        for i in range(n):
            if written >= self.max_background_writes:
                break
            slot = self.slots[(self._rr + i) % n]
            if slot.online and slot.desired is not None and slot.desired != slot.written:
                self.flush(slot)
                written += 1
                self._rr = (self._rr + i + 1) % n
        if written < self.max_background_writes:
            self._rr = 0

    def port_lost(self) -> None:
        """The port went away: every device gets a new baseline and its full state when it is back."""
        if self.port_up:
            log.warning("bus %s: port lost; every device gets its full state when it is back", self.name)
        self.port_up = False
        for slot in self.slots:
            slot.online = None if slot.online else slot.online
            slot.written = None
            slot.next_poll = 0.0

    def poll(self, slot: DeviceSlot) -> None:
        """One request to ``slot`` (identify first if needed); dispatches what it finds."""
        slot.polls += 1
        try:
            if slot.kind is None:
                slot.kind, slot.version = self.protocol.identify(slot.unit)
                slot.kind_mismatch = slot.kind not in _EXPECTED[slot.role]
                if slot.kind_mismatch:
                    log.warning("bus %s: %s answers as a %s", self.name, slot.label, slot.kind.name.lower())
            ev = self.protocol.read_event(slot.unit)
            device_ack, blank = None, False
            if not slot.online or slot.misses or slot.acked_seq is None or self._restarted(slot, ev):
                device_ack, blank = self._held(slot)  # out of contact: check its record against ours
        except NoAnswer:
            self._missed(slot)
            return
        except (BadReply, ModbusException) as e:
            slot.errors += 1
            log.debug("%s", e)
            self._schedule(slot)
            return
        self._answered(slot, ev, self._restarted(slot, ev, blank), device_ack)

    @staticmethod
    def _restarted(slot: DeviceSlot, ev: BusEvent, blank: bool = False) -> bool:
        """The device restarted since we last heard it: power-on resets its sequence to 0 and
        blanks its block (a block we wrote always has a message line or an acknowledgement)."""
        if slot.acked_seq is None:
            return False
        if blank:
            return True
        if ev.seq == slot.last_seq:
            return False
        back_jump = seq_jump(slot.last_seq, ev.seq)
        return (ev.seq == 0 and back_jump != 1) or back_jump >= 0x8000

    def _held(self, slot: DeviceSlot) -> tuple[int | None, bool]:
        """(the sequence the keypad/evaluator has acknowledged, whether its block is blank);
        (None, False) for a device that latches nothing (a window screen) or cannot tell.
        The whole block is read only when its acknowledgement differs from our record."""
        if slot.kind is DeviceKind.SCREEN or not slot.polls_events:
            return None, False
        try:
            ack = self.protocol.read_ack(slot.unit)
            if slot.acked_seq is None or ack == slot.acked_seq:
                return ack, False
            return ack, self.protocol.read_keypad(slot.unit) == KeypadState()
        except ModbusException as e:
            if e.code not in (1, 2):  # busy or failing: ask again next cycle
                raise
            log.warning("bus %s: %s does not tell what it holds (%s)", self.name, slot.label, e)
            return None, False

    def _schedule(self, slot: DeviceSlot) -> None:
        now = self.clock()
        if slot.online is False:
            slot.next_poll = now + self.offline_retry_s
        elif not slot.polls_events and slot.online:
            slot.next_poll = now + self.slow_poll_s
        else:
            slot.next_poll = 0.0

    def _missed(self, slot: DeviceSlot) -> None:
        slot.misses += 1
        slot.errors += 1
        if slot.online is not False and slot.misses >= self.offline_after:
            if slot.online:
                log.warning("bus %s: %s stopped answering; marked offline", self.name, slot.label)
            else:
                log.warning("bus %s: %s does not answer; marked offline", self.name, slot.label)
            slot.online = False
            slot.written = None
            self.on_status(slot, False)
        self._schedule(slot)

    def _answered(self, slot: DeviceSlot, ev: BusEvent, restarted: bool = False,
                  device_ack: int | None = None) -> None:
        slot.answers += 1
        slot.misses = 0
        slot.last_seen = time.time()
        if not slot.online or restarted:
            self._baseline(slot, ev, restarted, device_ack)
            return
        self._schedule(slot)
        if ev.seq == slot.last_seq:
            return
        jump = seq_jump(slot.last_seq, ev.seq)
        if jump > 1:
            slot.lost_events += jump - 1
            log.warning("bus %s: %s sequence jumped %d -> %d: %d event(s) lost", self.name, slot.label,
                        slot.last_seq, ev.seq, jump - 1)
        slot.last_seq = ev.seq
        slot.events += 1
        self.on_event(slot, ev)

    def _baseline(self, slot: DeviceSlot, ev: BusEvent, restarted: bool, device_ack: int | None) -> None:
        """First answer, back from offline or a lost port, or restarted: take the device's
        sequence as the baseline; what it latched unheard is lost and stays unacknowledged."""
        was = slot.online
        if restarted:
            log.info("bus %s: %s restarted (sequence %d -> %d)", self.name, slot.label, slot.last_seq, ev.seq)
        elif was is False:
            log.info("bus %s: %s is back online", self.name, slot.label)
        if slot.acked_seq is None or restarted:  # no record of ours that holds: the device's own
            slot.acked_seq = ev.seq if device_ack is None else device_ack
            unheard = seq_jump(slot.acked_seq, ev.seq)
        else:  # our own record: events up to last_seq were handled, the rest nobody heard
            unheard = seq_jump(slot.last_seq, ev.seq)
        slot.unheard = unheard if unheard < 0x8000 else 0
        if slot.unheard:
            slot.lost_events += slot.unheard
            log.warning("bus %s: %s latched %d event(s) while nobody heard it; not acted on, not "
                        "acknowledged", self.name, slot.label, slot.unheard)
        slot.online = True
        slot.last_seq = ev.seq
        slot.written = None
        self._schedule(slot)
        if was is not True:
            self.on_status(slot, True)
        self.on_back(slot)

    # -- writes ------------------------------------------------------------------
    def set_state(self, slot: DeviceSlot, state: KeypadState | ScreenState, force: bool = False,
                  urgent: bool = True) -> None:
        """What ``slot`` must show: written now if it is online and differs (or ``force``);
        ``urgent=False`` leaves it to the background writes of the next cycles."""
        slot.desired = state
        if force:
            slot.written = None
        if slot.online and urgent:
            self.flush(slot)

    def flush(self, slot: DeviceSlot) -> bool:
        """Write ``slot.desired`` if it is not what the device shows; False if that failed."""
        state = slot.desired
        if state is None or state == slot.written or not slot.online:
            return True
        if slot.kind is not None and (slot.kind is DeviceKind.SCREEN) != isinstance(state, ScreenState):
            return False  # a device of the wrong kind at this address: reported by diagnostics, not written
        try:
            if isinstance(state, ScreenState):
                self.protocol.write_screen(slot.unit, state)
            else:
                self.protocol.write_keypad(slot.unit, state)
        except NoAnswer:
            self._missed(slot)
            return False
        except (BadReply, ModbusException) as e:
            slot.errors += 1
            log.debug("%s", e)
            return False
        slot.written = state
        return True

    # -- reading -----------------------------------------------------------------
    def slot(self, window: int, role: str) -> DeviceSlot | None:
        for s in self.slots:
            if s.window == window and s.role == role:
                return s
        return None

    def summary(self) -> dict:
        recent = list(self.cycle_stats.recent)
        return {"bus": self.name, "port_up": self.port_up,
                "online": sum(1 for s in self.slots if s.online),
                "offline": sum(1 for s in self.slots if s.online is False),
                "devices": len(self.slots), "cycles": self.cycle_stats.cycles,
                "cycle_ms": round(1000 * self.cycle_stats.last_s, 1),
                "cycle_ms_avg": round(1000 * sum(r[0] for r in recent) / len(recent), 1) if recent else None,
                "lost_events": sum(s.lost_events for s in self.slots),
                "stats": self.protocol.stats.to_json() if self.protocol.stats else {}}
