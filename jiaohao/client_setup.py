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
        raise ClientSetupError(f"{where}: the hall server must be an address such as http://192.168.1.10:8080, "
                               f"not {url!r}")
    return url.strip().rstrip("/")


def default_token_files() -> list[Path]:
    """Where a technician puts this PC's token when nothing names it (docs/network.md)."""
    return [Path(user_config_dir("jiaohao", appauthor=False)) / "device.token", SYSTEM_TOKEN_FILE]


def read_token(path: Path | str, where: str) -> str:
    p = Path(path).expanduser()
    try:
        token = p.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ClientSetupError(f"{where}: no token file {p} (make one with `jiaohao devices add NAME --role ROLE` "
                               "on the controller and put the token in that file)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ClientSetupError(f"{where}: cannot read the token file {p}: {getattr(e, 'strerror', None) or e}") from None
    if not token or any(c.isspace() for c in token):
        raise ClientSetupError(f"{where}: the token file {p} must hold the token on one line, and nothing else")
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
        print(printable(f"jiaohao: notice: the hall server {server} does not answer; starting with the hall "
                        f"configuration kept from it in {path}"), file=sys.stderr)
        return parse_hall(path.read_text(encoding="utf-8"), path)
    config = parse_hall(d["toml"], f"{server}/api/v1/config")
    keep_copy(server, d["toml"])
    return config


def layout(config) -> dict:
    """What a client and the server must agree on: services (code, prefix) and windows
    (number, services)."""
    return {"services": {s.code: s.ticket_prefix for s in config.services},
            "windows": {w.number: tuple(w.services) for w in config.windows}}


def compare(local, remote, local_path, server: str) -> None:
    """Refuse a local configuration that describes another hall than the server's."""
    a, b = layout(local), layout(remote)
    if a == b:
        return
    problems = []
    only_here = sorted(set(a["services"]) - set(b["services"]))
    only_there = sorted(set(b["services"]) - set(a["services"]))
    if only_here:
        problems.append(f"services {', '.join(only_here)} are not on the server")
    if only_there:
        problems.append(f"the server has services {', '.join(only_there)} that {local_path} lacks")
    prefixes = [c for c in set(a["services"]) & set(b["services"]) if a["services"][c] != b["services"][c]]
    if prefixes:
        problems.append(f"ticket prefixes differ for {', '.join(sorted(prefixes))}")
    wa, wb = a["windows"], b["windows"]
    if set(wa) != set(wb):
        problems.append(f"windows differ ({len(wa)} here, {len(wb)} on the server"
                        + (f"; not on the server: {', '.join(map(str, sorted(set(wa) - set(wb))[:8]))}"
                           if set(wa) - set(wb) else "") + ")")
    else:
        diff = [n for n in wa if wa[n] != wb[n]]
        if diff:
            problems.append(f"windows {', '.join(map(str, sorted(diff)[:8]))} offer other services")
    raise ClientSetupError(f"{local_path} does not describe the same hall as the server {server}: "
                           f"{'; '.join(problems)}. Leave out --config to use the server's configuration, "
                           f"or copy the controller's hall file here")
