"""The pydantic-free copy of a hall (config/views.py) and its cache (config/cache.py):
the same attributes and methods as the validated model, the queue behaves the same on
it, and the cache is used only when it is surely this file's and ours."""
from __future__ import annotations

import json
import os
import re
import pickle
import shutil
from datetime import datetime

import pytest

import config.cache as cache
from config import DEMO_HALL, HALLS_DIR, ConfigError, load_hall, load_hall_view
from config.views import HallMethods, HallView, Section, ServiceMethods, to_view
from hall import FixedClock, HallQueue
from hall.readonly import ReadOnlyQueue

HALLS = [DEMO_HALL, HALLS_DIR / "large.toml"]


@pytest.fixture
def own_cache(tmp_path):
    return tmp_path / "cache"


@pytest.fixture
def view_of(own_cache):
    return lambda path: load_hall_view(path, own_cache)


def assert_same(model, view, where="hall"):
    """Every field of every model (model_fields, recursively) is in the view, with an
    equal value of the same type; sections carry the same methods."""
    fields = getattr(type(model), "model_fields", None)
    if fields is not None:
        assert isinstance(view, Section) and not hasattr(type(view), "model_fields"), where
        assert set(vars(view)) == set(fields), where
        for mixin in (ServiceMethods, HallMethods):
            assert isinstance(view, mixin) == isinstance(model, mixin), (where, mixin)
        for name in fields:
            assert_same(getattr(model, name), getattr(view, name), f"{where}.{name}")
    elif isinstance(model, (list, tuple, dict)):
        assert type(view) is type(model) and len(view) == len(model), where
        if isinstance(model, dict):
            assert list(view) == list(model), where
            for k in model:
                assert_same(model[k], view[k], f"{where}[{k!r}]")
        else:
            for i, (m, v) in enumerate(zip(model, view)):
                assert_same(m, v, f"{where}[{i}]")
    else:
        assert type(view) is type(model) and view == model, where


@pytest.mark.parametrize("path", HALLS, ids=lambda p: p.name)
def test_the_view_has_every_field_and_method_of_the_model(path, view_of):
    model = load_hall(path)
    cold = view_of(path)  # made from the model and written to the cache
    warm = view_of(path)  # read back from the pickle
    for view in (to_view(model), cold, warm):
        assert isinstance(view, HallView)
        assert_same(model, view)
        for s in model.services:
            v = view.service(s.code)
            assert (v.ticket_prefix, v.periods()) == (s.ticket_prefix, s.periods())
        for w in model.windows:
            assert view.window(w.number).services == w.services
        with pytest.raises(KeyError):
            view.service("nope")
        with pytest.raises(KeyError):
            view.window(99999)


def test_the_view_is_read_only(view_of):
    view = view_of(DEMO_HALL)
    with pytest.raises(AttributeError):
        view.hall.name = "x"
    with pytest.raises(AttributeError):
        del view.services[0].code


def scenario(config, db) -> list:
    """issue, call, transfer, pause, finish, rate, status: everything the queue says."""
    clock = FixedClock(datetime(2026, 11, 23, 9, 0))
    q = HallQueue(db, config, clock)
    out = [q.issue("A", kiosk="cli"), q.issue("A", priority=True), q.issue("C"),
           q.call_next(1), q.transfer(1, to_window=2), q.call_next(1), q.call_next(2),
           q.transfer(2, to_service="B"), q.pause(4, "lunch"), q.resume(4), q.call_next(3),
           q.finish(3), q.rate(3, 5), q.finish(1)]
    out = [o.to_json() if o is not None else None for o in out]
    q.close()
    r = ReadOnlyQueue(db, config, clock=clock)
    out += [r.waiting_by_service(), [w.to_json() for w in r.window_states()],
            {s.code: (r.issued_today(s.code), r.is_open(s.code)) for s in config.services}]
    r.close()
    # each ticket's token is random (migration 0008): everything else must match
    text = json.dumps(out, ensure_ascii=False, default=str)
    assert re.search(r'"token": "[0-9a-f]{32}"', text)
    return json.loads(re.sub(r"[0-9a-f]{32}", "TOKEN", text))


def test_the_queue_works_the_same_on_the_view(tmp_path, view_of):
    on_model = scenario(load_hall(DEMO_HALL), tmp_path / "model.sqlite")
    view_of(DEMO_HALL)
    on_view = scenario(view_of(DEMO_HALL), tmp_path / "view.sqlite")
    assert on_view == on_model
    assert (on_view[0]["number"], on_view[7]["service"], on_view[8]["state"]) == ("A001", "B", "paused")


def copy_of_demo(tmp_path):
    path = tmp_path / "hall.toml"
    shutil.copy(DEMO_HALL, path)
    return path


def cache_files(own_cache):
    return list(own_cache.glob("*.pickle"))


def count_full_loads(monkeypatch) -> list:
    loads: list = []
    real = cache.parse_bytes

    def counted(*a, **kw):
        loads.append(a)
        return real(*a, **kw)
    monkeypatch.setattr(cache, "parse_bytes", counted)
    return loads


def test_the_cache_is_private_and_in_its_own_folder(tmp_path, own_cache, monkeypatch, view_of):
    path = copy_of_demo(tmp_path)
    loads = count_full_loads(monkeypatch)
    view_of(path)
    view_of(path)
    assert len(loads) == 1
    [f] = cache_files(own_cache)
    assert f.stat().st_mode & 0o777 == 0o600 and f.parent.stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "hall.toml"]  # nothing by the hall


def test_an_edit_is_seen_even_with_the_same_size_and_time_stamp(tmp_path, view_of):
    path = copy_of_demo(tmp_path)
    assert view_of(path).hall.name == "瑶海区政务服务中心"
    st = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace("瑶海区政务服务中心", "蜀山区政务服务中心"),
                    encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # as cp -p / tar / rsync -t leave it
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    assert view_of(path).hall.name == "蜀山区政务服务中心"


def test_a_broken_edit_is_the_usual_config_error(tmp_path, view_of):
    path = copy_of_demo(tmp_path)
    view_of(path)
    path.write_text(path.read_text(encoding="utf-8").replace("number = 2\n", "number = 1\n", 1),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        view_of(path)
    assert str(e.value).startswith(f"{path}:137: windows[1].number: 窗口号 1 用了两次 (window number 1 is used twice)")
    path.unlink()
    with pytest.raises(ConfigError, match="file not found"):
        view_of(path)


@pytest.mark.parametrize("damage", [b"", b"garbage", b"jiaohao-hall-view 1\n" + b"\0" * 32 + b"x",
                                    "old format", "truncated"])
def test_a_damaged_cache_is_made_again(tmp_path, own_cache, monkeypatch, damage, view_of):
    path = copy_of_demo(tmp_path)
    view_of(path)
    [f] = cache_files(own_cache)
    good = f.read_bytes()
    if damage == "old format":
        damage = good.replace(cache.FORMAT, b"jiaohao-hall-view 0\n")
    elif damage == "truncated":
        damage = good[:len(good) // 2]
    f.write_bytes(damage)
    loads = count_full_loads(monkeypatch)
    assert_same(load_hall(path), view_of(path))
    assert len(loads) == 1 and f.read_bytes() == good


def test_a_cache_others_may_write_is_not_used(tmp_path, own_cache, monkeypatch, view_of):
    path = copy_of_demo(tmp_path)
    view_of(path)
    [f] = cache_files(own_cache)
    f.chmod(0o666)
    loads = count_full_loads(monkeypatch)
    view_of(path)
    assert len(loads) == 1 and f.stat().st_mode & 0o777 == 0o600  # (written again, ours)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file away needs root")
def test_a_cache_of_another_user_is_not_used(tmp_path, own_cache, monkeypatch, view_of):
    path = copy_of_demo(tmp_path)
    view_of(path)
    [f] = cache_files(own_cache)
    os.chown(f, 65534, 65534)
    loads = count_full_loads(monkeypatch)
    view_of(path)
    assert len(loads) == 1 and f.stat().st_uid == os.geteuid()


class _Planted:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_nothing_but_hall_views_comes_out_of_a_cache(tmp_path, own_cache, monkeypatch, view_of):
    """A cache file with the right key but a planted object: never run, just made again."""
    path = copy_of_demo(tmp_path)
    view_of(path)
    [f] = cache_files(own_cache)
    marker = tmp_path / "planted"
    key = cache._key(path.read_bytes())
    f.write_bytes(cache.FORMAT + key + pickle.dumps(_Planted(str(marker))))
    loads = count_full_loads(monkeypatch)
    assert isinstance(view_of(path), HallView)
    assert not marker.exists() and len(loads) == 1


def test_no_usable_cache_folder_only_costs_time(tmp_path):
    path = copy_of_demo(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    for folder in (blocker, blocker / "halls", None):
        assert load_hall_view(path, folder).hall.name == "瑶海区政务服务中心"
