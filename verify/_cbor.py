"""Strict, bounded CBOR handling for untrusted input.

cbor2 is convenient but permissive: it ignores trailing bytes, accepts duplicate
map keys by default and turns many tags (dates, bignums, regexes, MIME, ...) into
Python objects.  Before cbor2 sees untrusted bytes, :func:`check_structure` walks
the raw encoding and accepts only the small subset this format uses:

* unsigned and negative integers (major types 0 and 1),
* definite-length byte and text strings (2 and 3),
* definite-length arrays and maps (4 and 5) up to a fixed nesting depth,
  with map keys that are integers or text strings,
* at most one tag, and only around the whole item (the COSE_Sign1 tag 18).

Floats, simple values (false/true/null/undefined), indefinite lengths, reserved
additional-information values, nested tags and trailing bytes are all refused.
Only then is the item decoded by cbor2, with duplicate keys refused as well.
"""

from __future__ import annotations

from typing import Any

import cbor2

__all__ = ["CBORStructureError", "check_structure", "decode_strict", "encode_canonical"]


class CBORStructureError(ValueError):
    """The bytes are not CBOR of the accepted shape."""


# Smallest argument that needs each head size: a head of 1, 2, 4 or 8 extra bytes whose
# argument is below the bound could have been shorter.
_SHORTEST_FLOOR = {24: 24, 25: 0x100, 26: 0x1_0000, 27: 0x1_0000_0000}


def _read_head(data: bytes, pos: int, shortest: bool = False) -> tuple[int, int, int]:
    """Return (major type, argument, position after the head).

    With ``shortest`` a head that is longer than its argument needs is refused.
    """
    if pos >= len(data):
        raise CBORStructureError("truncated CBOR item")
    initial = data[pos]
    major, info = initial >> 5, initial & 0x1F
    pos += 1
    if info < 24:
        return major, info, pos
    if info > 27:
        # 28..30 are reserved; 31 is an indefinite length or a "break".
        raise CBORStructureError("indefinite length or reserved CBOR encoding")
    size = 1 << (info - 24)
    if pos + size > len(data):
        raise CBORStructureError("truncated CBOR item")
    arg = int.from_bytes(data[pos : pos + size], "big")
    if shortest and arg < _SHORTEST_FLOOR[info]:
        raise CBORStructureError("non_shortest: a CBOR head is longer than needed")
    return major, arg, pos + size


def _walk(
    data: bytes, pos: int, depth: int, max_depth: int, shortest: bool = False
) -> tuple[int, int]:
    """Check one item starting at ``pos``; return (its major type, end position)."""
    major, arg, pos = _read_head(data, pos, shortest)
    if major in (0, 1):
        return major, pos
    if major in (2, 3):
        end = pos + arg
        if end > len(data):
            raise CBORStructureError("string runs past the end of the input")
        return major, end
    if major in (4, 5):
        if depth >= max_depth:
            raise CBORStructureError("CBOR nesting too deep")
        # Every element needs at least one byte: a cheap bound against huge counts.
        if arg > len(data) - pos:
            raise CBORStructureError("container count exceeds the input size")
        for _ in range(arg):
            if major == 5:
                key_major, pos = _walk(data, pos, depth + 1, max_depth, shortest)
                if key_major not in (0, 1, 3):
                    raise CBORStructureError("map keys must be integers or text strings")
            _, pos = _walk(data, pos, depth + 1, max_depth, shortest)
        return major, pos
    if major == 6:
        raise CBORStructureError("unexpected CBOR tag")
    raise CBORStructureError("floats and simple values are not allowed")


def check_structure(
    data: bytes, *, max_depth: int, tagged: bool = False, shortest: bool = False
) -> int | None:
    """Check that ``data`` is exactly one CBOR item of the accepted subset.

    With ``tagged=True`` the item may (and should) carry one tag around it; the
    tag number is returned so the caller can give a precise reason when it is
    the wrong one.  ``max_depth`` counts nested arrays and maps.  With
    ``shortest=True`` every head (the tag's too) must use its shortest form; the
    contents of byte strings are not looked into.
    """
    pos = 0
    tag: int | None = None
    if tagged and data and data[0] >> 5 == 6:
        _, tag, pos = _read_head(data, 0, shortest)
    _, end = _walk(data, pos, 0, max_depth, shortest)
    if end != len(data):
        raise CBORStructureError("trailing bytes after the CBOR item")
    return tag


def decode_strict(data: bytes, *, max_depth: int) -> Any:
    """Check the structure of an untagged item and decode it."""
    check_structure(data, max_depth=max_depth)
    return _loads(data, max_depth)


def _loads(data: bytes, max_depth: int) -> Any:
    try:
        return cbor2.loads(
            data,
            max_depth=max_depth + 1,
            allow_indefinite=False,
            allow_duplicate_keys=False,
        )
    except (cbor2.CBORDecodeError, UnicodeDecodeError, ValueError) as exc:
        raise CBORStructureError(f"CBOR decoding failed: {exc}") from exc


def decode_tagged(data: bytes, *, max_depth: int, shortest: bool = False) -> tuple[int | None, Any]:
    """Check and decode an item that should carry one outer tag.

    Returns (tag number or None, decoded content without the tag).
    """
    tag = check_structure(data, max_depth=max_depth, tagged=True, shortest=shortest)
    if tag is None:
        return None, _loads(data, max_depth)
    # Decode the content without its tag head: cbor2 would otherwise freeze it.
    _, _, pos = _read_head(data, 0)
    return tag, _loads(data[pos:], max_depth)


def encode_canonical(obj: Any) -> bytes:
    """Deterministic encoding (RFC 8949 section 4.2.1: shortest forms, sorted map keys)."""
    return cbor2.dumps(obj, canonical=True)
