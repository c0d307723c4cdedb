"""A small tmpfs for disk-full tests: mounted for the test, unmounted after it."""
from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from pathlib import Path

import pytest


@contextlib.contextmanager
def small_tmpfs(size: str, prefix: str = "jiaohao-full-"):
    """A tmpfs of ``size`` (``2m``, ``64k``) at a new folder; the test is skipped, with the
    reason, where it cannot be mounted (not root, no tmpfs)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    where = Path(tempfile.mkdtemp(prefix=prefix))
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        where.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)
        where.rmdir()
