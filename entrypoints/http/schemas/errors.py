"""The error bodies of every status (400/401/403/404/405/409/413/415/422/429/5xx), in one place.

Every error is `{"detail", "code"}`: `detail` for people, `code` a stable machine code. A 422
from request validation keeps FastAPI's list of problems in `detail` (at most 20, each without
the input that failed) with `code: "validation_error"`.
"""

from typing import Annotated, Any

from pydantic import BaseModel, Field

MAX_PROBLEMS = 20
EXCERPT_CHARS = 80  # a value from the request, echoed in a validation problem
DETAIL_CHARS = 300  # a message of ours, which may quote a value from the request


class ValidationProblem(BaseModel):
    """One problem in FastAPI's shape, without the input that failed."""

    type: str
    loc: list[int | str]
    msg: str
    ctx: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    """Every error, 4xx and 5xx alike: one schema, so a client parses every error the same way.

    `detail` says what went wrong, for people; for a request that failed validation (422,
    `code: validation_error`) it is FastAPI's list of problems instead (at most 20).
    """

    detail: str | Annotated[list[ValidationProblem], Field(max_length=MAX_PROBLEMS)] = Field(
        description="a message for people; for request validation, the list of problems"
    )
    code: str = Field(
        description="a stable machine code, e.g. not_found, validation_error, precondition_failed"
    )


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> Any:
    """A short excerpt of something that may hold client input: at most `limit` chars."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "..."
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
