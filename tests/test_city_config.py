"""[city] in the hall file: a clear error naming the file, line and field for each mistake."""
from __future__ import annotations

from pathlib import Path

import pytest

from config import DEMO_HALL, ConfigError, load_hall
from city.schema import CityError, read_password, redact


@pytest.mark.parametrize("section,field,words", [
    ('database = "postgresql://hall:secret@city/db"\nhall_code = "H1"', "city.database", "password"),
    ('database = "postgresql://hall@city/db?password=secret"\nhall_code = "H1"', "city.database", "password"),
    ('database = "mysql://hall@city/db"\nhall_code = "H1"', "city.database", "postgresql://"),
    ('database = "postgresql://hall@city/db"', "city.hall_code", "required"),
    ('database = "postgresql://hall@city/db"\nhall_code = "新北 1"', "city.hall_code", "letters, digits"),
    ('database = "postgresql://hall@city/db"\nhall_code = "H1"\nbatch_size = 1', "city.batch_size", ""),
    ('databse = "postgresql://hall@city/db"', "city.databse", "unknown key"),
])
def test_mistakes_in_the_city_section(tmp_path, section, field, words):
    path = tmp_path / "hall.toml"
    text = Path(DEMO_HALL).read_text(encoding="utf-8") + "\n[city]\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_hall(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}:") and field in msg and words in msg
    line = int(msg.split(":")[1])
    at = text.splitlines()[line - 1]
    assert at == "[city]" if words == "required" else at.split("=")[0].strip() == field.split(".")[1]
    assert "secret" not in msg


def test_a_hall_without_the_section_ships_nothing():
    assert not load_hall(DEMO_HALL).city.enabled


def test_the_password_comes_from_the_environment_or_a_file(tmp_path, monkeypatch):
    monkeypatch.delenv("JIAOHAO_CITY_PASSWORD", raising=False)
    (tmp_path / "pw").write_text("s3cret\n")
    assert read_password("pw", tmp_path) == "s3cret"
    assert read_password("", tmp_path) is None
    monkeypatch.setenv("JIAOHAO_CITY_PASSWORD", "from-env")
    assert read_password("pw", tmp_path) == "from-env"
    monkeypatch.delenv("JIAOHAO_CITY_PASSWORD")
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(CityError, match="empty"):
        read_password("empty", tmp_path)
    with pytest.raises(CityError, match="missing"):
        read_password(str(tmp_path / "missing"))
    assert redact("postgresql://u:pw@h/db") == "postgresql://u@h/db"
