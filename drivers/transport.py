"""Open a device by URL: any pyserial URL or device path, or ``sim://NAME`` for a simulator.

``sim://NAME`` resolves to the pty of the simulator registered under NAME in this
process. A driver may pass ``default_sim``, a factory started and registered when
nothing is registered yet, so ``jiaohao serve`` on a hall of ``sim://`` devices just runs.
"""
from __future__ import annotations

import threading
from typing import Callable

import serial

from . import DeviceError

try:
    import termios
    _TERMIOS_ERRORS: tuple[type[BaseException], ...] = (termios.error,)
except ImportError:  # pragma: no cover - not a POSIX system
    _TERMIOS_ERRORS = ()

#: What a serial port raises when its device fails or is unplugged: pyserial's errors, the
#: OS's (EIO, ENXIO, a vanished /dev node) and ``termios.error``, which is not an OSError and
#: which pyserial lets through from ``reset_input_buffer()`` and ``flush()`` (tcflush, tcdrain).
#: Catch these around every port call; the driver then closes the port and reopens it later.
PORT_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError) + _TERMIOS_ERRORS


def port_error_text(e: BaseException) -> str:
    """A port error in words: ``termios.error(5, 'Input/output error')`` → ``Input/output error (errno 5)``."""
    if _TERMIOS_ERRORS and isinstance(e, _TERMIOS_ERRORS) and len(e.args) == 2:
        return f"{e.args[1]} (errno {e.args[0]})"
    return str(e) or type(e).__name__


def close_port(port) -> None:
    """Close a port whose device may already be gone; a dead port's errors are ignored."""
    if port is None:
        return
    try:
        port.close()
    except PORT_ERRORS:
        pass

_sims: dict[str, object] = {}
_lock = threading.Lock()


def register_sim(name: str, simulator) -> None:
    """Make ``sim://name`` resolve to ``simulator`` (started if it is not yet)."""
    with _lock:
        simulator.start()
        _sims[name] = simulator


def unregister_sim(name: str) -> None:
    with _lock:
        sim = _sims.pop(name, None)
    if sim is not None:
        sim.stop()


def get_sim(name: str):
    return _sims.get(name)


def sim_name(url: str) -> str | None:
    """``"floor1"`` for ``sim://floor1``, ``"default"`` for ``sim://``, None for anything else."""
    if not url.startswith("sim://"):
        return None
    return url[len("sim://"):].strip("/") or "default"


def resolve(url: str, default_sim: Callable[[], object] | None = None) -> str:
    """The pyserial URL or path to open for ``url``."""
    name = sim_name(url)
    if name is None:
        return url
    with _lock:
        sim = _sims.get(name)
        if sim is None:
            if default_sim is None:
                raise DeviceError(f"{url}: no simulator named {name!r} runs in this process "
                                  "(jiaohao demo starts them; on real hardware give a port)")
            sim = default_sim()
            sim.start()
            _sims[name] = sim
    try:
        return sim.path
    except RuntimeError as e:  # registered but stopped
        raise DeviceError(f"{url}: the simulator {name!r} is stopped ({e})") from None


def open_serial(url: str, baud: int = 9600, timeout: float = 0.1,
                default_sim: Callable[[], object] | None = None, **kw) -> serial.SerialBase:
    """Open ``url`` with pyserial (8N1 unless ``kw`` says otherwise); DeviceError names the URL on failure."""
    target = resolve(url, default_sim)
    try:
        return serial.serial_for_url(target, baudrate=baud, timeout=timeout, write_timeout=max(timeout, 1.0), **kw)
    except (serial.SerialException, OSError, ValueError) as e:
        raise DeviceError(f"{url}: cannot open ({e})") from e
