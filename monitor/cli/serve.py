"""``monitor serve``: the long-running service that owns the database."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import click

from monitor.cli.common import common_options, settings
from monitor.logs import setup_logging
from monitor.service.control import setup_control
from monitor.service.http import serve
from monitor.service.runtime import Service
from monitor.web.app import setup_web


def run_service(s, *, host: str, port: int, http: bool = True, only: tuple[str, ...] = ()) -> None:
    svc = Service(s.config, s.db_path, only=only)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)

        def ready(h: str, p: int | None) -> None:
            if getattr(svc, "control", None) is not None:
                svc.control.write(h, p)  # lets `monitor backup` reach this process (see service/control.py)
            # one machine-readable line on stdout, so scripts and tests learn the port
            print(f"listening http://{h}:{p}" if p is not None else "running", flush=True)

        try:
            await serve(svc, stop, host=host, port=port, http=http, on_ready=ready,
                        extensions=(setup_web, setup_control))
        finally:
            if getattr(svc, "control", None) is not None:
                svc.control.remove()

    asyncio.run(main())


@click.command("serve")
@click.option("--host", default=None, help="Alamat / bind address (default [service] host).")
@click.option("--port", type=int, default=None, help="Port (default [service] port; 0 = any free port).")
@click.option("--log-format", type=click.Choice(["auto", "json", "text"]), default="auto", show_default=True)
@common_options
@click.pass_context
def serve_cmd(ctx: click.Context, host: str | None, port: int | None, log_format: str) -> None:
    """Layanan: jadwal sumber, pemuatan ulang aturan, /healthz, webhook / run the service."""
    s = settings(ctx)
    setup_logging(logging.INFO, json_lines=None if log_format == "auto" else log_format == "json", stream=sys.stderr)
    run_service(s, host=host or s.config.service.host, port=s.config.service.port if port is None else port)
