"""SSRF guard for media downloads: media URLs come from platform payloads (untrusted), so before a
request is sent (and before each redirect is followed) the URL must be http(s) and its host must
resolve only to public addresses. Loopback, private (RFC 1918, fc00::/7), link-local (169.254/16
with the cloud metadata address, fe80::/10), multicast, unspecified and reserved addresses are
refused. ``allow_private`` (``[evidence] allow_private_media``) lifts the address check, for tests
and closed networks; the scheme check always applies."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import aiohttp
from yarl import URL


class RefusedURL(aiohttp.ClientError):
    """A URL the media fetcher must not request. A ``ClientError`` so that raising it inside an
    aiohttp redirect hook stops the request before the redirect is followed."""


def _bad_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    for prop in ("is_loopback", "is_link_local", "is_multicast", "is_unspecified", "is_reserved",
                 "is_private"):  # most specific first: is_private also covers link-local, reserved, ...
        if getattr(ip, prop):
            return prop[3:].replace("_", "-")
    return None if ip.is_global else "non-public"  # e.g. 100.64/10 (carrier-grade NAT)


async def check_url(url: str | URL, *, allow_private: bool = False) -> None:
    """Raise :class:`RefusedURL` (with the reason) unless ``url`` may be fetched."""
    u = url if isinstance(url, URL) else URL(url)
    if u.scheme not in ("http", "https"):
        raise RefusedURL(f"refused: scheme '{u.scheme or '(none)'}' is not http(s)")
    host = u.raw_host
    if not host:
        raise RefusedURL("refused: URL has no host")
    if allow_private:
        return
    try:
        infos = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        try:
            res = await asyncio.get_running_loop().getaddrinfo(host, u.port or 443, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise RefusedURL(f"refused: host {host} does not resolve ({exc})") from None
        infos = [ipaddress.ip_address(r[4][0].split("%", 1)[0]) for r in res]
    if not infos:
        raise RefusedURL(f"refused: host {host} does not resolve")
    for ip in infos:
        why = _bad_address(ip)
        if why:
            raise RefusedURL(f"refused: host {host} resolves to a {why} address ({ip})")


def redirect_guard(allow_private: bool) -> aiohttp.TraceConfig:
    """An aiohttp trace that checks each redirect target before it is requested."""

    async def on_redirect(session, ctx, params: aiohttp.TraceRequestRedirectParams) -> None:
        loc = params.response.headers.get("Location")
        if not loc:
            return
        await check_url(params.response.url.join(URL(loc)), allow_private=allow_private)

    tc = aiohttp.TraceConfig()
    tc.on_request_redirect.append(on_redirect)
    return tc


class GuardedResolver(aiohttp.ThreadedResolver):
    """Resolver that refuses non-public addresses at connection time too, so a host whose DNS answer
    changes between :func:`check_url` and the connection (DNS rebinding) is still not reached."""

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET):
        hosts = await super().resolve(host, port, family)
        for h in hosts:
            why = _bad_address(ipaddress.ip_address(h["host"].split("%", 1)[0]))
            if why:
                raise RefusedURL(f"refused: host {host} resolves to a {why} address ({h['host']})")
        return hosts
