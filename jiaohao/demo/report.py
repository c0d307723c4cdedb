"""What `jiaohao demo` prints: the live status line and the end-of-day summary."""
from __future__ import annotations

import json
import sys
import time

from hall import SCORES

from .figures import Status, Summary


class StatusPrinter:
    """One live line: rewritten in place on a terminal, a line every ``every_s`` seconds in a log."""

    def __init__(self, stream=sys.stderr, every_s: float = 10.0):
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.every_s = every_s
        self._last = 0.0
        self._width = 0
        self.last: Status | None = None

    def __call__(self, status: Status) -> None:
        self.last = status
        line = status.line()
        if self.tty:
            self.stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
            self.stream.flush()
        elif time.monotonic() - self._last >= self.every_s:
            self._last = time.monotonic()
            print(line, file=self.stream, flush=True)

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
        elif self.last is not None:
            print(self.last.line(), file=self.stream, flush=True)
        self.stream.flush()


def _fmt(v, unit: str = "") -> str:
    return "-" if v is None else f"{v}{unit}"


def summary_text(s: Summary, outputs: dict, notes: list[str]) -> str:
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(s.by_kind.items())) or "none"
    rated = sum(s.ratings.values())
    lines = [
        f"演示结束 Demo day {s.day} finished",
        f"  取号 tickets issued      {s.issued} ({kinds})",
        f"  拒绝 turned away         {s.refused} (closed or over the daily cap)",
        f"  未打印 not printed       {s.not_printed}",
        f"  办结 served              {s.served}",
        f"  过号 no-shows            {s.no_shows}",
        f"  转移 transferred         {s.transferred}",
        f"  仍在等候 still waiting   {s.still_waiting}",
        f"  呼叫 calls               {s.calls} (recalls {s.recalls})",
        f"  平均等候 mean wait       {_fmt(s.mean_wait_min, ' min')} (longest {_fmt(s.max_wait_min, ' min')})",
        f"  平均办理 mean handling   {_fmt(s.mean_handling_min, ' min')}",
        f"  评价 ratings             {rated}" + (f", mean {s.mean_rating}: " + ", ".join(
            f"{SCORES[k]} {v}" for k, v in sorted(s.ratings.items(), reverse=True)) if rated else ""),
        f"  打印的票 printed tickets {outputs['ticket_pngs']} PNG in {outputs['tickets_dir']}",
        f"  语音 voice files         {outputs['voice_wavs']} WAV in {outputs['voice_dir']}",
    ]
    for i, text in enumerate(outputs.get("led_boards", []), 1):
        lines.append(f"  LED 条屏 board {i} shows  {text or '(nothing)'}")
    if outputs.get("api"):
        lines.append(f"  接口 hall API            {outputs['api']} (served until the demo ended)")
    if outputs.get("database"):
        lines.append(f"  数据库 database          {outputs['database']}")
    for note in notes:
        lines.append(f"  note: {note}")
    return "\n".join(lines)


def print_summary(s: Summary, outputs: dict, notes: list[str], as_json: bool = False) -> None:
    if as_json:
        print(json.dumps({"summary": s.to_json(), "outputs": outputs, "notes": notes}, ensure_ascii=False))
    else:
        print(summary_text(s, outputs, notes))
