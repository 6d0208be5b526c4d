"""Exact JSON at the HTTP edge: request bodies parsed without a float step, responses
encoded once, straight to bytes, with amounts as exact JSON numbers.

Reading: the standard library's C scanner with `parse_float=Decimal`, so `12.50000000000000000001`
reaches validation with all its digits (and is refused for having more than 2 places) instead
of becoming the double 12.5; `NaN`/`Infinity` are not JSON and are refused; integers keep their
exact value (Python ints). A text holding NUL or a lone surrogate is refused here, for every
field of every body alike, because no store can hold both (PostgreSQL refuses NUL in text,
UTF-8 cannot encode a lone surrogate).

Writing: `ExactJSONResponse` renders with orjson; a `Decimal` becomes an `orjson.Fragment` of
its own digits, so a sum of any size is sent exactly as a JSON number.
"""

import json
import re
from decimal import Decimal
from typing import Any

import orjson
from fastapi.responses import JSONResponse

# NUL, and surrogates: a valid \\ud83d\\ude00 pair is joined into one character by the
# parser, so only a lone surrogate is left for this to find.
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
MAX_PROBLEMS = 20


class JsonBodyError(ValueError):
    """A body that is not JSON, or holds a number or text no store can keep; `problems`
    lists them in FastAPI's validation-error shape (at most MAX_PROBLEMS)."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__(problems[0]["msg"] if problems else "invalid JSON")
        self.problems = problems


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


INTEGRAL_DIGITS = 18  # a whole number written with a fraction or an exponent, up to this size


def _number(text: str) -> Decimal | int:
    """A JSON number with a fraction or an exponent: an exact Decimal, except that a whole
    number (`3461.0`, `2e3`) is an int, as JSON Schema counts it an integer (2020-12 §6.2.1:
    "a number with a zero fractional part") and the document promises `integer` fields."""
    number = Decimal(text)
    if (
        number.is_finite()
        and number.adjusted() < INTEGRAL_DIGITS
        and number == number.to_integral_value()
    ):
        return int(number)
    return number


_DECODER = json.JSONDecoder(parse_float=_number, parse_constant=_no_constant)


def forbidden_text(value: str) -> bool:
    """True when the text holds NUL or a lone surrogate (accepted by no store alike)."""
    return _FORBIDDEN.search(value) is not None


def _check_text(value: Any, loc: tuple[int | str, ...], problems: list[dict[str, Any]]) -> None:
    """Walk the parsed body and record every key or string holding a forbidden character."""
    if len(problems) >= MAX_PROBLEMS:
        return
    if isinstance(value, str):
        if _FORBIDDEN.search(value):
            problems.append(text_problem(loc))
    elif isinstance(value, dict):
        for key, item in value.items():
            if _FORBIDDEN.search(key):
                problems.append(text_problem((*loc, "<key>")))
            _check_text(item, (*loc, key), problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(item, (*loc, index), problems)


def text_problem(loc: tuple[int | str, ...]) -> dict[str, Any]:
    return {
        "type": "string_forbidden_character",
        "loc": loc,
        "msg": "Text must not hold NUL (U+0000) or a lone surrogate (U+D800-U+DFFF)",
        "input": None,
    }


def loads_exact(body: bytes) -> Any:
    """The JSON document in `body`, numbers with fractions or exponents as Decimal.

    JsonBodyError (a 422) for text that is not UTF-8 JSON, NaN/Infinity, an integer too long
    for Python to read, or a string holding NUL or a lone surrogate.
    """
    try:
        text = body.decode("utf-8")
        value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise JsonBodyError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", exc.pos),
                    "msg": "JSON decode error",
                    "input": None,
                    "ctx": {"error": exc.msg},
                }
            ]
        ) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # not UTF-8, NaN/Infinity, more than sys.get_int_max_str_digits() digits, too deep
        reason = str(exc)[:100] if isinstance(exc, ValueError) else type(exc).__name__
        raise JsonBodyError(
            [{"type": "json_invalid", "loc": ("body",), "msg": reason, "input": None}]
        ) from None
    # the walk is only needed when an escape could have produced NUL or a surrogate: raw
    # control characters are invalid JSON and raw UTF-8 cannot encode a surrogate
    if b"\\u" in body:
        problems: list[dict[str, Any]] = []
        _check_text(value, ("body",), problems)
        if problems:
            raise JsonBodyError(problems)
    return value


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError("a non-finite Decimal is not JSON")
        # its exact value in the fewest digits (0.30 -> 0.3, 1E+2 -> 100), never exponent form
        return orjson.Fragment(format(value.normalize(), "f").encode())
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps_exact(content: Any) -> bytes:
    """`content` as JSON bytes; Decimals as exact JSON numbers (their own digits)."""
    return orjson.dumps(content, default=_default)


class ExactJSONResponse(JSONResponse):
    """The one JSON response class of the app for content built by hand (errors, reports
    with unbounded sums): rendered once by orjson, Decimals exact."""

    def render(self, content: Any) -> bytes:
        return dumps_exact(content)
