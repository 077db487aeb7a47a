"""X25519 key pairs for v3 client authorisation (RFC 7748; stem and the stdlib have none)."""

from __future__ import annotations

import secrets

_P = 2**255 - 19
_A24 = 121665


def _clamp(secret: bytes) -> int:
    scalar = bytearray(secret)
    scalar[0] &= 248
    scalar[31] &= 127
    scalar[31] |= 64
    return int.from_bytes(scalar, "little")


def scalar_mult(secret: bytes, u: int) -> bytes:
    """The Montgomery ladder of RFC 7748, section 5."""
    k = _clamp(secret)
    x2, z2, x3, z3, swap = 1, 0, u, 1, 0
    for t in reversed(range(255)):
        bit = (k >> t) & 1
        swap ^= bit
        if swap:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = bit
        a, b = (x2 + z2) % _P, (x2 - z2) % _P
        c, d = (x3 + z3) % _P, (x3 - z3) % _P
        aa, bb = a * a % _P, b * b % _P
        e = (aa - bb) % _P
        da, cb = d * a % _P, c * b % _P
        x3 = (da + cb) ** 2 % _P
        z3 = u * (da - cb) ** 2 % _P
        x2 = aa * bb % _P
        z2 = e * (aa + _A24 * e) % _P
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, _P - 2, _P) % _P).to_bytes(32, "little")


def public_key(secret: bytes) -> bytes:
    return scalar_mult(secret, 9)


def new_secret() -> bytes:
    """32 random bytes, already clamped so every tool reads the same scalar."""
    return _clamp(secrets.token_bytes(32)).to_bytes(32, "little")
