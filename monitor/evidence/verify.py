"""Verify an evidence package: every file re-hashed against ``manifest.json``, nothing missing or
added, and ``post.json`` (and every stored copy) equal to the SHA-256 recorded at capture."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable

from monitor.evidence.messages import msg
from monitor.evidence.package import FORMAT, MANIFEST, sha256_bytes

MAX_MEMBER_BYTES = 512 * 1024 * 1024  # a listed size above this is refused before reading


@dataclass
class Problem:
    key: str
    args: dict = field(default_factory=dict)

    def text(self, lang: str = "id") -> str:
        return msg(self.key, lang, **self.args)


@dataclass
class Verification:
    problems: list[Problem] = field(default_factory=list)
    manifest: dict | None = None
    manifest_sha256: str | None = None
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _safe(name: str) -> bool:
    p = PurePosixPath(name)
    return bool(name) and not p.is_absolute() and ".." not in p.parts and "\\" not in name


def verify_package(path: Path | str,
                   recorded_sha256: Callable[[str, str], str | None] | None = None) -> Verification:
    """Check the package at ``path``. ``recorded_sha256(platform, post_id)``, when given, is the
    post's SHA-256 in a database: the manifest must agree with it too."""
    out = Verification()
    name = Path(path).name
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        out.problems.append(Problem("not_zip", {"file": name, "error": exc}))
        return out
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        members = {i.filename: i for i in infos}
        for n in sorted({i.filename for i in infos if sum(j.filename == i.filename for j in infos) > 1}):
            out.problems.append(Problem("duplicate_file", {"file": n}))
        for n in members:
            if not _safe(n):
                out.problems.append(Problem("unsafe_path", {"file": n}))
        if MANIFEST not in members:
            out.problems.append(Problem("no_manifest"))
            return out
        raw_manifest = zf.read(MANIFEST)
        out.manifest_sha256 = sha256_bytes(raw_manifest)
        try:
            manifest = json.loads(raw_manifest.decode("utf-8"))
            entries = manifest["files"]
            post = manifest["post"]
            if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
                raise ValueError("'files' must be a list of objects")
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            out.problems.append(Problem("bad_manifest", {"error": exc}))
            return out
        out.manifest = manifest
        if manifest.get("format") != FORMAT:
            out.problems.append(Problem("bad_format", {"format": manifest.get("format")}))
        listed: dict[str, dict] = {}
        for e in entries:
            p = str(e.get("path", ""))
            if not _safe(p) or p == MANIFEST:
                out.problems.append(Problem("unsafe_path", {"file": p}))
                continue
            listed[p] = e
        actual_hash: dict[str, str] = {}
        for p, e in listed.items():
            info = members.get(p)
            if info is None:
                out.problems.append(Problem("missing_file", {"file": p}))
                continue
            if info.file_size != e.get("size") or info.file_size > MAX_MEMBER_BYTES:
                out.problems.append(Problem("size_mismatch", {"file": p, "actual": info.file_size,
                                                              "expected": e.get("size")}))
                if info.file_size > MAX_MEMBER_BYTES:
                    continue
            try:
                data = zf.read(p)
            except (zipfile.BadZipFile, OSError) as exc:  # a CRC error: the file was altered in place
                out.problems.append(Problem("not_zip", {"file": p, "error": exc}))
                continue
            sha = actual_hash[p] = sha256_bytes(data)
            out.checked += 1
            if sha != e.get("sha256"):
                out.problems.append(Problem("hash_mismatch", {"file": p, "actual": sha, "expected": e.get("sha256")}))
            at_capture = e.get("raw_sha256_at_capture")
            if at_capture is not None and sha != at_capture:
                out.problems.append(Problem("capture_mismatch", {"file": p, "actual": sha, "expected": at_capture}))
        for n in members:
            if n != MANIFEST and n not in listed and _safe(n):
                out.problems.append(Problem("extra_file", {"file": n}))
        post_file = str(post.get("file") or "post.json")
        if post_file not in listed and post_file in members:
            actual_hash[post_file] = sha256_bytes(zf.read(post_file))
        if post_file not in actual_hash:
            if post_file not in listed:
                out.problems.append(Problem("missing_file", {"file": post_file}))
        elif actual_hash[post_file] != post.get("raw_sha256_at_capture"):
            out.problems.append(Problem("capture_mismatch", {"file": post_file, "actual": actual_hash[post_file],
                                                             "expected": post.get("raw_sha256_at_capture")}))
        if recorded_sha256 is not None:
            rec = recorded_sha256(str(post.get("platform")), str(post.get("post_id")))
            if rec is None:
                out.problems.append(Problem("db_unknown", {"post": f"{post.get('platform')}:{post.get('post_id')}"}))
            elif rec != post.get("raw_sha256_at_capture"):
                out.problems.append(Problem("db_mismatch", {"file": post_file, "actual": rec,
                                                            "expected": post.get("raw_sha256_at_capture")}))
    return out
