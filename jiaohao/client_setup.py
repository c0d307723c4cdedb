"""A PC that uses the hall through `jiaohao serve`: its server address, its token, and the
hall configuration it gets from the server (kept in a copy for starts while the server
is briefly down). Used by :class:`jiaohao.context.Context` only."""
from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from platformdirs import user_cache_dir, user_config_dir

from .context import CommandError

log = logging.getLogger(__name__)

SYSTEM_TOKEN_FILE = Path("/etc/jiaohao/device.token")


class ClientSetupError(CommandError):
    """The server address, token or configuration cannot be used: one line for the user."""


def check_url(url: str, where: str) -> str:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ClientSetupError(f"{where}: 大厅服务器要写成 http://192.168.1.10:8080 这样的地址，不是 {url!r} "
                               f"(the hall server must be an address such as http://192.168.1.10:8080, not {url!r})")
    return url.strip().rstrip("/")


def default_token_files() -> list[Path]:
    """Where a technician puts this PC's token when nothing names it (docs/network.md)."""
    return [Path(user_config_dir("jiaohao", appauthor=False)) / "device.token", SYSTEM_TOKEN_FILE]


def read_token(path: Path | str, where: str) -> str:
    p = Path(path).expanduser()
    try:
        token = p.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ClientSetupError(f"{where}: 没有令牌文件 {p}：在主控机上运行 `jiaohao devices add NAME --role ROLE`，"
                               f"把令牌放进这个文件 (no token file {p} (make one with `jiaohao devices add NAME "
                               "--role ROLE` on the controller and put the token in that file))") from None
    except (OSError, UnicodeDecodeError) as e:
        why = getattr(e, "strerror", None) or e
        raise ClientSetupError(f"{where}: 读不了令牌文件 {p} (cannot read the token file {p}): {why}") from None
    if not token or any(c.isspace() for c in token):
        raise ClientSetupError(f"{where}: 令牌文件 {p} 里只能有一行令牌，别的都不要 "
                               f"(the token file {p} must hold the token on one line, and nothing else)")
    return token


def find_token(flag_file: str | None, config_file: str) -> tuple[str | None, str]:
    """(token or None, where it came from): --token-file, JIAOHAO_TOKEN, JIAOHAO_TOKEN_FILE,
    [client] token_file, then the default files."""
    if flag_file:
        return read_token(flag_file, "--token-file"), f"--token-file {flag_file}"
    env = os.environ.get("JIAOHAO_TOKEN", "").strip()
    if env:
        return env, "JIAOHAO_TOKEN"
    env_file = os.environ.get("JIAOHAO_TOKEN_FILE", "").strip()
    if env_file:
        return read_token(env_file, "JIAOHAO_TOKEN_FILE"), env_file
    if config_file:
        return read_token(config_file, "[client] token_file"), config_file
    for p in default_token_files():
        if p.is_file():
            return read_token(p, str(p)), str(p)
    return None, "no token"


def copy_path(server: str) -> Path:
    """Where the server's hall configuration is kept on this PC."""
    parts = urlsplit(server)
    name = f"{parts.hostname}_{parts.port or ('443' if parts.scheme == 'https' else '80')}"
    return Path(user_cache_dir("jiaohao", appauthor=False)) / "server-halls" / f"{name}.toml"


def keep_copy(server: str, toml: str) -> None:
    path = copy_path(server)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file() and path.read_text(encoding="utf-8") == toml:
            return
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".hall-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(toml)
        os.replace(tmp, path)
    except OSError as e:
        log.warning("the hall configuration from %s was not kept in %s: %s", server, path, e)


def kept_config(server: str):
    """The copy of the server's hall configuration kept on this PC, or None."""
    from config import ConfigError, parse_hall
    path = copy_path(server)
    try:
        return parse_hall(path.read_text(encoding="utf-8"), path)
    except (OSError, UnicodeDecodeError, ConfigError):
        return None


def server_config(server: str, token: str | None, timeout_s: float):
    """The hall configuration of the server; when it does not answer, the copy kept from
    the last time, said on stderr; neither: ServerUnreachable."""
    from config import parse_hall
    from hall.errors import ServerUnreachable
    from hall.remote import fetch_config
    try:
        d = fetch_config(server, token, timeout_s)
    except ServerUnreachable:
        path = copy_path(server)
        if not path.is_file():
            raise
        from .commands.inputs import printable
        print(printable(f"jiaohao: 注意：大厅服务器 {server} 没有应答，先用上次从它保存的大厅配置 {path} 启动 "
                        f"(notice: the hall server {server} does not answer; starting with the hall "
                        f"configuration kept from it in {path})"), file=sys.stderr)
        return parse_hall(path.read_text(encoding="utf-8"), path)
    config = parse_hall(d["toml"], f"{server}/api/v1/config")
    keep_copy(server, d["toml"])
    return config


def layout(config) -> dict:
    """What a client and the server must agree on: services (code, prefix) and windows
    (number, services)."""
    return {"services": {s.code: s.ticket_prefix for s in config.services},
            "windows": {w.number: tuple(w.services) for w in config.windows}}


def _some(codes: list[str]) -> tuple[str, str]:
    """The first 8 of ``codes`` (Chinese, English), and how many there are when more."""
    zh, en = "、".join(codes[:8]), ", ".join(codes[:8])
    if len(codes) > 8:
        return f"{zh} 等 {len(codes)} 个", f"{en} … {len(codes)} in all"
    return zh, en


def compare(local, remote, local_path, server: str) -> None:
    """Refuse a local configuration that describes another hall than the server's."""
    a, b = layout(local), layout(remote)
    if a == b:
        return
    problems: list[tuple[str, str]] = []
    only_here = sorted(set(a["services"]) - set(b["services"]))
    only_there = sorted(set(b["services"]) - set(a["services"]))
    if only_here:
        zh, en = _some(only_here)
        problems.append((f"服务器上没有业务 {zh}", f"services {en} are not on the server"))
    if only_there:
        zh, en = _some(only_there)
        problems.append((f"服务器有 {local_path} 没有的业务 {zh}", f"the server has services {en} that {local_path} lacks"))
    prefixes = sorted(c for c in set(a["services"]) & set(b["services"]) if a["services"][c] != b["services"][c])
    if prefixes:
        problems.append((f"业务 {'、'.join(prefixes)} 的票号前缀不同", f"ticket prefixes differ for {', '.join(prefixes)}"))
    wa, wb = a["windows"], b["windows"]
    if set(wa) != set(wb):
        extra = ", ".join(map(str, sorted(set(wa) - set(wb))[:8]))
        problems.append((f"窗口不同（这里 {len(wa)} 个，服务器 {len(wb)} 个" + (f"；服务器上没有：{extra}" if extra else "") + "）",
                         f"windows differ ({len(wa)} here, {len(wb)} on the server"
                         + (f"; not on the server: {extra}" if extra else "") + ")"))
    else:
        diff = ", ".join(map(str, sorted(n for n in wa if wa[n] != wb[n])[:8]))
        if diff:
            problems.append((f"窗口 {diff} 办的业务不同", f"windows {diff} offer other services"))
    raise ClientSetupError(f"{local_path} 和服务器 {server} 说的不是同一个大厅：{'；'.join(z for z, _ in problems)}。"
                           "去掉 --config 就用服务器的配置，或把主控机的大厅文件复制过来 "
                           f"({local_path} does not describe the same hall as the server {server}: "
                           f"{'; '.join(e for _, e in problems)}. Leave out --config to use the server's configuration, "
                           f"or copy the controller's hall file here)")
