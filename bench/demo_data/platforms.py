"""Post ids and URLs the way each platform shapes them, and the Post-format dictionaries."""

from __future__ import annotations

import datetime as dt
import string

from demo_data.accounts import Registry

KINDS_BY_PLATFORM = {
    "x": ("post", "comment", "share", "quote", "forward"),
    "facebook": ("post", "comment", "share", "forward"),
    "instagram": ("post", "comment", "share"),
    "tiktok": ("post", "comment", "share", "quote"),
    "mastodon": ("post", "comment", "share"),
    "youtube": ("post", "comment"),
}
B64 = string.ascii_letters + string.digits + "_-"


def author_dict(acc: dict) -> dict:
    return {k: acc[k] for k in ("id", "handle", "name", "bio", "url") if acc.get(k)}


def parent_ref(parent: dict) -> dict:
    """What a child post carries about its parent (id, url, text, author without bio)."""
    author = {k: v for k, v in parent["author"].items() if k in ("id", "handle", "name", "url")}
    return {"post_id": parent["post_id"], "url": parent["url"], "text": parent["text"], "author": author}


def _ids(reg: Registry, platform: str, kind: str, acc: dict, parent: dict | None) -> tuple[str, str]:
    handle = acc.get("handle") or ""
    if platform == "x":
        pid = reg.number("x:post", 19, "174")
        return pid, f"https://x.com/{handle}/status/{pid}"
    if platform == "facebook":
        if kind == "comment":
            cid = reg.number("facebook:comment", 16)
            obj = parent["post_id"].split("_")[-1]
            return f"{obj}_{cid}", f"{parent['url']}?comment_id={cid}"
        sid = reg.number("facebook:story", 16, "7")
        return f"{acc['id']}_{sid}", f"https://www.facebook.com/{acc['id']}/posts/{sid}"
    if platform == "instagram":
        if kind == "comment":
            cid = reg.number("instagram:comment", 17, "179")
            return cid, f"{parent['url']}c/{cid}/"
        if kind == "share":
            sid = reg.number("instagram:story", 19, "32")
            return sid, f"https://www.instagram.com/stories/{handle}/{sid}/"
        code = reg.token("instagram:media", 11, "C2", B64)
        return code, f"https://www.instagram.com/p/{code}/"
    if platform == "tiktok":
        vid = reg.number("tiktok:item", 19, "7324")
        if kind in ("comment", "share"):
            return vid, parent["url"]
        return vid, f"https://www.tiktok.com/@{handle}/video/{vid}"
    if platform == "mastodon":
        user, domain = handle.split("@")
        sid = reg.number("mastodon:status", 18, "1117")
        if kind == "share":
            return sid, f"https://{domain}/users/{user}/statuses/{sid}/activity"
        return sid, f"https://{domain}/@{user}/{sid}"
    if platform == "youtube":
        if kind == "comment":
            cid = reg.token("youtube:comment", 19, "Ugx", B64) + "4AaABAg"
            return cid, f"{parent['url']}&lc={cid}"
        vid = reg.token("youtube:video", 11, "", B64)
        return vid, f"https://www.youtube.com/watch?v={vid}"
    raise ValueError(platform)


def make_post(reg: Registry, platform: str, acc: dict, kind: str, text: str, when: dt.datetime,
              parent: dict | None = None, extra_parent: dict | None = None) -> dict:
    """A Post-format dictionary. ``parent`` is a post dictionary of this data set (or an older
    one that only appears as a parent); ``extra_parent`` a ready ParentRef (forwards)."""
    assert kind in KINDS_BY_PLATFORM[platform], (platform, kind)
    post_id, url = _ids(reg, platform, kind, acc, parent)
    post = {"platform": platform, "post_id": post_id, "url": url,
            "created_at": when.isoformat(), "author": author_dict(acc), "kind": kind, "text": text}
    if parent is not None:
        post["parent"] = parent_ref(parent)
    elif extra_parent is not None:
        post["parent"] = extra_parent
    post["_when"] = when
    return post
