"""Identity use cases: who a bearer token is, logging in, refresh-token rotation, logout, and
the first admin.

Access tokens are short-lived signed JWTs (a TokenIssuer port). Refresh tokens are opaque
random strings (`secrets.token_urlsafe`, 256 bits) stored only as their SHA-256 digest, in
families: every token rotated from one login shares its family id. Rotation is a conditional
"mark used if unused" write, so of two concurrent refreshes of one token exactly one wins;
presenting a token that was already rotated revokes its whole family (RFC 9700, OAuth 2.0
Security BCP, section 4.14.2: refresh token rotation and reuse detection).
"""

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from application.ports import (
    Clock,
    PasswordHasher,
    RefreshTokenRepository,
    TokenIssuer,
    UserRepository,
)
from application.users import RegisterUser, RegisterUserCommand
from domain.access import ANONYMOUS, SYSTEM, Principal, RefreshToken
from domain.errors import InvalidCredentialsError, InvalidTokenError, ValidationError
from domain.ids import is_valid_id, new_id
from domain.users import Role, User, normalize_email, normalize_username

_DUMMY_PASSWORD = "storefront timing-equaliser password"  # hashed once, never a login


@dataclass(frozen=True, slots=True)
class TokenPair:
    """What a login or a refresh answers (RFC 6749 section 5.1): a bearer access token, its
    lifetime in seconds, and a refresh token."""

    access_token: str
    expires_in: int
    refresh_token: str
    token_type: str = "bearer"


def hash_refresh_token(token: str) -> str:
    """The SHA-256 hex digest under which a refresh token is stored (a fast hash is enough:
    the token has 256 random bits, nothing to guess)."""
    return hashlib.sha256(token.encode()).hexdigest()


class Authenticate:
    """A bearer token -> the caller: one signature check and one user read. A missing token
    is ANONYMOUS; a bad, expired or tampered token, or one whose user is gone or deactivated,
    is InvalidTokenError. The role is the stored one, so a demotion counts at once."""

    def __init__(self, issuer: TokenIssuer, users: UserRepository) -> None:
        self._issuer, self._users = issuer, users

    async def execute(self, token: str | None) -> Principal:
        if token is None:
            return ANONYMOUS
        claims = self._issuer.verify(token)
        user = await self._users.get(claims.sub) if is_valid_id(claims.sub) else None
        if user is None or not user.is_active:
            raise InvalidTokenError()
        return Principal(user.id, user.role, user)


class _RefreshTokens:
    """Issues token pairs; shared by Login and Refresh."""

    def __init__(
        self,
        issuer: TokenIssuer,
        tokens: RefreshTokenRepository,
        clock: Clock,
        refresh_days: int,
    ) -> None:
        self._issuer, self._tokens, self._clock = issuer, tokens, clock
        self._lifetime = timedelta(days=refresh_days)

    def new(self, user_id: str, family_id: str) -> tuple[str, RefreshToken]:
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        record = RefreshToken(
            token_hash=hash_refresh_token(token),
            family_id=family_id,
            user_id=user_id,
            created_at=now,
            expires_at=now + self._lifetime,
        )
        return token, record

    def pair(self, user: User, refresh_token: str) -> TokenPair:
        access = self._issuer.issue(user.id, user.role.value)
        return TokenPair(access.token, access.expires_in, refresh_token)


class Login:
    """OAuth2 password grant: `login` is a username or an email. An unknown account, a wrong
    password and a deactivated user all answer InvalidCredentialsError after one password
    verification each (against a dummy hash when there is no user), so neither the answer
    nor its time tells whether an account exists."""

    def __init__(
        self,
        users: UserRepository,
        hasher: PasswordHasher,
        issuer: TokenIssuer,
        tokens: RefreshTokenRepository,
        clock: Clock,
        refresh_days: int,
    ) -> None:
        self._users, self._hasher, self._tokens = users, hasher, tokens
        self._issue = _RefreshTokens(issuer, tokens, clock, refresh_days)
        self._dummy_hash: str | None = None
        self._dummy_lock = asyncio.Lock()

    async def warm_up(self) -> None:
        """Compute the dummy hash now (start-up), not on the first unknown login."""
        async with self._dummy_lock:
            if self._dummy_hash is None:
                self._dummy_hash = await self._hasher.hash(_DUMMY_PASSWORD)

    async def _find(self, login: str) -> User | None:
        if "@" in login:
            user = await self._users.get_by_email(normalize_email(login))
            if user is not None:
                return user
        try:  # the name as sign-up stored it (NFKC); one that sign-up refuses names no one
            username = normalize_username(login)
        except ValidationError:
            return None
        return await self._users.get_by_username(username)

    async def execute(self, login: str, password: str) -> TokenPair:
        user = await self._find(login)
        if user is None:
            await self.warm_up()
            assert self._dummy_hash is not None
            await self._hasher.verify(password, self._dummy_hash)
            raise InvalidCredentialsError()
        if not await self._hasher.verify(password, user.password_hash) or not user.is_active:
            raise InvalidCredentialsError()
        token, record = self._issue.new(user.id, family_id=new_id())
        await self._tokens.add(record)
        return self._issue.pair(user, token)


class RefreshAccess:
    """Trade a refresh token for a new pair (rotation: the old one dies). A token already
    rotated, presented again, revokes its whole family; of two concurrent refreshes of one
    token one succeeds. The user is read again: gone or deactivated -> InvalidTokenError."""

    def __init__(
        self,
        users: UserRepository,
        issuer: TokenIssuer,
        tokens: RefreshTokenRepository,
        clock: Clock,
        refresh_days: int,
    ) -> None:
        self._users, self._tokens, self._clock = users, tokens, clock
        self._issue = _RefreshTokens(issuer, tokens, clock, refresh_days)

    async def execute(self, refresh_token: str) -> TokenPair:
        token_hash = hash_refresh_token(refresh_token)
        record = await self._tokens.get(token_hash)
        now = self._clock.now()
        if record is None:
            raise InvalidTokenError()
        if record.used_at is not None and record.revoked_at is None:
            await self._tokens.revoke_family(record.family_id, now)  # reuse: assume theft
            raise InvalidTokenError("Refresh token reused: its session is revoked")
        if not record.usable(now):
            raise InvalidTokenError()
        user = await self._users.get(record.user_id)
        if user is None or not user.is_active:
            raise InvalidTokenError()
        # the successor is stored BEFORE the old token is spent: whoever sees the old one
        # spent (a replay) and revokes the family then revokes the successor too
        token, successor = self._issue.new(user.id, record.family_id)
        await self._tokens.add(successor)
        if not await self._tokens.mark_used(token_hash, now):
            # a concurrent refresh of the same token won, or it was revoked meanwhile: the
            # successor nobody will receive is spent at once
            await self._tokens.mark_used(successor.token_hash, now)
            raise InvalidTokenError()
        return self._issue.pair(user, token)


class Logout:
    """Revoke the refresh token's family (this login's session); unknown tokens are ignored,
    so the answer says nothing about a token."""

    def __init__(self, tokens: RefreshTokenRepository, clock: Clock) -> None:
        self._tokens, self._clock = tokens, clock

    async def execute(self, refresh_token: str) -> None:
        record = await self._tokens.get(hash_refresh_token(refresh_token))
        if record is not None:
            await self._tokens.revoke_family(record.family_id, self._clock.now())


class CreateAdmin:
    """Create an admin (the CLI's `create-admin`, and FIRST_ADMIN_* at start-up). With
    `if_missing`, an existing user with that email is left as it is and None is returned,
    so start-up can run it every time. DuplicateError names a taken email/username."""

    def __init__(self, users: UserRepository, hasher: PasswordHasher, clock: Clock) -> None:
        self._users = users
        self._register = RegisterUser(users, hasher, clock)

    async def execute(
        self, email: str, username: str, password: str, if_missing: bool = False
    ) -> User | None:
        if if_missing and await self._users.get_by_email(normalize_email(email)) is not None:
            return None
        cmd = RegisterUserCommand(
            email=email, username=username, password=password, role=Role.ADMIN, is_active=True
        )
        return await self._register.execute(SYSTEM, cmd)
