"""Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP), as authenticator apps
(Google Authenticator, Microsoft Authenticator, FreeOTP...) compute them: HMAC-SHA1,
6 digits, 30-second steps, a base32 secret of 160 bits."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

DIGITS = 6
STEP = 30


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def _key(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(secret: str, counter: int, digits: int = DIGITS) -> str:
    digest = hmac.new(_key(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10 ** digits).zfill(digits)


def time_step(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // STEP)


def totp(secret: str, at: float | None = None) -> str:
    return hotp(secret, time_step(at))


def match(secret: str, code: str, *, at: float | None = None, window: int = 1,
          after_step: int = -1) -> int | None:
    """The time step ``code`` belongs to (this one or ``window`` steps either side, for
    clocks a little off), or None. Steps up to ``after_step`` are refused: a code once
    used cannot be used again."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = time_step(at)
    for step in range(now - window, now + window + 1):
        if step > after_step and hmac.compare_digest(hotp(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    label = quote(f"{issuer}:{account}", safe="")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1",
                       "digits": DIGITS, "period": STEP})
    return f"otpauth://totp/{label}?{query}"


def qr_svg(text: str) -> str:
    """A QR code of ``text`` as inline SVG (no image library, no network)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8,
                        border=2)
    return image.to_string(encoding="unicode")
