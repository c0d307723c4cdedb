"""The provincial 好差评 push against a receiver on loopback that checks every field and
refuses the first attempts: nothing lost, nothing doubled, a restart (and a power cut
between the platform's answer and the outbox's mark) in the middle; the level direction
both ways; region codes of 6, 9 and 12 digits; the token from a file, never the TOML."""
from __future__ import annotations

import json
import re
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from hall import FixedClock, HallQueue
from hall import outbox, rating_push
from hall.db import connect
from hall.errors import InvalidArgument
from tests.ratings_helpers import REGION, ratings_config, served

TOKEN = "prov-token-7f3a"


class Platform:
    """A provincial platform on 127.0.0.1: validates each record; the first ``fail``
    posts get HTTP 500, the next ``refuse`` a 200 with {"code": 1}; repeats of an
    Idempotency-Key are acknowledged and not kept twice."""

    def __init__(self, fail=2, refuse=1, ascending=False, digits=12):
        self.fail, self.refuse, self.ascending, self.digits = fail, refuse, ascending, digits
        self.posts, self.kept, self.repeats, self.problems = 0, {}, 0, []
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                code, answer = platform.take(self.headers, body)
                data = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/hcp/push"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self, headers, body: bytes):
        self.posts += 1
        if self.posts <= self.fail:
            return 500, {"code": 500, "msg": "busy"}
        if self.posts <= self.fail + self.refuse:
            return 200, {"code": 1, "msg": "签名错误"}
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            self.problems.append("token")
        r = json.loads(body)
        key = headers.get("Idempotency-Key", "")
        if key in self.kept:
            self.repeats += 1
            if self.kept[key] != r:
                self.problems.append(f"{key}: a repeat differs")
            return 200, {"code": 0}
        for field, pattern in (("projectNo", r".+"), ("pf", r".+"), ("assessTime", r"\d{8}T\d{6}"),
                               ("assessNumber", r"[12]"), ("alternate", r"[1-5]"),
                               ("areaCode", rf"\d{{{self.digits}}}"), ("taskCode", r".*")):
            if field not in r or not re.fullmatch(pattern, str(r[field])):
                self.problems.append(f"{key}: {field}={r.get(field)!r}")
        # satisfaction words and code agree in this platform's direction
        words = {"非常满意": 1, "满意": 2, "基本满意": 3, "不满意": 4, "非常不满意": 5}[r["satisfaction"]]
        if r["alternate"] != (6 - words if self.ascending else words):
            self.problems.append(f"{key}: level direction")
        if key != f"{r['projectNo']}:{r['assessNumber']}":
            self.problems.append(f"{key}: key")
        self.kept[key] = r
        return 200, {"code": 0, "msg": "ok"}

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def push_config(tmp_path, platform: Platform, direction="descending", digits=12, token_file=True):
    cred = tmp_path / "push.token"
    cred.write_text(TOKEN + "\n", encoding="utf-8")
    extra = (f'\n[ratings.push]\nurl = "{platform.url}"\nlevel_direction = "{direction}"\n'
             f'region_digits = {digits}\n' + (f'credentials_file = "{cred}"\n' if token_file else ""))
    return ratings_config(tmp_path, extra)


class Clock:
    def __init__(self):
        self.t = time.time()

    def __call__(self):
        return self.t


def deliver(db, config, clock, rounds=20, sender_cls=outbox.OutboxSender):
    """Run a sender over due records, moving its clock past each back-off."""
    sender = sender_cls(db, outbox.destinations(config), clock=clock)
    conn = connect(db)
    try:
        with httpx.Client() as client:
            for _ in range(rounds):
                sender.send_due(conn, client)
                clock.t += outbox.MAX_RETRY_S
    finally:
        conn.close()
    return sender


@pytest.fixture
def platform():
    p = Platform()
    yield p
    p.close()


def rate_some(q):
    levels = []
    for level in (1, 2, 3, 4, 5):
        t = served(q)
        q.rate_ticket(t.id, level, "qrcode")
        levels.append(level)
    t = served(q)
    q.rate(1, 5)                              # the evaluator: level 1
    q.rate_ticket(t.id, 4, "mobile")          # its 追加评价
    served(q)                                 # 未评价: never pushed
    return 7


def test_nothing_lost_nothing_doubled_across_a_restart(tmp_path, platform):
    config = push_config(tmp_path, platform)
    db = tmp_path / "p.sqlite"
    q = HallQueue(db, config, FixedClock(datetime(2026, 11, 23, 9, 0)))
    expected = rate_some(q)
    q.close()
    clock = Clock()

    class PowerCut(outbox.OutboxSender):
        """Dies after the platform answered the 5th post, before marking it sent."""
        def _post(self, client, dest, key, payload):
            err = super()._post(client, dest, key, payload)
            if platform.posts == 5:
                raise KeyboardInterrupt("power cut")
            return err

    with pytest.raises(KeyboardInterrupt):
        deliver(db, config, clock, sender_cls=PowerCut)
    # the controller restarts: a new queue and a new sender on the same file
    q = HallQueue(db, config, FixedClock(datetime(2026, 11, 23, 10, 0)))
    t = served(q)
    q.rate_ticket(t.id, 2, "phone")           # one more while the platform was away
    q.close()
    deliver(db, config, clock)
    assert platform.problems == []
    assert len(platform.kept) == expected + 1
    assert platform.repeats == 1              # the record of the power cut, same key, dropped there
    conn = connect(db)
    status = [s for s in outbox.status(conn) if s["channel"] == "ratings"][0]
    conn.close()
    assert (status["pending"], status["sent"]) == (0, expected + 1)
    assert all(r["assessNumber"] in (1, 2) for r in platform.kept.values())


def test_failures_show_in_the_push_state(tmp_path):
    p = Platform(fail=100)
    try:
        config = push_config(tmp_path, p)
        db = tmp_path / "f.sqlite"
        q = HallQueue(db, config, FixedClock(datetime(2026, 11, 23, 9, 0)))
        q.rate_ticket(served(q).id, 5, "qrcode")
        deliver(db, config, Clock(), rounds=3)
        s = rating_push.push_state(q, config)
        assert (s["configured"], s["pending"], s["failing"]) == (True, 1, 1)
        assert "HTTP 500" in s["last_error"]
        q.close()
    finally:
        p.close()


@pytest.mark.parametrize("direction", ["descending", "ascending"])
@pytest.mark.parametrize("digits", [6, 9, 12])
def test_level_direction_and_region_length(tmp_path, direction, digits):
    p = Platform(fail=0, refuse=0, ascending=direction == "ascending", digits=digits)
    try:
        config = push_config(tmp_path, p, direction, digits)
        db = tmp_path / "d.sqlite"
        q = HallQueue(db, config, FixedClock(datetime(2026, 11, 23, 9, 0)))
        for level in (1, 5):
            q.rate_ticket(served(q).id, level, "qrcode")
        q.close()
        deliver(db, config, Clock(), rounds=2)
        assert p.problems == [] and len(p.kept) == 2
        got = sorted((r["satisfaction"], r["alternate"]) for r in p.kept.values())
        assert got == ([("非常不满意", 5), ("非常满意", 1)] if direction == "descending"
                       else [("非常不满意", 1), ("非常满意", 5)])
        assert {r["areaCode"] for r in p.kept.values()} == {REGION[:digits].ljust(digits, "0")}
    finally:
        p.close()


@pytest.mark.parametrize("code, digits, out", [
    ("110105", 12, "110105000000"), ("110105", 6, "110105"), ("110105003", 12, "110105003000"),
    ("110105003000", 9, "110105003"), ("110105003000", 6, "110105"),
])
def test_region_code_lengths(code, digits, out):
    assert rating_push.region(code, digits) == out


def test_region_code_must_be_6_9_or_12_digits(tmp_path):
    from config import load_hall
    from config.loader import ConfigError
    from tests.ratings_helpers import ratings_toml
    path = ratings_toml(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(REGION, "1101050"), encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_hall(path)
    assert "region_code" in str(e.value) and "hall.toml" in str(e.value)


def test_token_from_file_or_environment_never_the_toml(tmp_path):
    p = Platform()
    try:
        config = push_config(tmp_path, p)
        dest = rating_push.destinations(config)["ratings"]
        assert dest.headers == {"Authorization": f"Bearer {TOKEN}"}
        env_cfg = push_config(tmp_path, p, token_file=False)
        assert rating_push.read_token(env_cfg.ratings.push, {"JIAOHAO_RATINGS_TOKEN": "from-env"}) == "from-env"
        from config import load_hall
        from tests.ratings_helpers import ratings_toml
        from config.loader import ConfigError
        with pytest.raises(ConfigError, match="token"):
            load_hall(ratings_toml(tmp_path, '\n[ratings.push]\nurl = "http://x"\ntoken = "secret"\n'))
        missing = push_config(tmp_path, p)
        (tmp_path / "push.token").unlink()
        with pytest.raises(InvalidArgument, match="push.token"):
            rating_push.read_token(missing.ratings.push)
        assert rating_push.destinations(missing) == {}  # the records wait; diag check says why
    finally:
        p.close()


def test_nothing_is_queued_without_a_push_url(tmp_path):
    q = HallQueue(tmp_path / "n.sqlite", ratings_config(tmp_path), FixedClock(datetime(2026, 11, 23, 9, 0)))
    q.rate_ticket(served(q).id, 5, "qrcode")
    assert q._conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    q.close()


def test_diag_check_shows_a_failing_push(tmp_path):
    import os
    import subprocess
    import sys
    p = Platform(fail=100)
    try:
        push_config(tmp_path, p)
        db = tmp_path / "diag.sqlite"
        config = push_config(tmp_path, p)
        q = HallQueue(db, config, FixedClock(datetime(2026, 11, 23, 9, 0)))
        q.rate_ticket(served(q).id, 5, "qrcode")
        q.close()
        deliver(db, config, Clock(), rounds=2)
        env = {**os.environ, "JIAOHAO_DB": str(db), "JIAOHAO_CONFIG": str(tmp_path / "hall.toml")}
        out = subprocess.run([sys.executable, "-m", "jiaohao", "diag", "check", "--json"], capture_output=True,
                             text=True, env=env, timeout=120)
        found = [d for d in json.loads(out.stdout)["devices"] if d["device"].startswith("好差评 push")]
        assert len(found) == 1 and not found[0]["ok"] and "HTTP 500" in found[0]["detail"], found
        assert out.returncode == 1
    finally:
        p.close()


def test_field_names_and_channel_codes_from_the_province(tmp_path):
    from config import load_hall
    from config.loader import ConfigError
    from tests.ratings_helpers import ratings_toml
    cfg = load_hall(ratings_toml(tmp_path, '\n[ratings.push]\nurl = "http://127.0.0.1:9/p"\n'
                                           'fields = { "办件编号" = "bjbh", "满意度代码" = "pjdj" }\n'
                                           'channels = { "二维码" = "3", "政务大厅其他终端" = "5" }\n'))
    item = {"办件编号": "X1", "评价渠道": "二维码", "满意度代码": 2, "行政区划": REGION, "评价时间": "20261123T090000"}
    out = rating_push.payload(item, cfg.ratings.push)
    assert out == {"bjbh": "X1", "pf": "3", "pjdj": 2, "areaCode": REGION, "assessTime": "20261123T090000"}
    with pytest.raises(ConfigError, match="办件号"):
        load_hall(ratings_toml(tmp_path, '\n[ratings.push]\nfields = { "办件号" = "x" }\n'))
    with pytest.raises(ConfigError, match="微信"):
        load_hall(ratings_toml(tmp_path, '\n[ratings.push]\nchannels = { "微信" = "9" }\n'))


def test_the_examples_in_docs_ratings_md_load(tmp_path):
    from pathlib import Path

    from config import DEMO_HALL, load_hall
    doc = (Path(__file__).resolve().parents[1] / "docs" / "ratings.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", doc, re.S)
    assert len(blocks) == 2
    for i, block in enumerate(blocks):
        path = tmp_path / f"doc{i}.toml"
        path.write_text(DEMO_HALL.read_text(encoding="utf-8") + "\n" + block, encoding="utf-8")
        cfg = load_hall(path)
        assert cfg.ratings.rectify_days == 15


def test_serve_pushes_and_a_killed_serve_loses_nothing(tmp_path):
    """`jiaohao serve` delivers through the outbox; killed (SIGKILL) while the platform
    still refuses some, and started again: every rating arrives, none twice."""
    import os
    import subprocess
    import sys
    p = Platform(fail=2, refuse=1)
    procs = []
    try:
        config = push_config(tmp_path, p)
        db = tmp_path / "serve.sqlite"
        q = HallQueue(db, config, FixedClock(datetime(2026, 11, 23, 9, 0)))
        for level in (1, 2, 3, 4, 5):
            q.rate_ticket(served(q).id, level, "qrcode")
        q.close()
        env = {**os.environ, "JIAOHAO_NOW": "2026-11-23T09:30", "JIAOHAO_CONFIG": str(tmp_path / "hall.toml")}

        def serve():
            proc = subprocess.Popen([sys.executable, "-m", "jiaohao", "--db", str(db), "serve", "--seconds", "60"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
            procs.append(proc)
            return proc

        def wait(pred, timeout=30.0):
            end = time.monotonic() + timeout
            while time.monotonic() < end and not pred():
                time.sleep(0.05)
            return pred()

        first = serve()
        assert wait(lambda: len(p.kept) >= 2), f"kept {len(p.kept)} after {p.posts} posts"
        first.kill()  # mid-way: three records refused so far, waiting for their retry
        first.wait(10)
        assert len(p.kept) < 5
        serve()
        assert wait(lambda: len(p.kept) == 5), f"kept {len(p.kept)} after {p.posts} posts"
        time.sleep(0.5)
        # a kill between the platform's answer and the mark re-posts that one record, same key
        assert p.problems == [] and p.repeats <= 1 and len(p.kept) == 5
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        p.close()
