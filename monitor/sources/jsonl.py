"""``jsonl`` source: JSON Lines files (one :class:`~monitor.models.Post` per line), a file or a folder.

Used by ``monitor ingest`` and for a drop folder of exports. The whole line is kept as the raw
payload. Cursor: per file, the byte offset after the last committed line, plus the file's size
and the SHA-256 of its first 4 KiB so that a replaced file is read again from the start.
A malformed line is quarantined with its line number and reason; the other lines go in.
Exporters writing into a watched folder should write a temporary name and rename it into place
(a file is read as it is; a last line without a newline is taken as complete).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, AsyncIterator

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.collect.base import Batch, Rejected, Source
from monitor.models import Post
from monitor.models.validation import error_lines


class JsonlOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: Path
    pattern: str = "*.jsonl"
    batch_size: int = Field(500, ge=1, le=100_000)


HEAD_BYTES = 4096


def _head_sha(path: Path, n: int) -> str:
    """SHA-256 of the first ``n`` bytes: tells an appended file from a replaced one."""
    with path.open("rb") as fh:
        return hashlib.sha256(fh.read(n)).hexdigest()


def describe_error(exc: ValidationError) -> str:
    return "; ".join(error_lines(exc, unknown="unknown field"))


def parse_line(line: str) -> Post:
    """Parse one JSON Lines record; raises ValueError with a readable reason."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(data, dict):
        raise ValueError("a line must hold one JSON object")
    data["raw"] = line
    try:
        return Post.model_validate(data)
    except ValidationError as exc:
        raise ValueError(describe_error(exc)) from exc


class JsonlSource(Source):
    type_name = "jsonl"
    options_model = JsonlOptions

    def _files(self) -> list[Path]:
        p = Path(self.options.path)
        if p.is_file():
            return [p]
        if p.is_dir():
            return sorted(x for x in p.rglob(self.options.pattern) if x.is_file())
        return []

    @staticmethod
    def _mark(path: Path, offset: int, lineno: int) -> dict[str, Any]:
        n = min(offset, HEAD_BYTES)
        return {"offset": offset, "line": lineno, "head_len": n, "head": _head_sha(path, n)}

    async def fetch(self, cursor: dict[str, Any] | None) -> AsyncIterator[Batch]:
        state: dict[str, Any] = dict((cursor or {}).get("files", {}))
        for path in self._files():
            key = str(path.resolve())
            size = path.stat().st_size
            prev = state.get(key)
            offset = 0
            if prev and int(prev.get("offset", 0)) <= size:
                n = int(prev.get("head_len", 0))
                if _head_sha(path, n) == prev.get("head"):
                    offset = int(prev["offset"])
            if offset >= size:
                continue
            batch = Batch()
            lineno = int(prev.get("line", 0)) if prev and offset else 0
            with path.open("rb") as fh:
                fh.seek(offset)
                for raw_line in fh:
                    offset += len(raw_line)
                    lineno += 1
                    try:
                        text = raw_line.decode("utf-8").rstrip("\r\n")
                    except UnicodeDecodeError as exc:
                        batch.rejected.append(
                            Rejected(raw_line.decode("utf-8", "replace"), f"{path.name}:{lineno}: not UTF-8 ({exc.reason})")
                        )
                        continue
                    if not text.strip():
                        continue
                    try:
                        batch.posts.append(parse_line(text))
                    except ValueError as exc:
                        batch.rejected.append(Rejected(text, f"{path.name}:{lineno}: {exc}"))
                    if len(batch.posts) + len(batch.rejected) >= self.options.batch_size:
                        state[key] = self._mark(path, offset, lineno)
                        batch.cursor = {"files": dict(state)}
                        yield batch
                        batch = Batch()
            if batch.posts or batch.rejected or state.get(key, {}).get("offset") != offset:
                state[key] = self._mark(path, offset, lineno)
                batch.cursor = {"files": dict(state)}
                yield batch
