"""The Mongo adapter's index creation decides from the server's answer whether search can work."""

import pytest
from pymongo.errors import ExecutionTimeout, OperationFailure

from adapters.mongo.indexes import INDEXES, ensure_indexes, is_text_index


class Collection:
    def __init__(self, text_error: Exception | None) -> None:
        self.text_error = text_error
        self.created: list[str] = []

    async def create_indexes(self, models) -> list[str]:
        if self.text_error is not None and any(is_text_index(m) for m in models):
            raise self.text_error
        self.created += [m.document["name"] for m in models]
        return self.created


class Database(dict):
    def __init__(self, text_error: Exception | None = None) -> None:
        super().__init__({name: Collection(text_error) for name in INDEXES})


def failure(code: int, name: str, message: str) -> OperationFailure:
    return OperationFailure(
        message, code, {"ok": 0, "errmsg": message, "code": code, "codeName": name}
    )


async def test_a_server_that_takes_every_index_can_search():
    db = Database()
    assert await ensure_indexes(db) is None
    assert "products_text" in db["products"].created


async def test_a_refused_text_index_is_the_reason_search_cannot_work_and_the_rest_is_created():
    db = Database(failure(67, "CannotCreateIndex", "text indexes are not supported here"))
    reason = await ensure_indexes(db)
    assert reason is not None
    assert "refused the text index on products" in reason
    assert "CannotCreateIndex: text indexes are not supported here" in reason
    # every other index exists, the unique sku among them (createIndexes is all-or-nothing)
    assert "sku_unique" in db["products"].created and "products_text" not in db["products"].created
    assert "email_unique" in db["users"].created


@pytest.mark.parametrize(
    "error",
    [
        failure(85, "IndexOptionsConflict", "an index with other weights exists"),
        failure(86, "IndexKeySpecsConflict", "an index with other keys exists"),
        ExecutionTimeout("operation exceeded time limit", 50),
    ],
    ids=["options-conflict", "key-specs-conflict", "timeout"],
)
async def test_conflicts_and_timeouts_are_raised_not_taken_for_a_missing_capability(error):
    with pytest.raises(type(error)):
        await ensure_indexes(Database(error))
