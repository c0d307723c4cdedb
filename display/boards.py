"""LED hall boards for ``jiaohao serve``: one worker per ``[[boards]]`` entry.

Each worker tails the event log through a :class:`~display.screen_model.ScreenModel`
(so a board shows each call at least ``screen.min_show_seconds``, like the TV) and
sends the latest calls to its board. A board that stops answering is retried every
few seconds and given the current text as soon as it answers again; its going
offline and coming back are written to the event log (``device_fault``/``device_ok``).
The text is also sent again every ``refresh_s`` when nothing changed: dynamic areas do
not survive a power cut, so a board switched off and on overnight would otherwise stay
blank until the next call, and a board unplugged in a quiet hour would go unnoticed.
"""
from __future__ import annotations

import logging
import threading
import time

from drivers.led import BoardSimulator, HallBoard, LedError

from .screen_model import ScreenModel, ScreenState

log = logging.getLogger(__name__)


def board_lines(state: ScreenState, n_lines: int) -> list[str]:
    """The text of each line of an ``n_lines`` board: the call, earlier calls, the notice."""
    first = state.highlight.text_zh if state.highlight else state.hall_name
    if n_lines == 1:
        return [first]
    earlier = [c for c in state.recent if state.highlight is None or c.number != state.highlight.number]
    words = [f"{c.number}号 {c.window}号窗口" for c in earlier]
    lines = [first]
    middle = n_lines - 1 if n_lines < 3 else n_lines - 2
    per_line = max(1, -(-len(words) // middle)) if words else 0
    if getattr(state, "notice_live", False) and n_lines == 2:
        return [first, state.notice]  # a manager's notice now: before the earlier calls
    for i in range(middle):
        chunk = words[i * per_line:(i + 1) * per_line] if per_line else []
        lines.append("已叫号: " + "  ".join(chunk) if chunk else (state.notice if i == 0 else ""))
    if n_lines >= 3:
        lines.append(state.notice)
    return lines[:n_lines]


def default_simulator(board_cfg):
    """Factory of the simulator used for ``sim://`` URLs nobody registered."""
    return lambda: BoardSimulator.for_board(board_cfg)


class BoardWorker:
    """Keeps one board in step with the hall (its own thread)."""

    def __init__(self, queue, board_cfg, index: int = 0, poll_s: float = 0.2, retry_s: float = 5.0,
                 model: ScreenModel | None = None, board: HallBoard | None = None,
                 refresh_s: float = 60.0, clock=time.monotonic):
        self.queue = queue
        self.cfg = board_cfg
        self.index = index
        self.poll_s = poll_s
        self.retry_s = retry_s
        self.name = f"board {board_cfg.name or index + 1} ({board_cfg.url})"
        self.model = model
        self.board = board or HallBoard(board_cfg, default_sim=default_simulator(board_cfg))
        self.online: bool | None = None
        self.sent: list[str] | None = None
        self.refresh_s = refresh_s
        self.clock = clock
        self._sent_at = 0.0
        self.errors = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.model is None:
            self.model = ScreenModel(self.queue)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self.board.close()

    def step(self) -> None:
        """One round: read events, and send the lines if they changed or the board was offline."""
        self.model.update()
        lines = board_lines(self.model.state(), self.cfg.lines)
        if lines == self.sent and self.online and self.clock() - self._sent_at < self.refresh_s:
            return
        try:
            self.board.show(lines)
        except LedError as e:
            self.errors += 1
            self.board.close()
            if self.online is not False:
                log.warning("%s", e)
                self._notice("device_fault", str(e))
            self.online = False
            self._stop.wait(self.retry_s)
            return
        if self.online is False:
            log.info("%s answers again", self.name)
            self._notice("device_ok", "answers again")
        self.online = True
        self.sent = lines
        self._sent_at = self.clock()

    def _notice(self, kind: str, message: str) -> None:
        try:
            self.queue.log_event(kind, device=self.name, message=message)
        except Exception:  # noqa: BLE001 - the notice is best effort
            log.exception("could not log %s for %s", kind, self.name)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # noqa: BLE001 - keep the board alive whatever happens
                log.exception("%s: unexpected error", self.name)
                self._stop.wait(self.retry_s)
            self._stop.wait(self.poll_s)


def components(ctx) -> list:
    """One :class:`BoardWorker` per configured board (``jiaohao serve``)."""
    return [BoardWorker(ctx.queue, b, i) for i, b in enumerate(ctx.config.boards)]
