"""Local control channel of a running service (for commands that need the database it owns).

DuckDB lets no second process open a file held read-write, not even read-only, so while
``monitor serve`` runs, ``monitor backup`` asks the service to take the backup itself. At start
the service writes ``<database>.control.json`` (mode 0600: only the account that runs the service
can read it) with its local URL and a random token made for this run; the CLI posts to
``/api/v1/control/backup`` with that token. The endpoint accepts loopback clients only, compares
the token in constant time, and runs the export under the writer lock. The file is removed at
shutdown; a stale one (the service was killed) is harmless: its token died with the process.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import os
import secrets
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from aiohttp import web

log = logging.getLogger("monitor.service.control")

CONTROL = web.AppKey("control", object)
BACKUP_PATH = "/api/v1/control/backup"


def control_file(db_path: Path | str) -> Path:
    return Path(str(Path(db_path).absolute()) + ".control.json")


class Control:
    def __init__(self, svc: Any) -> None:
        self.svc = svc
        self.token = secrets.token_urlsafe(32)
        self.path = control_file(svc.app.db_path)

    def write(self, host: str, port: int | None) -> None:
        if port is None:
            return
        h = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
        body = json.dumps({"url": f"http://{h}:{port}", "token": self.token, "pid": os.getpid()})
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(body)
            os.chmod(self.path, 0o600)
        except OSError as exc:  # a read-only or full disk: the service still runs (see /healthz)
            log.warning("control file not written: 'monitor backup' cannot reach this service",
                        extra={"path": str(self.path), "reason": str(exc)})

    def remove(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("token") == self.token:
                self.path.unlink()
        except (OSError, ValueError):
            pass


def _loopback(request: web.Request) -> bool:
    try:
        return ipaddress.ip_address((request.remote or "").split("%")[0]).is_loopback
    except ValueError:
        return False


async def backup_endpoint(request: web.Request) -> web.Response:
    ctl: Control = request.app[CONTROL]  # type: ignore[assignment]
    auth = request.headers.get("Authorization", "")
    given = auth[7:] if auth.startswith("Bearer ") else ""
    if not _loopback(request) or not hmac.compare_digest(given.encode(), ctl.token.encode()):
        return web.json_response({"error": "forbidden"}, status=403)
    try:
        body = await request.json()
        dest = Path(str(body["dest"]))
    except (ValueError, KeyError, TypeError):
        return web.json_response({"error": "bad_request", "message": "expected {\"dest\": absolute path}"}, status=400)
    if not dest.is_absolute():
        return web.json_response({"error": "bad_request", "message": "dest must be an absolute path"}, status=400)
    from monitor.store.backup import BackupError

    try:
        manifest = await asyncio.to_thread(ctl.svc.backup, dest, "cli")
    except BackupError as exc:
        return web.json_response({"error": "backup_failed", "message": str(exc)}, status=409)
    except Exception as exc:  # logged with the traceback; the client gets the reason
        log.exception("backup failed")
        return web.json_response({"error": "backup_failed", "message": f"{type(exc).__name__}: {exc}"}, status=500)
    return web.json_response({"dest": str(dest), "schema_version": manifest["schema_version"],
                              "tables": manifest["tables"]})


def setup_control(app: web.Application, svc: Any) -> None:
    """Extension for :func:`monitor.service.http.make_app`: the control routes (token set per run)."""
    ctl = Control(svc)
    svc.control = ctl
    app[CONTROL] = ctl
    app.router.add_post(BACKUP_PATH, backup_endpoint)


def request_backup(db_path: Path | str, dest: Path, *, timeout: float = 3600.0) -> dict:
    """Ask the service that owns ``db_path`` for a backup into ``dest``; raise ``ControlError``."""
    cf = control_file(db_path)
    try:
        info = json.loads(cf.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ControlError(f"{cf} not found: is the service that holds the database running as this user?") from exc
    except (OSError, ValueError) as exc:
        raise ControlError(f"cannot read {cf}: {exc}") from exc
    req = urllib.request.Request(
        info["url"] + BACKUP_PATH, data=json.dumps({"dest": str(dest)}).encode("utf-8"), method="POST",
        headers={"Authorization": f"Bearer {info['token']}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as exc:
        try:
            msg = json.loads(exc.read()).get("message") or exc.reason
        except ValueError:
            msg = exc.reason
        raise ControlError(f"service refused the backup ({exc.code}): {msg}") from exc
    except OSError as exc:
        raise ControlError(f"cannot reach the service at {info.get('url')}: {exc}") from exc


class ControlError(Exception):
    pass
