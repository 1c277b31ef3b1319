"""The average colour of a BlurHash (https://github.com/woltapp/blurhash/blob/master/Algorithm.md):
its DC component, four base-83 digits after the size and maximum-AC digits, is an sRGB colour.
Enough to paint a placeholder the colour of a remote image without loading it."""

from __future__ import annotations

BASE83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
_VALUE = {c: i for i, c in enumerate(BASE83)}


def average_colour(blurhash: str) -> str:
    """ "#rrggbb", or "" when the hash is not a well-formed BlurHash."""
    if len(blurhash) < 6 or any(c not in _VALUE for c in blurhash):
        return ""
    size = _VALUE[blurhash[0]]
    components = (size % 9 + 1) * (size // 9 + 1)
    if len(blurhash) != 4 + 2 * components:
        return ""
    value = 0
    for c in blurhash[2:6]:
        value = value * 83 + _VALUE[c]
    if value > 0xFFFFFF:
        return ""
    return f"#{value:06x}"
