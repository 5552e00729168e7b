"""HTML to PDF through Debian's headless Chromium (no browser download, no network)."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

CHROMIUM = os.environ.get("MONITOR_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
         "--disable-extensions", "--mute-audio"]
TIMEOUT_S = 90


class PdfError(Exception):
    """Chromium is missing, failed or produced no PDF."""


def chromium_path() -> str | None:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


async def html_to_pdf(html: str, *, timeout_s: float = TIMEOUT_S) -> bytes:
    """Render a self-contained HTML page (inline CSS, no external resources) to PDF bytes."""
    exe = chromium_path()
    if exe is None:
        raise PdfError("Chromium not found (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="monitor-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        out = Path(tmp) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        proc = await asyncio.create_subprocess_exec(
            exe, *FLAGS, f"--user-data-dir={tmp}/profile", f"--print-to-pdf={out}", page.as_uri(),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        try:
            _, err = await asyncio.wait_for(proc.communicate(), timeout_s)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
            raise PdfError(f"Chromium did not finish within {timeout_s} s") from None
        if not out.exists() or out.stat().st_size == 0:
            raise PdfError(f"Chromium produced no PDF (exit {proc.returncode}): {err.decode(errors='replace')[-500:]}")
        return out.read_bytes()
