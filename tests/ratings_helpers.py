"""A hall for the 好差评 tests: the demo hall with a region code, an item code on
service A and, when asked, a provincial push endpoint."""
from __future__ import annotations

from pathlib import Path

from config import DEMO_HALL, load_hall

REGION = "110105003000"      # 12 digits: a 街道 of 北京市朝阳区
ITEM_A = "11110105MB0000001Q3000117001"


def ratings_toml(tmp_path: Path, extra: str = "") -> Path:
    text = DEMO_HALL.read_text(encoding="utf-8")
    text = text.replace('code = "A"\n', f'code = "A"\nitem_code = "{ITEM_A}"\n', 1)
    path = tmp_path / "hall.toml"
    path.write_text(text + f'\n[ratings]\nregion_code = "{REGION}"\n' + extra, encoding="utf-8")
    return path


def ratings_config(tmp_path: Path, extra: str = ""):
    return load_hall(ratings_toml(tmp_path, extra))


def served(queue, window=1, service="A", staff="1001"):
    """A ticket issued, called and finished at ``window`` by ``staff``."""
    if queue.window_state(window).staff != staff:
        queue.login(window, staff)
    t = queue.issue(service)
    queue.call_ticket(window, t.number)
    queue.finish(window)
    return t
