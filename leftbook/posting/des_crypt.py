"""Traditional DES-based crypt(3), in pure Python.

Python 3.13 removed the ``crypt`` module, and classic tripcodes are defined by
the 13-character DES crypt: 25 DES encryptions of a zero block under a key made
of the password's first 8 bytes (7 bits each), with the E-box perturbed by a
12-bit salt. The tables below are the DES standard (FIPS 46-3); the S-boxes are
folded with the P permutation into four 4096-entry tables so that one round is
a handful of lookups (about 0.4 ms per crypt on CPython 3.11).
"""

from itertools import accumulate

SALT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

_PC1 = (57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
        10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
        63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
        14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4)
_PC2 = (14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10,
        23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
        41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48,
        44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32)
_KEY_SHIFTS = (1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1)
_E = (32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17,
      16, 17, 18, 19, 20, 21, 20, 21, 22, 23, 24, 25, 24, 25, 26, 27, 28, 29, 28, 29, 30, 31,
      32, 1)
_P = (16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
      2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25)
_FP = (40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31,
       38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13, 53, 21, 61, 29,
       36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27,
       34, 2, 42, 10, 50, 18, 58, 26, 33, 1, 41, 9, 49, 17, 57, 25)
_SBOXES = (
    "e4d12fb83a6c5907 0f74e2d1a6cb9538 41e8d62bfc973a50 fc8249175b3ea06d",
    "f18e6b34972dc05a 3d47f28ec01a69b5 0e7ba4d158c6932f d8a13f42b67c05e9",
    "a09e63f51dc7b428 d709346a285ecbf1 d6498f30b12c5ae7 1ad069874fe3b52c",
    "7de3069a1285bc4f d8b56f03472c1ae9 a690cb7df13e5284 3f06a1d8945bc72e",
    "2c417ab6853fd0e9 eb2c47d150fa3986 421bad78f9c5630e b8c71e2d6f09a453",
    "c1af92680d34e75b af427c9561de0b38 9ef528c3704a1db6 432c95fabe17608d",
    "4b2ef08d3c975a61 d0b7491ae35c2f86 14bdc37eaf680592 6bd814a7950fe23c",
    "d2846fb1a93e50c7 1fd8a374c56b0e92 7b419ce206adf358 21e74a8dfc90356b",
)


def _permute(value: int, table: tuple[int, ...], width: int) -> int:
    """Apply a DES bit-selection table (1-based, bit 1 = most significant)."""
    out = 0
    for position in table:
        out = (out << 1) | ((value >> (width - position)) & 1)
    return out


def _sbox_output(box: int, six_bits: int) -> int:
    row = ((six_bits >> 4) & 2) | (six_bits & 1)
    nibble = int(_SBOXES[box].split()[row][(six_bits >> 1) & 15], 16)
    return _permute(nibble << (28 - 4 * box), _P, 32)


def _build_tables() -> tuple[list[list[int]], list[list[int]]]:
    expand = [[_permute(v << (24 - 8 * i), _E, 32) for v in range(256)] for i in range(4)]
    single = [[_sbox_output(box, v) for v in range(64)] for box in range(8)]
    paired = [
        [single[2 * i][v >> 6] | single[2 * i + 1][v & 63] for v in range(4096)]
        for i in range(4)
    ]
    return expand, paired


_EXPAND, _SP = _build_tables()
_ROTATIONS = tuple(accumulate(_KEY_SHIFTS))


def _key_schedule(key: bytes) -> list[int]:
    key = key.split(b"\0", 1)[0][:8].ljust(8, b"\0")
    shifted = int.from_bytes(bytes((b << 1) & 0xFF for b in key), "big")
    cd = _permute(shifted, _PC1, 64)
    c, d = cd >> 28, cd & 0xFFFFFFF
    subkeys = []
    for n in _ROTATIONS:
        cn = ((c << n) | (c >> (28 - n))) & 0xFFFFFFF
        dn = ((d << n) | (d >> (28 - n))) & 0xFFFFFFF
        subkeys.append(_permute((cn << 28) | dn, _PC2, 56))
    return subkeys


def _salt_mask(salt: str) -> int:
    """Bit 23-k set: swap E-box output bits k and k+24 (k = 0..11, from the MSB)."""
    value = SALT_ALPHABET.index(salt[0]) | (SALT_ALPHABET.index(salt[1]) << 6)
    return sum(1 << (23 - k) for k in range(12) if value >> k & 1)


def des_crypt(key: bytes, salt: str) -> str:
    """Return the traditional 13-character crypt(3) of ``key`` with a 2-character salt.

    Like C's crypt, the key ends at its first NUL byte, only its first 8 bytes
    count and the high bit of each byte is ignored. The salt must be two
    characters of ``./0-9A-Za-z``; anything else raises ``ValueError``.
    """
    if len(salt) < 2 or salt[0] not in SALT_ALPHABET or salt[1] not in SALT_ALPHABET:
        raise ValueError("salt must be two characters of ./0-9A-Za-z")
    salt = salt[:2]
    subkeys = _key_schedule(key)
    pairs = [(subkeys[i], subkeys[i + 1]) for i in range(0, 16, 2)]
    mask = _salt_mask(salt)
    e0, e1, e2, e3 = _EXPAND
    s0, s1, s2, s3 = _SP
    left = right = 0
    for _ in range(25):
        for k_odd, k_even in pairs:
            e = e0[right >> 24] | e1[(right >> 16) & 255] | e2[(right >> 8) & 255] | e3[right & 255]
            t = ((e >> 24) ^ e) & mask
            e ^= (t << 24) ^ t ^ k_odd
            left ^= s0[e >> 36] | s1[(e >> 24) & 4095] | s2[(e >> 12) & 4095] | s3[e & 4095]
            e = e0[left >> 24] | e1[(left >> 16) & 255] | e2[(left >> 8) & 255] | e3[left & 255]
            t = ((e >> 24) ^ e) & mask
            e ^= (t << 24) ^ t ^ k_even
            right ^= s0[e >> 36] | s1[(e >> 24) & 4095] | s2[(e >> 12) & 4095] | s3[e & 4095]
        left, right = right, left
    block = _permute((left << 32) | right, _FP, 64) << 2
    return salt + "".join(SALT_ALPHABET[(block >> (60 - 6 * i)) & 63] for i in range(11))
