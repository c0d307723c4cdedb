"""An openpyxl workbook as bytes, with a clean failure when its temporary folder is full.

openpyxl writes each sheet to a temporary file first. When that disk fills mid-sheet,
the half-written sheet's writer is only closed when it is garbage collected, and its
close fails again: Python then prints "Exception ignored in: <generator object
WorksheetWriter.get_stream …>" with a traceback after our own one-line error. Here the
failed writers are closed at once, quietly, and the first error alone goes up."""
from __future__ import annotations

import gc
import io
import sys
import tempfile


class TempFolderFull(OSError):
    """The workbook could not be built: its temporary files did not fit."""

    def line(self, zh: str, en: str) -> str:
        """The one line for the user: what could not be built, and where to look."""
        folder = tempfile.gettempdir()
        return (f"无法生成{zh}：临时文件夹 {folder} 所在磁盘可能已满 (cannot build {en}: {self.strerror}; "
                f"temporary files go to {folder} (TMPDIR): is that disk full?)")


def workbook_bytes(wb) -> bytes:
    """``wb.save()`` into memory; :class:`TempFolderFull` (an OSError, one line) if it fails."""
    buf = io.BytesIO()
    error: OSError | None = None
    previous = sys.unraisablehook

    def quiet(unraisable):  # the same failure again, while the half-written sheets close
        if not isinstance(unraisable.exc_value, OSError):
            previous(unraisable)

    sys.unraisablehook = quiet
    try:
        try:
            wb.save(buf)
        except OSError as e:
            error = e
        if error is not None:
            error.__traceback__ = None  # its frames hold the sheets' writers: they close now
            gc.collect()
    finally:
        sys.unraisablehook = previous
    if error is not None:
        raise TempFolderFull(error.errno, error.strerror or str(error)) from None
    return buf.getvalue()
