"""Fields of a partial update (PATCH) that may be left out but never sent as null."""

from typing import Any

from pydantic import Field


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def omittable(**constraints: Any) -> Any:
    """A field that may be left out (it then does not change) but not sent as null: its type
    stays non-nullable in the schema and null is a 422, so the document promises only what
    the API accepts. The None default is never validated and never reaches the use case
    (`changes()` takes only the fields sent)."""
    return Field(None, json_schema_extra=_no_default, **constraints)
