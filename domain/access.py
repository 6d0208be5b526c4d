"""Who is calling (a Principal) and the refresh-token record: identity facts, no policy."""

from dataclasses import dataclass, field
from datetime import datetime

from domain.users import Role, User


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: a user id and the role read from the store for this request; anonymous is
    no role at all. SYSTEM (a role, no user) is the operator at the console: the CLI, which
    holds the database anyway. Use cases take one and ask `application.policy` what it may do.

    `user` is the caller's own record as authentication read it for this request (None for
    ANONYMOUS and SYSTEM), so a use case about the caller's own user need not read it again;
    it takes no part in equality."""

    user_id: str | None = None
    role: Role | None = None
    user: User | None = field(default=None, compare=False, repr=False)

    @property
    def is_anonymous(self) -> bool:
        return self.role is None

    def owns(self, user_id: str) -> bool:
        """True when `user_id` is the caller's own id."""
        return self.user_id is not None and self.user_id == user_id


ANONYMOUS = Principal()
SYSTEM = Principal(user_id=None, role=Role.ADMIN)


@dataclass(frozen=True, slots=True)
class RefreshToken:
    """A refresh token as stored: only the SHA-256 hex digest of the opaque token, its family
    (every token rotated from one login), its owner and lifetime. `used_at` is set when it was
    rotated, `revoked_at` when it (or its family, or its user's tokens) was revoked."""

    token_hash: str
    family_id: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        """Neither used, nor revoked, nor expired at `now`."""
        return self.used_at is None and self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a verified access token says (RFC 7519 names): subject, role, expiry, token id."""

    sub: str
    role: str
    exp: datetime
    jti: str


@dataclass(frozen=True, slots=True)
class IssuedAccessToken:
    """An encoded access token and its lifetime in seconds (OAuth2's `expires_in`)."""

    token: str
    expires_in: int
