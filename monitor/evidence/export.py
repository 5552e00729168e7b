"""Export one hit's evidence package (CLI and web share this): build it, audit-log its manifest hash."""

from __future__ import annotations

from pathlib import Path

from monitor.evidence.package import PackageError, build_package, sha256_bytes


class HitNotFound(LookupError):
    pass


def export_hit(store, hit_id: str, media_root: Path, *, actor: str) -> tuple[bytes, dict, str]:
    """``(zip bytes, manifest, SHA-256 of manifest.json)``; the export is recorded in the audit log."""
    rows = store.evidence_rows(hit_id)
    if rows is None:
        raise HitNotFound(hit_id)
    if rows["post"] is None:
        raise PackageError(f"the post of hit {hit_id} is not stored")
    data, manifest = build_package(rows, media_root, exported_by=actor)
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        msha = sha256_bytes(zf.read("manifest.json"))
    store.audit(actor, "evidence.export", hit_id, {"manifest_sha256": msha, "files": len(manifest["files"]),
                                                   "post_sha256": manifest["post"]["raw_sha256_at_capture"]})
    return data, manifest, msha
