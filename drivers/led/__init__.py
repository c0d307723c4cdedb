"""LED hall boards (条屏/综合屏): frame builders, a driver and byte-level simulators.

Two protocols:

- ``onbon-bx``: Onbon (仰邦) BX-5K/BX-6K font-card controllers, dynamic-area
  command A3/06 (:mod:`drivers.led.onbon`).
- ``plain``: the project's own line protocol for simple boards (:mod:`drivers.led.plain`,
  documented in docs/led-boards.md).

:class:`~drivers.led.board.HallBoard` sends lines of text to a board over any serial
URL; :class:`~drivers.led.simulator.BoardSimulator` decodes what a board receives.
"""
from drivers import DeviceError


class LedError(DeviceError):
    """An LED board failed: cannot open, no answer, or a refused frame. Names the board."""


class FrameError(ValueError):
    """Bytes that are not a valid frame (bad escape, CRC, length); the frame is dropped."""


from .board import HallBoard, open_board  # noqa: E402
from .simulator import BoardSimulator  # noqa: E402

__all__ = ["LedError", "FrameError", "HallBoard", "open_board", "BoardSimulator"]
