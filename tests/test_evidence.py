"""Evidence around a hit, end to end through the CLI against a local Mastodon server: media capture,
the evidence package (round trip and tampering), and the deletion watch (deleted / edited posts)."""

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.evidence.media import media_links
from monitor.evidence.paths import media_dir
from monitor.store import Store
from tests.fakes.mastodon_server import FakeMastodon
from tests.fakes.threaded import serve_in_thread

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def write_config(tmp_path, base_url, lang="id"):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""
[store]
path = "m.duckdb"
[rules]
paths = ["{REPO / 'rules'}"]
[evidence]
allow_private_media = true  # the fake servers run on 127.0.0.1
[office]
timezone = "Asia/Pontianak"
language = "{lang}"
[sources.masto]
type = "mastodon"
base_url = "{base_url}"
hashtags = ["pemilu2024"]
[sources.masto.http]
requests_per_second = 1000
backoff_base_s = 0.01
backoff_max_s = 0.05
max_retries = 1
""", encoding="utf-8")
    return cfg


def run(cfg, *args):
    return CliRunner().invoke(cli, ["--config", str(cfg), *args])


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Three partisan posts of a declared account (one with an image, one with a fake 'image' that is
    HTML), collected, media captured, then one post deleted and one edited and the watch run."""
    tmp = tmp_path_factory.mktemp("evidence")
    fake = FakeMastodon(domain="kota.social")
    budi = fake.add_account("budi", display_name="Budi Santoso")
    with serve_in_thread(fake.app) as url:
        with_image = fake.add_status(budi, "Ayo coblos 02 Prabowo-Gibran!", tags=["pemilu2024"])
        fake.add_media(with_image, "poster.png", PNG, "image/png", base_url=url)
        fake.add_media(with_image, "trap.png", b"<html>not an image</html>", "text/html", base_url=url)
        to_delete = fake.add_status(budi, "Coblos nomor 2, menangkan Prabowo-Gibran satu putaran!", tags=["pemilu2024"])
        to_edit = fake.add_status(budi, "Pilih 02 Prabowo-Gibran, lanjutkan!", tags=["pemilu2024"])
        cfg = write_config(tmp, url)
        assert run(cfg, "roster", "import", str(DATA / "roster_small.csv")).exit_code == 0
        res = run(cfg, "collect", "--once")
        assert res.exit_code == 0 and "3 new hits" in res.output.replace("3 temuan baru", "3 new hits"), res.output
        media1 = run(cfg, "evidence", "media")
        media2 = run(cfg, "evidence", "media")  # nothing captured twice; the failed one is retried
        run(cfg, "evidence", "media")
        media4 = run(cfg, "evidence", "media")  # three attempts, then the post's media are settled
        trap_requests = len(fake.paths("/media/trap.png"))
        poster_requests = len(fake.paths("/media/poster.png"))
        with Store(tmp / "m.duckdb") as s:
            before = {r[0]: (r[1], r[2]) for r in s.con.execute("SELECT post_id, raw, raw_sha256 FROM posts").fetchall()}
        fake.delete_status(to_delete["id"])
        fake.edit_status(to_edit["id"], "Selamat pagi semua")
        watch = run(cfg, "--lang", "en", "evidence", "watch")
        watch_again = run(cfg, "--lang", "en", "evidence", "watch")
    with Store(tmp / "m.duckdb") as s:
        hits = {r[1]: r[0] for r in s.con.execute("SELECT hit_id, post_id FROM hits").fetchall()}
    return {"tmp": tmp, "cfg": cfg, "fake": fake, "hits": hits, "before": before, "media1": media1,
            "media2": media2, "media4": media4, "trap_requests": trap_requests, "poster_requests": poster_requests,
            "watch": watch, "watch_again": watch_again,
            "ids": {"image": with_image["id"], "deleted": to_delete["id"], "edited": to_edit["id"]}}


def export(world, key, name):
    out = world["tmp"] / name
    res = run(world["cfg"], "evidence", "export", world["hits"][world["ids"][key]], "-o", str(out))
    assert res.exit_code == 0, res.output
    return out


def rewrite(src: Path, dest: Path, *, change=None, drop=None, add=None):
    """Copy a zip, replacing (``change``: name -> bytes), leaving out or adding members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            if info.filename == drop:
                continue
            data = (change or {}).get(info.filename, zin.read(info.filename))
            zout.writestr(info.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dest


# -- media -----------------------------------------------------------------------------------------
def test_media_is_captured_with_hash_and_never_twice(world):
    assert "1 berkas diambil, 1 gagal" in world["media1"].output, world["media1"].output
    assert "0 berkas diambil" in world["media2"].output
    with Store(world["tmp"] / "m.duckdb") as s:
        rows = s.media_of("mastodon", world["ids"]["image"])
    by_name = {r["url"].rsplit("/", 1)[1]: r for r in rows}
    good, trap = by_name["poster.png"], by_name["trap.png"]
    assert good["status"] == "captured" and good["content_type"] == "image/png" and good["size"] == len(PNG)
    stored = media_dir(world["tmp"] / "m.duckdb") / good["file"]
    assert stored.read_bytes() == PNG
    import hashlib
    assert good["sha256"] == hashlib.sha256(PNG).hexdigest() and good["captured_at"] is not None
    assert trap["status"] == "failed" and "not an image" in trap["error"] and trap["file"] is None
    assert trap["attempts"] == 3  # retried on later runs, up to the limit
    assert "0 berkas diambil, 0 gagal, 0 dilewati" in world["media4"].output, world["media4"].output
    assert world["trap_requests"] == 3 and world["poster_requests"] == 1


def test_media_links_per_platform():
    masto = {"media_attachments": [{"type": "image", "url": "https://m/a.png"},
                                   {"type": "video", "url": "https://m/v.mp4", "preview_url": "https://m/v.jpg"}]}
    assert media_links("mastodon", json.dumps(masto)) == [("https://m/a.png", "image"), ("https://m/v.jpg", "video_preview")]
    x = {"includes": {"media": [{"type": "photo", "url": "https://x/p.jpg"},
                                {"type": "video", "preview_image_url": "https://x/v.jpg"}]}}
    assert media_links("x", json.dumps(x)) == [("https://x/p.jpg", "image"), ("https://x/v.jpg", "video_preview")]
    bsky = {"post": {"embed": {"$type": "app.bsky.embed.recordWithMedia#view",
                               "media": {"images": [{"fullsize": "https://cdn/b.jpg"}]}}}}
    assert media_links("bluesky", json.dumps(bsky)) == [("https://cdn/b.jpg", "image")]
    yt = {"snippet": {"thumbnails": {"default": {"url": "https://i/d.jpg"}, "high": {"url": "https://i/h.jpg"}}}}
    assert media_links("youtube", json.dumps(yt)) == [("https://i/h.jpg", "thumbnail")]
    assert media_links("mastodon", json.dumps({"media_attachments": [{"type": "image", "url": "javascript:x"}]})) == []
    assert media_links("rss", "{}") == [] and media_links("mastodon", "not json") == []


# -- package ---------------------------------------------------------------------------------------
def test_package_round_trip(world):
    pkg = export(world, "image", "image.zip")
    with zipfile.ZipFile(pkg) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        post_json = zf.read("post.json").decode("utf-8")
        readme = zf.read("README.txt").decode("utf-8")
        media = [n for n in names if n.startswith("media/")]
    raw, sha = world["before"][world["ids"]["image"]]
    assert post_json == raw  # exactly as stored
    assert manifest["post"]["raw_sha256_at_capture"] == sha
    assert manifest["hit"]["hit_id"] == world["hits"][world["ids"]["image"]]
    assert manifest["hit"]["ruleset_version"] and manifest["tool"]["version"]
    assert manifest["post"]["first_seen_at"].endswith("Z")
    assert len(media) == 1 and zipfile.ZipFile(pkg).read(media[0]) == PNG
    assert {f["path"] for f in manifest["files"]} == names - {"manifest.json"}
    assert "PAKET BUKTI" in readme and "monitor evidence verify" in readme
    assert [m["url"].rsplit("/", 1)[1] for m in manifest["media_not_captured"]] == ["trap.png"]
    assert "not an image" in manifest["media_not_captured"][0]["error"]
    assert "tidak berhasil diambil: 1" in readme
    ok = run(world["cfg"], "evidence", "verify", str(pkg))
    assert ok.exit_code == 0 and "SAH" in ok.output, ok.output
    ok_db = run(world["cfg"], "--lang", "en", "evidence", "verify", "--check-db", str(pkg))
    assert ok_db.exit_code == 0 and "VALID" in ok_db.output
    with Store(world["tmp"] / "m.duckdb") as s:
        audit = [a for a in s.audit_entries(world["hits"][world["ids"]["image"]]) if a["action"] == "evidence.export"]
    assert audit and manifest["post"]["raw_sha256_at_capture"] in audit[-1]["detail"]


@pytest.mark.parametrize("tamper, culprit", [
    ("post", "post.json"), ("media", "media/"), ("manifest", "post.json"), ("manifest_size", "post.json"),
    ("missing", "post.json"), ("extra", "extra.txt"), ("readme", "README.txt"), ("duplicate", "post.json"),
    ("traversal", "../post.json"),
])
def test_tampered_package_fails(world, tamper, culprit):
    pkg = export(world, "image", f"t-{tamper}.zip")
    bad = world["tmp"] / f"bad-{tamper}.zip"
    with zipfile.ZipFile(pkg) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        post = zf.read("post.json")
        media_name = next(n for n in zf.namelist() if n.startswith("media/"))
        media = zf.read(media_name)
    if tamper == "post":
        rewrite(pkg, bad, change={"post.json": post.replace(b"Prabowo", b"Prabowa", 1)})
    elif tamper == "media":
        rewrite(pkg, bad, change={media_name: media[:-1] + b"\x00"})
    elif tamper == "manifest":
        # the attacker changes post.json AND its hash in the file list: the capture hash still differs
        new_post = post.replace(b"Prabowo", b"Prabowa", 1)
        import hashlib
        for f in manifest["files"]:
            if f["path"] == "post.json":
                f["sha256"] = hashlib.sha256(new_post).hexdigest()
        rewrite(pkg, bad, change={"post.json": new_post, "manifest.json": json.dumps(manifest).encode()})
    elif tamper == "manifest_size":
        for f in manifest["files"]:
            if f["path"] == "post.json":
                f["size"] += 1
        rewrite(pkg, bad, change={"manifest.json": json.dumps(manifest).encode()})
    elif tamper == "missing":
        rewrite(pkg, bad, drop="post.json")
    elif tamper == "extra":
        rewrite(pkg, bad, add={"extra.txt": b"tambahan"})
    elif tamper == "duplicate":  # a second post.json after the genuine one
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
            rewrite(pkg, bad, add={"post.json": post.replace(b"Prabowo", b"Prabowa", 1)})
    elif tamper == "traversal":
        rewrite(pkg, bad, add={"../post.json": b"{}"})
    elif tamper == "readme":
        rewrite(pkg, bad, change={"README.txt": b"diubah"})
    res = run(world["cfg"], "evidence", "verify", str(bad))
    assert res.exit_code == 1, res.output
    assert "TIDAK SAH" in res.output and culprit in res.output
    en = run(world["cfg"], "--lang", "en", "evidence", "verify", str(bad))
    assert en.exit_code == 1 and "INVALID" in en.output and culprit in en.output


def test_manifest_hash_edited_to_match_is_caught_against_the_database(world):
    """A forger rewriting post.json and every hash in the manifest passes the offline check, but not
    the comparison with the database that recorded the capture."""
    import hashlib
    pkg = export(world, "image", "forge.zip")
    with zipfile.ZipFile(pkg) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        post = zf.read("post.json").replace(b"Prabowo", b"Prabowa", 1)
    sha = hashlib.sha256(post).hexdigest()
    manifest["post"]["raw_sha256_at_capture"] = sha
    for f in manifest["files"]:
        if f["path"] == "post.json":
            f["sha256"] = sha
    bad = rewrite(pkg, world["tmp"] / "forged.zip", change={"post.json": post, "manifest.json": json.dumps(manifest).encode()})
    assert run(world["cfg"], "evidence", "verify", str(bad)).exit_code == 0  # internally consistent
    res = run(world["cfg"], "evidence", "verify", "--check-db", str(bad))
    assert res.exit_code == 1 and "post.json" in res.output and "basis data" in res.output


def test_not_a_zip_and_unknown_hit(world):
    junk = world["tmp"] / "junk.zip"
    junk.write_bytes(b"PK no zip")
    res = run(world["cfg"], "--lang", "en", "evidence", "verify", str(junk))
    assert res.exit_code == 1 and "junk.zip: not a valid zip file" in res.output
    res = run(world["cfg"], "evidence", "export", "Hdeadbeef0000", "-o", str(world["tmp"] / "x.zip"))
    assert res.exit_code == 1 and "tidak ditemukan" in res.output


# -- deletion watch --------------------------------------------------------------------------------
def test_deleted_and_edited_posts_are_marked_and_evidence_kept(world):
    assert "3 posts, 1 deleted, 1 edited, 0 could not be checked" in world["watch"].output, world["watch"].output
    # the deleted post is not asked about again; the others are
    assert "2 posts, 0 deleted, 1 edited" in world["watch_again"].output, world["watch_again"].output
    ids = world["ids"]
    with Store(world["tmp"] / "m.duckdb") as s:
        deleted = s.post_check("mastodon", ids["deleted"])
        edited = s.post_check("mastodon", ids["edited"])
        present = s.post_check("mastodon", ids["image"])
        after = {r[0]: (r[1], r[2]) for r in s.con.execute("SELECT post_id, raw, raw_sha256 FROM posts").fetchall()}
        revisions = s.con.execute("SELECT post_id, raw FROM post_revisions").fetchall()
        hit = s.get_hit(world["hits"][ids["deleted"]])
        audit = [a["action"] for a in s.audit_entries()]
    assert deleted["state"] == "deleted" and deleted["noticed_at"] is not None
    assert edited["state"] == "edited" and edited["noticed_at"] is not None and edited["checks"] == 2
    assert present["state"] == "present" and present["noticed_at"] is None
    assert after == world["before"]  # the captured posts are untouched
    assert [r[0] for r in revisions] == [ids["edited"]] and "Selamat pagi" in revisions[0][1]
    assert hit["post_state"] == "deleted" and hit["post_state_noticed_at"] == deleted["noticed_at"]
    assert "post.deleted" in audit and "post.edited" in audit
    # the deleted post's package still verifies, and records the watch state
    pkg = export(world, "deleted", "deleted.zip")
    assert run(world["cfg"], "evidence", "verify", str(pkg)).exit_code == 0
    manifest = json.loads(zipfile.ZipFile(pkg).read("manifest.json"))
    assert manifest["watch"]["state"] == "deleted"
    edited_pkg = export(world, "edited", "edited.zip")
    names = zipfile.ZipFile(edited_pkg).namelist()
    assert any(n.startswith("revisions/") for n in names)
    assert run(world["cfg"], "evidence", "verify", str(edited_pkg)).exit_code == 0


def test_verify_exit_status_of_the_real_program(world):
    """``python -m monitor evidence verify`` exits 1 on a tampered package, 0 on a good one."""
    import subprocess
    import sys
    good = export(world, "image", "proc-good.zip")
    bad = rewrite(good, world["tmp"] / "proc-bad.zip", add={"tambahan.txt": b"x"})
    base = [sys.executable, "-m", "monitor", "--config", str(world["cfg"]), "evidence", "verify"]
    ok = subprocess.run(base + [str(good)], capture_output=True, text=True, timeout=120)
    ko = subprocess.run(base + [str(bad)], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert ko.returncode == 1 and "tambahan.txt" in ko.stderr
