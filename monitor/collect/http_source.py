"""Shared plumbing of sources that talk HTTP: options validation, their own client, closing it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from monitor.collect.base import Source, SourceContext
from monitor.collect.http import HttpClient


def check_base_url(v: str, example: str) -> str:
    """A ``base_url`` option: http(s), a host, no query or fragment; trailing ``/`` removed."""
    v = v.strip().rstrip("/")
    parts = urlsplit(v)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http(s) URL such as {example}")
    if parts.query or parts.fragment:
        raise ValueError("must not contain a query or fragment")
    return v


class HttpSource(Source):
    """A source with an ``http: HttpOptions`` block. It opens its own :class:`HttpClient` on first
    use and closes it in :meth:`aclose`; an injected client (tests, shared pools) is left open."""

    def __init__(self, name: str, options: Any, http: HttpClient | None = None,
                 context: SourceContext | None = None) -> None:
        model = self.options_model
        if model is not None and not isinstance(options, model):
            options = model.model_validate(options)
        super().__init__(name, options, http, context)
        self._owns_http = http is None

    def _client(self) -> HttpClient:
        if self.http is None:
            self.http = HttpClient(self.options.http, name=f"{self.type_name}:{self.name}")
        return self.http

    async def aclose(self) -> None:
        """Close the HTTP session this source opened (an injected client is left open)."""
        if self._owns_http and self.http is not None:
            await self.http.aclose()
            self.http = None
