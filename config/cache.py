"""A validated hall, kept so that commands which only read it start fast.

:func:`load_hall_view` returns the hall as a :class:`~config.views.HallView`, a plain
read-only copy of the validated :class:`~config.schema.HallConfig`. After a full load it
pickles that copy into a cache folder the caller names (the `jiaohao` command: the user's
``$XDG_CACHE_HOME/jiaohao/halls``, else ``~/.cache/jiaohao/halls``; never next to the hall
file, which may be shared or read-only). The next run whose hall file has the same bytes (and the same config code and
Python) reads the copy back without importing pydantic (~100 ms of a command's start).

The key is a hash of the file's content, not its size and time: a file restored with
its old time stamp (``cp -p``, ``tar``, ``rsync -t``) or edited twice within one clock
tick is never mistaken for another; reading a hall file costs a fraction of a
millisecond. A cache file that is not the current user's, that others may write, or that
cannot be read back for any reason is ignored and written again; only the classes of
:mod:`config.views` and ``datetime.time`` can come out of it. Deleting the folder is
always safe.
"""
from __future__ import annotations

import hashlib
import io
import os
import pickle
import stat
import sys
from pathlib import Path

from . import views
from .loader import _read, parse_bytes

FORMAT = b"jiaohao-hall-view 1\n"
_DIGEST = hashlib.sha256().digest_size
_ALLOWED = {("config.views", cls.__name__) for cls in views.VIEW_CLASSES} | {
    ("config.views", "_section"), ("datetime", "time")}


def load_hall_view(path: Path | str, cache_dir: Path | str | None) -> views.HallView:
    """The hall in ``path``, validated, as a read-only :class:`~config.views.HallView`:
    from ``cache_dir`` when the file is unchanged, else by a full load (which raises
    :class:`~config.loader.ConfigError` for a bad file, as :func:`~config.loader.load_hall`)
    kept there for the next time. ``None``: no cache, always the full load."""
    path = Path(path)
    data = _read(path)  # the loader's own checks: regular file, sane size (ConfigError)
    key = _key(data)
    where = None
    if cache_dir is not None:
        name = hashlib.sha256(os.fsencode(os.path.abspath(path))).hexdigest()[:32] + ".pickle"
        where = Path(cache_dir) / name
        found = _get(where, key)
        if found is not None:
            return found
    view = views.to_view(parse_bytes(data, path))
    if where is not None:
        _put(where, key, view)
    return view


def _key(data: bytes) -> bytes:
    h = hashlib.sha256(FORMAT + sys.version.encode() + b"\0" + data)
    here = Path(__file__).parent
    for name in sorted(os.listdir(here)):  # the code that validated it: any change, a new load
        if name.endswith(".py"):
            h.update(name.encode() + b"\0" + (here / name).read_bytes())
    return h.digest()


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a hall view")
        return super().find_class(module, name)


def _get(where: Path, key: bytes) -> views.HallView | None:
    try:
        with open(where, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                return None
            if hasattr(os, "geteuid") and (st.st_uid != os.geteuid() or st.st_mode & 0o022):
                return None  # someone else's, or others may write it
            blob = f.read()
        head = len(FORMAT) + _DIGEST
        if blob[:len(FORMAT)] != FORMAT or blob[len(FORMAT):head] != key:
            return None
        view = _Unpickler(io.BytesIO(blob[head:])).load()
        return view if isinstance(view, views.HallView) else None
    except Exception:  # noqa: BLE001 - a cache that cannot be used is just made again
        return None


def _put(where: Path, key: bytes, view: views.HallView) -> None:
    import tempfile  # (only when writing: it imports random and shutil)
    try:
        where.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=where.parent, prefix=".hall-", suffix=".tmp")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(FORMAT + key + pickle.dumps(view, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, where)
        except BaseException:
            os.unlink(tmp)
            raise
    except Exception:  # noqa: BLE001 - no cache (read-only home, disk full): only slower next time
        pass
