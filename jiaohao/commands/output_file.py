"""Writing a command's output file whole or not at all: the bytes go to a temporary file
beside it that is renamed over the name given, so a full disk or Ctrl+C leaves no
0-byte or half-written report where the old one (or nothing) was."""
from __future__ import annotations

import os
from pathlib import Path


def write_whole(path: Path, data: bytes) -> None:
    """``data`` into ``path``, or OSError with nothing new left behind."""
    tmp = path.with_name(f".{path.name}.part")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
