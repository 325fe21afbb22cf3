"""A fake Web Push service on loopback, and the keys a browser makes for a subscription."""

from __future__ import annotations

import base64
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def phone_keys():
    """(private key, p256dh as base64url, auth secret): what a browser subscription holds."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return private, b64(public), os.urandom(16)


class FakePushService:
    """Records each POST it receives (path, headers, body) and answers ``status`` after
    ``delay`` seconds, so that concurrent senders overlap."""

    def __init__(self, host: str = "127.0.0.1", delay: float = 0.0):
        self.received: list[tuple[str, dict, bytes]] = []
        self.status = 201
        self.delay = delay
        lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(service.delay)
                with lock:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    service.received.append((self.path, headers, body))
                self.send_response(service.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.base = f"http://{host}:{self.server.server_port}"
        self.endpoint = f"{self.base}/push/abc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.received]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
