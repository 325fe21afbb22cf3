"""Absolute addresses that leave the site (diary links, QR codes, reminders, the API's
server URL): always built from PUBLIC_URL, never from a request's Host header, which a
client chooses."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app

from diary.models import Block


def public_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values, _external=True)`` as seen from PUBLIC_URL."""
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def diary_url(block: Block) -> str:
    """The link the patient opens: the diary page with the block's token."""
    return public_url("patient.diary", token=block.diary_token)
