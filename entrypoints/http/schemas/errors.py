"""The error bodies of every status (400/401/403/404/405/409/413/415/422/429/5xx), in one place.

Every error is `{"detail", "code"}`: `detail` for people, `code` a stable machine code. A 422
from request validation keeps FastAPI's list of problems in `detail` (at most 20, each without
the input that failed) with `code: "validation_error"`.
"""

from typing import Any

from pydantic import BaseModel, Field

MAX_PROBLEMS = 20
EXCERPT_CHARS = 80


class ErrorBody(BaseModel):
    """Any error but request validation."""

    detail: str = Field(description="what went wrong, for people")
    code: str = Field(description="a stable machine code, e.g. not_found, method_not_allowed")


class ValidationProblem(BaseModel):
    """One problem in FastAPI's shape, without the input that failed."""

    type: str
    loc: list[int | str]
    msg: str
    ctx: dict[str, Any] | None = None


class ValidationErrorBody(BaseModel):
    """A request that failed validation: its problems (at most 20)."""

    detail: list[ValidationProblem] = Field(max_length=MAX_PROBLEMS)
    code: str = Field("validation_error", description="always validation_error")


def excerpt(value: Any) -> Any:
    """A short excerpt of something that came from a client: at most EXCERPT_CHARS chars."""
    if isinstance(value, str) and len(value) > EXCERPT_CHARS:
        return value[:EXCERPT_CHARS] + "..."
    return value


def problems(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """FastAPI/pydantic errors as `ValidationProblem`s: at most MAX_PROBLEMS, no `input`,
    no `url`, every string from the request cut to a short excerpt."""
    out = []
    for error in errors[:MAX_PROBLEMS]:
        problem: dict[str, Any] = {
            "type": error.get("type", "value_error"),
            "loc": [excerpt(part) for part in error.get("loc", ())],
            "msg": excerpt(str(error.get("msg", ""))),
        }
        ctx = error.get("ctx")
        if ctx:
            problem["ctx"] = {k: excerpt(str(v)) for k, v in ctx.items()}
        out.append(problem)
    return out
