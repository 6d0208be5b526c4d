"""Driver errors -> domain errors, as the Mongo adapter translates them (no server needed)."""

import pytest
from pymongo import errors

from adapters.mongo.errors import NEEDS_REPLICA_SET, translate
from domain.errors import DuplicateError, StoreTimeoutError, UnavailableError


def test_a_duplicate_key_names_its_field():
    exc = errors.DuplicateKeyError(
        "E11000 duplicate key error collection: db.users index: email_unique dup key",
        11000,
        {"keyPattern": {"email": 1}, "keyValue": {"email": "a@b.co"}},
    )
    translated = translate(exc)
    assert isinstance(translated, DuplicateError) and translated.field == "email"


@pytest.mark.parametrize(
    "exc,expected",
    [
        (errors.ServerSelectionTimeoutError("no servers"), UnavailableError),
        (errors.AutoReconnect("connection reset"), UnavailableError),
        (errors.NetworkTimeout("timed out"), StoreTimeoutError),
        (errors.ExecutionTimeout("operation exceeded time limit", 50), StoreTimeoutError),
        (errors.WTimeoutError("waiting for replication timed out", 64), StoreTimeoutError),
    ],
)
def test_connection_and_timeout_errors(exc, expected):
    assert isinstance(translate(exc), expected)


def test_a_standalone_server_says_a_replica_set_is_needed():
    exc = errors.OperationFailure(
        "Transaction numbers are only allowed on a replica set member or mongos", 20
    )
    translated = translate(exc)
    assert isinstance(translated, UnavailableError)
    assert translated.detail == NEEDS_REPLICA_SET and "replica set" in translated.detail


def test_other_failures_are_not_disguised():
    assert translate(errors.OperationFailure("bad query", 2)) is None
