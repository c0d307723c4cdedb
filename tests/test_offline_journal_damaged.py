"""A kiosk whose offline journal file is damaged (a power cut mid-write on a cheap SSD, a
disk error): it used to die at start with "file is not a database", and systemd started
it again and again. Now the damaged file is kept aside, said in the log, and the kiosk
starts with a new journal."""
from __future__ import annotations

import logging

from kiosk.offline_journal import OfflineJournal


def test_a_damaged_journal_is_kept_aside_and_a_new_one_started(tmp_path, caplog):
    path = tmp_path / "kiosk-offline.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)  # a header, then garbage
    with caplog.at_level(logging.ERROR, logger="kiosk.offline_journal"):
        j = OfflineJournal(path, "http://127.0.0.1:8080")
    try:
        assert j.leases() == {} and j.pending() == 0
        aside = [p for p in tmp_path.iterdir() if p.name.startswith("kiosk-offline.sqlite.damaged-")]
        assert len(aside) == 1 and aside[0].read_bytes().endswith(b"\xff" * 200)  # kept, never deleted
        assert "was damaged" in caplog.text and str(aside[0]) in caplog.text
    finally:
        j.close()


def test_a_sound_journal_is_opened_as_it_is(tmp_path):
    path = tmp_path / "kiosk-offline.sqlite"
    OfflineJournal(path, "http://127.0.0.1:8080").close()
    OfflineJournal(path, "http://127.0.0.1:8080").close()
    assert sorted(p.name for p in tmp_path.iterdir() if "damaged" in p.name) == []
