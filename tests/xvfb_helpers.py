"""An Xvfb X server of a given size for window-geometry tests and screenshots: started on
a free display number (``-displayfd``), loopback only (no TCP), stopped on exit."""
from __future__ import annotations

import os
import shutil
import subprocess
import time


class Xvfb:
    """``with Xvfb(1920, 1080) as x: env = x.env()`` — ``x.display`` is ``":N"``."""

    def __init__(self, width: int, height: int, depth: int = 24, timeout_s: float = 15.0):
        self.size = (width, height)
        self.depth = depth
        self.timeout_s = timeout_s
        self.proc: subprocess.Popen | None = None
        self.display = ""

    @staticmethod
    def available() -> bool:
        return shutil.which("Xvfb") is not None

    def __enter__(self) -> "Xvfb":
        r, w = os.pipe()
        w_, h_ = self.size
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(w), "-screen", "0", f"{w_}x{h_}x{self.depth}", "-nolisten", "tcp"],
            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(w)
        deadline = time.monotonic() + self.timeout_s
        data = b""
        with os.fdopen(r, "rb", buffering=0) as f:
            while not data.endswith(b"\n") and time.monotonic() < deadline:
                chunk = f.read(16)
                if not chunk:
                    break
                data += chunk
        if not data.strip().isdigit():
            self.__exit__(None, None, None)
            raise RuntimeError(f"Xvfb did not start ({data!r})")
        self.display = f":{int(data)}"
        return self

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
        env.update(DISPLAY=self.display, QT_QPA_PLATFORM="xcb", **extra)
        return env

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None
