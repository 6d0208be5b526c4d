"""User use cases over the reference (memory) adapter, with the real argon2 hasher."""

from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory.refresh_tokens import InMemoryRefreshTokenRepository
from adapters.memory.state import MemoryState
from adapters.memory.users import InMemoryUserRepository
from adapters.passwords import Argon2PasswordHasher
from application.health import CheckHealth
from application.users import (
    DeleteUser,
    GetUser,
    RegisterUser,
    RegisterUserCommand,
    UpdateUser,
    UpdateUserCommand,
)
from domain.access import SYSTEM, Principal
from domain.errors import DuplicateError, NotFoundError, UnavailableError, ValidationError
from domain.users import Role


class StepClock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment


def no_tokens() -> InMemoryRefreshTokenRepository:
    return InMemoryRefreshTokenRepository(MemoryState())


@pytest.fixture
def world():
    users = InMemoryUserRepository(MemoryState())
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost_kib=1024)
    clock = StepClock()
    return users, hasher, clock


async def register(world, **fields):
    users, hasher, clock = world
    cmd = RegisterUserCommand(
        **({"email": "Ada@Example.com", "username": "ada", "password": "secret123"} | fields)
    )
    return await RegisterUser(users, hasher, clock).execute(SYSTEM, cmd)


async def test_register_hashes_with_argon2id_and_normalizes_email(world):
    _, hasher, _ = world
    user = await register(world)
    assert user.email == "ada@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert await hasher.verify("secret123", user.password_hash)
    assert not await hasher.verify("wrong-password", user.password_hash)


async def test_register_rejects_short_passwords_and_duplicates(world):
    with pytest.raises(ValidationError):
        await register(world, password="short")
    await register(world)
    with pytest.raises(DuplicateError):
        await register(world, email="ada@example.com", username="other")


async def test_update_no_op_keeps_the_user_and_its_updated_at(world):
    users, hasher, clock = world
    user = await register(world, full_name="Ada")
    update = UpdateUser(users, hasher, clock, no_tokens())
    same = await update.execute(SYSTEM, UpdateUserCommand(user.id, {"full_name": "Ada"}))
    assert same == user
    same = await update.execute(SYSTEM, UpdateUserCommand(user.id, {"password": "secret123"}))
    assert same.password_hash == user.password_hash and same.updated_at == user.updated_at


async def test_update_changes_password_and_timestamps(world):
    users, hasher, clock = world
    user = await register(world)
    updated = await UpdateUser(users, hasher, clock, no_tokens()).execute(
        SYSTEM, UpdateUserCommand(user.id, {"password": "new secret!", "role": "admin"})
    )
    assert await hasher.verify("new secret!", updated.password_hash)
    assert updated.updated_at > user.updated_at and updated.created_at == user.created_at
    assert await GetUser(users).execute(SYSTEM, user.id) == updated


async def test_update_rejects_nulls_on_required_fields_and_unknown_fields(world):
    users, hasher, clock = world
    user = await register(world)
    update = UpdateUser(users, hasher, clock, no_tokens())
    with pytest.raises(ValidationError):
        await update.execute(SYSTEM, UpdateUserCommand(user.id, {"username": None}))
    with pytest.raises(ValidationError):
        await update.execute(SYSTEM, UpdateUserCommand(user.id, {"password_hash": "x"}))
    with pytest.raises(NotFoundError):
        await update.execute(SYSTEM, UpdateUserCommand("f" * 24, {"role": "admin"}))


async def test_get_and_delete_not_found(world):
    users, _, _ = world
    user = await register(world)
    await DeleteUser(users).execute(SYSTEM, user.id)
    for user_id in (user.id, "nope"):
        with pytest.raises(NotFoundError):
            await GetUser(users).execute(SYSTEM, user_id)
        with pytest.raises(NotFoundError):
            await DeleteUser(users).execute(SYSTEM, user_id)


async def test_health_reports_a_store_that_is_down():
    class Down:
        async def ping(self) -> None:
            raise UnavailableError()

    report = await CheckHealth(Down(), StepClock()).execute()
    assert (report.healthy, report.latency_ms) == (False, None)


class CountingUsers(InMemoryUserRepository):
    """The memory repository, counting reads by id."""

    reads = 0

    async def get(self, user_id):
        self.reads += 1
        return await super().get(user_id)


async def test_reading_ones_own_user_reuses_the_authenticated_record():
    users = CountingUsers(MemoryState())
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost_kib=1024)
    ada = await register((users, hasher, StepClock()))
    bob = await register((users, hasher, StepClock()), email="bob@example.com", username="bob")
    me = Principal(ada.id, ada.role, ada)  # as Authenticate builds it: one read, already made
    get = GetUser(users)
    assert await get.execute(me, ada.id) == ada
    assert users.reads == 0
    admin = Principal(ada.id, Role.ADMIN, ada)
    assert await get.execute(admin, bob.id) == bob  # someone else's: read from the store
    assert users.reads == 1
    assert Principal(ada.id, ada.role) == me  # the record takes no part in equality
