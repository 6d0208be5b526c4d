"""The UserRepository contract, on every leg."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import DuplicateError, NotFoundError
from domain.ids import new_id
from domain.pagination import PageRequest
from domain.users import Address, Role, User, UserFilter
from entrypoints.container import provide

T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def make_user(n: int, **fields) -> User:
    values = {
        "id": new_id(),
        "email": f"user{n}@example.com",
        "username": f"user{n}",
        "password_hash": "$argon2id$fake",
        "created_at": T0 + timedelta(seconds=n),
        "updated_at": T0 + timedelta(seconds=n),
    }
    return User(**(values | fields))


@pytest.fixture
async def users(container):
    return await provide(container.storage.users)


async def test_round_trip_keeps_every_field(users):
    user = make_user(
        1,
        full_name="Ada Lovelace",
        role=Role.MODERATOR,
        is_active=False,
        tags=("vip", "beta"),
        address=Address("1 Main St", "Springfield", "IL", "62701", "Canada"),
    )
    await users.add(user)
    loaded = await users.get(user.id)
    assert loaded == user
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.utcoffset() == timedelta(0)
    assert isinstance(loaded.role, Role)


async def test_missing_and_malformed_ids_are_none(users):
    assert await users.get(new_id()) is None
    assert await users.get("not-an-id") is None


@pytest.mark.parametrize("field", ["email", "username"])
async def test_add_rejects_a_taken_unique_field(users, field):
    first = make_user(1)
    await users.add(first)
    clash = make_user(2, **{field: getattr(first, field)})
    with pytest.raises(DuplicateError) as caught:
        await users.add(clash)
    assert caught.value.field == field
    assert await users.get(clash.id) is None


async def test_update_replaces_and_checks_uniqueness(users):
    a, b = make_user(1), make_user(2)
    await users.add(a)
    await users.add(b)
    renamed = replace(a, username="renamed", updated_at=T0 + timedelta(days=1))
    await users.update(renamed)
    assert await users.get(a.id) == replace(renamed, version=2)
    with pytest.raises(DuplicateError) as caught:
        await users.update(replace(b, email=a.email))
    assert caught.value.field == "email"
    assert await users.get(b.id) == b
    # the old username is free again
    await users.add(make_user(3, username="user1"))


async def test_update_of_a_missing_user_is_not_found(users):
    with pytest.raises(NotFoundError):
        await users.update(make_user(1))


async def test_delete(users):
    user = make_user(1)
    await users.add(user)
    assert await users.delete(user.id) is True
    assert await users.get(user.id) is None
    assert await users.delete(user.id) is False
    assert await users.delete("bogus") is False
    await users.add(make_user(2, email=user.email, username=user.username))


async def test_list_is_newest_first_with_total_and_pages(users):
    made = [make_user(n) for n in range(7)]
    same_time = [make_user(n, created_at=T0, updated_at=T0) for n in range(7, 10)]
    for user in made + same_time:
        await users.add(user)
    expected = sorted(made + same_time, key=lambda u: (u.created_at, u.id), reverse=True)

    page = await users.list(UserFilter(), PageRequest(0, 100))
    assert page.total == 10
    assert [u.id for u in page.items] == [u.id for u in expected]

    page = await users.list(UserFilter(), PageRequest(skip=3, limit=4))
    assert page.total == 10
    assert [u.id for u in page.items] == [u.id for u in expected[3:7]]

    page = await users.list(UserFilter(), PageRequest(skip=20, limit=5))
    assert (page.items, page.total) == ([], 10)


async def test_list_filters(users):
    specs = [(Role.ADMIN, True), (Role.ADMIN, False), (Role.USER, True), (Role.MODERATOR, True)]
    for n, (role, active) in enumerate(specs):
        await users.add(make_user(n, role=role, is_active=active))

    async def names(**where) -> set[str]:
        page = await users.list(UserFilter(**where), PageRequest(0, 100))
        assert page.total == len(page.items)
        return {u.username for u in page.items}

    assert await names(role=Role.ADMIN) == {"user0", "user1"}
    assert await names(is_active=True) == {"user0", "user2", "user3"}
    assert await names(is_active=False, role=Role.ADMIN) == {"user1"}
    assert await names(is_active=False, role=Role.USER) == set()


async def test_ping_answers(container):
    ping = await provide(container.storage.ping)
    await ping.ping()
