"""The RefreshTokenRepository contract (and the user look-ups by login), on every leg."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.access import RefreshToken
from domain.errors import DuplicateError
from domain.ids import new_id
from domain.pagination import PageRequest
from domain.products import ProductFilter
from entrypoints.container import provide
from tests.orders_support import add_product, add_user

# now, not a fixed date: Mongo's TTL index (and mongomock's) removes expired tokens for real
_now = datetime.now(UTC)
T0 = _now.replace(microsecond=_now.microsecond // 1000 * 1000)
DAYS = timedelta(days=14)


@pytest.fixture
async def tokens(container):
    return await provide(container.storage.refresh_tokens)


def token(n: int = 1, family: str | None = None, user: str | None = None, **fields):
    values = {
        "token_hash": f"{n:064x}",
        "family_id": family or "f" * 24,
        "user_id": user or "a" * 24,
        "created_at": T0,
        "expires_at": T0 + DAYS,
    }
    return RefreshToken(**(values | fields))


async def test_round_trip_and_missing(tokens):
    stored = token(1)
    await tokens.add(stored)
    assert await tokens.get(stored.token_hash) == stored
    assert await tokens.get("0" * 64) is None
    with pytest.raises(DuplicateError):
        await tokens.add(token(1))


async def test_mark_used_is_conditional(tokens):
    await tokens.add(token(1))
    assert await tokens.mark_used(token(1).token_hash, T0 + timedelta(seconds=1)) is True
    assert await tokens.mark_used(token(1).token_hash, T0 + timedelta(seconds=2)) is False
    used = await tokens.get(token(1).token_hash)
    assert used.used_at == T0 + timedelta(seconds=1) and used.revoked_at is None
    assert await tokens.mark_used("0" * 64, T0) is False


async def test_concurrent_mark_used_has_one_winner(tokens):
    await tokens.add(token(1))
    results = await asyncio.gather(
        *(tokens.mark_used(token(1).token_hash, T0 + timedelta(seconds=1)) for _ in range(8))
    )
    assert sorted(results) == [False] * 7 + [True]


async def test_revoke_family_and_user(tokens):
    family, other_family, user, other_user = new_id(), new_id(), new_id(), new_id()
    await tokens.add(token(1, family=family, user=user))
    await tokens.add(token(2, family=family, user=user))
    await tokens.add(token(3, family=other_family, user=user))
    await tokens.add(token(4, family=new_id(), user=other_user))
    at = T0 + timedelta(minutes=1)
    assert await tokens.revoke_family(family, at) == 2
    assert await tokens.revoke_family(family, at) == 0  # already revoked
    assert (await tokens.get(token(1).token_hash)).revoked_at == at
    assert (await tokens.get(token(3).token_hash)).revoked_at is None
    # a revoked token cannot be spent
    assert await tokens.mark_used(token(2).token_hash, at) is False
    assert await tokens.revoke_user(user, at) == 1  # only token 3 was left
    assert (await tokens.get(token(4).token_hash)).revoked_at is None


async def test_usable(tokens):
    fresh = token(1)
    assert fresh.usable(T0) and not fresh.usable(T0 + DAYS)
    assert not token(2, used_at=T0).usable(T0)
    assert not token(3, revoked_at=T0).usable(T0)


async def test_users_by_email_and_username(container):
    users = await provide(container.storage.users)
    user = await add_user(container, 7)
    assert await users.get_by_email("buyer7@example.com") == user
    assert await users.get_by_username("buyer7") == user
    assert await users.get_by_email("nobody@example.com") is None
    assert await users.get_by_username("buyer8") is None
    assert await users.get_by_username("BUYER7") is None  # usernames are exact


async def test_products_filter_on_is_active(container):
    products = await provide(container.storage.products)
    on = await add_product(container, 1)
    off = await add_product(container, 2, is_active=False)
    page = await products.list(ProductFilter(is_active=True), PageRequest())
    assert [p.id for p in page.items] == [on.id] and page.total == 1
    page = await products.list(ProductFilter(is_active=False), PageRequest())
    assert [p.id for p in page.items] == [off.id] and page.total == 1
    assert (await products.list(ProductFilter(), PageRequest())).total == 2
