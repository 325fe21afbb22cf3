"""QR codes for diary links, as inline SVG (no image library needed). Flask-free.

qrcode is imported by the drawing function: start-up does not pay for it."""

from __future__ import annotations


def qr_svg(text: str) -> str:
    """An SVG element encoding ``text``, sized by CSS, for scanning from a screen or paper."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=2,
    )
    svg = image.to_string(encoding="unicode")
    return svg[svg.index("<svg") :]
