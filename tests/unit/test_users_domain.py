"""Domain rules: pure and synchronous."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import ValidationError
from domain.ids import is_valid_id, new_id
from domain.pagination import PageRequest
from domain.users import User, check_password

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def user(**fields) -> User:
    values = {
        "id": new_id(),
        "email": "a@example.com",
        "username": "ada",
        "password_hash": "h",
        "created_at": T0,
        "updated_at": T0,
    }
    return User(**(values | fields))


def test_ids_are_24_hex_and_unique_and_ordered():
    ids = [new_id() for _ in range(1000)]
    assert all(is_valid_id(i) for i in ids)
    assert len(set(ids)) == 1000
    assert not is_valid_id("z" * 24) and not is_valid_id("a" * 23) and not is_valid_id(None)


@pytest.mark.parametrize(
    "fields",
    [
        {"username": "ab"},
        {"username": "a" * 51},
        {"email": "nope"},
        {"email": "Upper@example.com"},
        {"full_name": "x" * 101},
    ],
)
def test_invalid_users_are_rejected(fields):
    with pytest.raises(ValidationError):
        user(**fields)


def test_changed_returns_itself_when_nothing_changes():
    u = user(full_name="Ada")
    assert u.changed({"full_name": "Ada", "username": "ada"}, T0 + timedelta(1)) is u


def test_changed_moves_updated_at_only():
    u = user()
    later = T0 + timedelta(hours=1)
    v = u.changed({"full_name": "Ada"}, later)
    assert (v.full_name, v.updated_at, v.created_at) == ("Ada", later, T0)


def test_changed_validates():
    with pytest.raises(ValidationError):
        user().changed({"username": "x"}, T0)


def test_password_rule():
    check_password("12345678")
    with pytest.raises(ValidationError):
        check_password("1234567")


@pytest.mark.parametrize("skip,limit", [(-1, 10), (0, 0), (0, 1001)])
def test_page_request_bounds(skip, limit):
    with pytest.raises(ValidationError):
        PageRequest(skip, limit)
