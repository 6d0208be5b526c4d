"""Identity use cases and the policy over the memory adapter: login timing parity, hashing
bounds, refresh expiry, the JWT adapter, and where the signing secret comes from."""

import asyncio
import os
import stat
import threading
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from adapters.memory.refresh_tokens import InMemoryRefreshTokenRepository
from adapters.memory.state import MemoryState
from adapters.memory.users import InMemoryUserRepository
from adapters.passwords import HASH_THREAD_NICENESS, Argon2PasswordHasher
from adapters.tokens import JwtTokenIssuer
from application import policy
from application.auth import Authenticate, CreateAdmin, Login, RefreshAccess
from application.policy import GRANTS, Action
from application.users import RegisterUser, RegisterUserCommand
from domain.access import ANONYMOUS, SYSTEM, Principal
from domain.errors import (
    DuplicateError,
    ForbiddenError,
    InvalidCredentialsError,
    InvalidTokenError,
    UnauthorizedError,
    ValidationError,
)
from domain.users import Role
from entrypoints.jwt_secret import SecretConfigError, jwt_secret, secret_path
from entrypoints.settings import Settings

SECRET = "unit-test-secret-0123456789abcdefghij"


class MovableClock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


class CountingHasher:
    """The real argon2id hasher, counting what it is asked to do."""

    def __init__(self) -> None:
        self._real = Argon2PasswordHasher(time_cost=1, memory_cost_kib=1024)
        self.hashes = self.verifies = 0

    async def hash(self, password: str) -> str:
        self.hashes += 1
        return await self._real.hash(password)

    async def verify(self, password: str, password_hash: str) -> bool:
        self.verifies += 1
        return await self._real.verify(password, password_hash)


@pytest.fixture
def world():
    state = MemoryState()
    users = InMemoryUserRepository(state)
    tokens = InMemoryRefreshTokenRepository(state)
    hasher, clock = CountingHasher(), MovableClock()
    issuer = JwtTokenIssuer(SECRET)
    return users, tokens, hasher, clock, issuer


async def make_user(world, name: str, **fields):
    users, _, hasher, clock, _ = world
    cmd = RegisterUserCommand(email=f"{name}@example.com", username=name, password="p" * 10)
    return await RegisterUser(users, hasher, clock).execute(
        SYSTEM, RegisterUserCommand(**(vars_of(cmd) | fields))
    )


def vars_of(cmd) -> dict:
    return {f: getattr(cmd, f) for f in cmd.__dataclass_fields__}


async def test_every_failed_login_costs_exactly_one_verification(world):
    users, tokens, hasher, clock, issuer = world
    await make_user(world, "ada")
    await make_user(world, "off", is_active=False)
    login = Login(users, hasher, issuer, tokens, clock, 14)
    await login.warm_up()
    for name, password in (("nobody", "p" * 10), ("ada", "wrong pass"), ("off", "p" * 10)):
        hasher.verifies = 0
        with pytest.raises(InvalidCredentialsError):
            await login.execute(name, password)
        assert hasher.verifies == 1, name  # same work whether or not the account exists
    pair = await login.execute("ada@example.com", "p" * 10)
    principal = await Authenticate(issuer, users).execute(pair.access_token)
    assert principal.role is Role.USER


async def test_a_duplicate_is_refused_before_hashing(world):
    _, _, hasher, _, _ = world
    await make_user(world, "ada")
    hasher.hashes = 0
    for clash in ({"username": "other"}, {"email": "other@example.com"}):
        with pytest.raises(DuplicateError):
            await make_user(world, "ada", **clash)
    assert hasher.hashes == 0


async def test_an_expired_refresh_token_is_refused(world):
    users, tokens, hasher, clock, issuer = world
    await make_user(world, "ada")
    pair = await Login(users, hasher, issuer, tokens, clock, 14).execute("ada", "p" * 10)
    refresh = RefreshAccess(users, issuer, tokens, clock, 14)
    clock.moment += timedelta(days=14)
    with pytest.raises(InvalidTokenError):
        await refresh.execute(pair.refresh_token)


async def test_create_admin_is_idempotent_with_if_missing(world):
    users, _, hasher, clock, _ = world
    create = CreateAdmin(users, hasher, clock)
    made = await create.execute("boss@example.com", "boss", "p" * 10, if_missing=True)
    assert made is not None and made.role is Role.ADMIN
    assert await create.execute("boss@example.com", "boss", "p" * 10, if_missing=True) is None
    with pytest.raises(DuplicateError) as taken:
        await create.execute("boss@example.com", "boss2", "p" * 10)
    assert taken.value.field == "email"


async def test_hashing_runs_at_most_concurrency_at_once_off_the_loop():
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost_kib=1024, concurrency=2)
    running, peak, lock = 0, 0, threading.Lock()
    real = hasher._hash.hash

    niceness: set[int] = set()

    def slow_hash(password: str) -> str:
        nonlocal running, peak
        niceness.add(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return real(password)

    hasher._hash.hash = slow_hash  # type: ignore[method-assign]
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    tick = asyncio.create_task(ticker())
    await asyncio.gather(*(hasher.hash(f"password-{i}") for i in range(6)))
    tick.cancel()
    assert peak == 2
    assert ticks >= 10  # the loop kept running while 6 x 50 ms of hashing went on
    # hashing threads yield the CPU to the event loop (Linux: a per-thread nice value)
    assert niceness == {os.getpriority(os.PRIO_PROCESS, 0) + HASH_THREAD_NICENESS}


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_jwt_adapter_refuses_none_and_other_algorithms_and_checks_claims():
    issuer = JwtTokenIssuer(SECRET)
    good = issuer.issue("a" * 24, "user").token
    assert issuer.verify(good).sub == "a" * 24
    now = int(time.time())
    base = {"sub": "a" * 24, "role": "user", "iat": now, "exp": now + 60, "jti": "x"}
    for forged in (
        jwt.encode(base, None, algorithm="none"),
        jwt.encode(base, SECRET + "x", algorithm="HS256"),
        jwt.encode(base, SECRET, algorithm="HS512"),
        jwt.encode({k: v for k, v in base.items() if k != "role"}, SECRET, algorithm="HS256"),
        jwt.encode(base | {"exp": now - 60}, SECRET, algorithm="HS256"),
        jwt.encode(base | {"sub": 7}, SECRET, algorithm="HS256"),
    ):
        with pytest.raises(InvalidTokenError):
            issuer.verify(forged)
    with pytest.raises(ValueError, match="32 bytes"):
        JwtTokenIssuer("short").issue("a" * 24, "user")


def test_policy_table_is_data_and_roles_nest():
    assert GRANTS[Role.ADMIN] == frozenset(Action)
    assert GRANTS[Role.USER] < GRANTS[Role.ADMIN]
    assert Action.DELETE_ANY_USER not in GRANTS[Role.MODERATOR]
    assert Action.PURGE_USERS not in GRANTS[Role.MODERATOR]
    with pytest.raises(UnauthorizedError):
        policy.require(ANONYMOUS, Action.READ_ANALYTICS)
    with pytest.raises(ForbiddenError):
        policy.require(Principal("a" * 24, Role.USER), Action.READ_ANALYTICS)
    policy.require(SYSTEM, Action.PURGE_USERS)


def settings(tmp_path, **values) -> Settings:
    return Settings(_env_file=None, sqlite_path=str(tmp_path / "db" / "s.db"), **values)


def test_sqlite_secret_is_generated_once_and_kept_0600(tmp_path, caplog):
    s = settings(tmp_path)
    first = jwt_secret(s)
    assert len(first.encode()) >= 32 and "JWT_SECRET is not set" in caplog.text
    assert stat.S_IMODE(os.stat(secret_path(s)).st_mode) == 0o600
    assert jwt_secret(s) == first  # a restart keeps every issued token valid


def test_memory_secret_is_per_process(tmp_path):
    s = settings(tmp_path, storage_backend="memory")
    assert jwt_secret(s) == jwt_secret(s)
    assert not secret_path(s).exists()


@pytest.mark.parametrize("backend", ["mongo", "postgres"])
def test_mongo_and_postgres_refuse_to_start_without_a_secret(tmp_path, backend):
    with pytest.raises(SecretConfigError, match="JWT_SECRET is not set") as error:
        jwt_secret(settings(tmp_path, storage_backend=backend))
    assert "\n" not in str(error.value)
    assert jwt_secret(settings(tmp_path, storage_backend=backend, jwt_secret=SECRET)) == SECRET


def test_a_short_secret_is_refused(tmp_path):
    with pytest.raises(SecretConfigError, match="at least 32 bytes"):
        jwt_secret(settings(tmp_path, jwt_secret="too short"))


def test_verified_tokens_are_remembered_until_they_expire(monkeypatch):
    import adapters.tokens

    issuer = JwtTokenIssuer(SECRET, leeway_s=0)
    now = int(time.time())
    base = {"sub": "a" * 24, "role": "user", "iat": now, "exp": now + 1, "jti": "x"}
    short = jwt.encode(base, SECRET, algorithm="HS256")
    assert issuer.verify(short).sub == "a" * 24
    assert issuer.verify(short).sub == "a" * 24  # from the cache
    with pytest.raises(InvalidTokenError):
        issuer.verify(short[:-2] + ("AA" if not short.endswith("AA") else "BB"))
    time.sleep(max(0.0, now + 1.05 - time.time()))
    with pytest.raises(InvalidTokenError):  # expired, though it is cached
        issuer.verify(short)
    monkeypatch.setattr(adapters.tokens, "VERIFIED_CACHE_MAX", 2)
    for user in ("b", "c", "d"):
        issuer.verify(issuer.issue(user * 24, "user").token)
    assert len(issuer._verified) == 2  # bounded: the oldest went first


@pytest.mark.parametrize("username", ["x\u202eboss", "tab\tname", "zero\u200bwidth", "\x00nul"])
async def test_create_admin_refuses_the_usernames_sign_up_refuses(world, username):
    """The username rule lives in the use case, so the CLI and FIRST_ADMIN_* get it too."""
    users, _, hasher, clock, _ = world
    with pytest.raises(ValidationError):
        await CreateAdmin(users, hasher, clock).execute("boss@example.com", username, "p" * 10)
    assert await users.get_by_email("boss@example.com") is None


async def test_a_username_is_stored_and_found_in_its_nfkc_form(world):
    """Fullwidth `abc` (U+FF41..) signs up as `abc`, and logging in with either finds it."""
    users, tokens, hasher, clock, issuer = world
    made = await make_user(world, "\uff41\uff42\uff43")
    assert made.username == "abc"
    login = Login(users, hasher, issuer, tokens, clock, 14)
    for name in ("\uff41\uff42\uff43", "abc"):
        assert (await login.execute(name, "p" * 10)).access_token
    with pytest.raises(InvalidCredentialsError):
        await login.execute("ab\u202ec", "p" * 10)
