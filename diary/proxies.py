"""Forwarded headers believed only from the proxy in front of the app.

nginx overwrites X-Forwarded-For with the address it saw; a client that reaches an app
host directly could send any X-Forwarded-For of its own and be counted, limited and
audited as someone else. So the headers are applied (werkzeug's ProxyFix) only when the
connection comes from an address in FORWARDED_ALLOW_IPS, the setting gunicorn reads too;
from anyone else they are removed before the app sees the request.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from werkzeug.middleware.proxy_fix import ProxyFix

FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_FORWARDED",
)


class TrustedProxyFix:
    """ProxyFix for requests whose peer is a trusted proxy; the headers dropped otherwise."""

    def __init__(self, app, hops: int, proxies: Iterable[str]):
        self.app = app
        self.fixed = ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops)
        self.proxies = [ipaddress.ip_network(network) for network in proxies]

    def trusted(self, peer: str | None) -> bool:
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            # A UNIX socket has no address; only local processes allowed by the socket
            # file's permissions reach it, and gunicorn trusts them too.
            return True
        return any(address in network for network in self.proxies)

    def __call__(self, environ, start_response):
        if self.trusted(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        for header in FORWARDED_HEADERS:
            environ.pop(header, None)
        return self.app(environ, start_response)
