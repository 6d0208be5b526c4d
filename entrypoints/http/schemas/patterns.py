"""Regular-expression classes for the document's patterns, built from a character rule."""

from collections.abc import Callable


def char_class(keep: Callable[[str], bool], below: int) -> str:
    """The characters under code point `below` (surrogates excluded) for which `keep(char)`
    holds, as the body of a `[...]` class of `\\uXXXX` ranges that any JSON Schema tool reads
    (ECMA-262 regular expressions)."""
    ranges: list[list[int]] = []
    for point in range(below):
        if 0xD800 <= point <= 0xDFFF or not keep(chr(point)):
            continue
        if ranges and ranges[-1][1] == point - 1:
            ranges[-1][1] = point
        else:
            ranges.append([point, point])
    return "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)
