"""Access tokens: JWTs signed with HMAC-SHA256 (RFC 7519, RFC 7518 section 3.2) via PyJWT."""

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt

from domain.access import AccessClaims, IssuedAccessToken
from domain.errors import InvalidTokenError

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("sub", "role", "iat", "exp", "jti")
MIN_SECRET_BYTES = 32  # RFC 7518 section 3.2: an HS256 key has at least 256 bits
VERIFIED_CACHE_MAX = 10_000  # tokens remembered as verified (about 3 MB at most)


class JwtTokenIssuer:
    """Issues and verifies HS256 JWTs with claims sub, role, iat, exp, jti.

    `verify` accepts HS256 only (an explicit algorithm list: `alg: none` or any other
    algorithm is refused), requires every claim, and allows `leeway_s` seconds of clock skew
    on exp/iat. Raises InvalidTokenError on anything wrong, never a PyJWT error.
    Times are the host's real clock (`time.time`), the one PyJWT checks exp against, not the
    application's Clock (which tests may move).

    A token that verified once is remembered (its exact text, so the same signature) until it
    expires: a client's next requests cost a dict look-up and an expiry check instead of a
    base64/JSON/HMAC round (~30-100 us, the largest part of authenticating a request). At most
    VERIFIED_CACHE_MAX are kept, the oldest dropped first; only successes are cached.
    """

    def __init__(
        self, secret: str | Callable[[], str], minutes: int = 15, leeway_s: int = 10
    ) -> None:
        # a callable is asked once, at the first token: commands that never sign or verify
        # one (create-indexes, import) need no secret
        self._secret = secret
        self._key: bytes | None = None
        self._lifetime = timedelta(minutes=minutes)
        self._leeway = leeway_s
        self._jwt = jwt.PyJWT()
        self._options = {"require": list(REQUIRED_CLAIMS)}
        self._verified: dict[str, tuple[AccessClaims, float]] = {}  # token -> claims, exp

    @property
    def key(self) -> bytes:
        if self._key is None:
            secret = self._secret() if callable(self._secret) else self._secret
            if len(secret.encode()) < MIN_SECRET_BYTES:
                raise ValueError(f"JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
            self._key = secret.encode()
        return self._key

    def issue(self, user_id: str, role: str) -> IssuedAccessToken:
        now = int(time.time())
        claims = {
            "sub": user_id,
            "role": role,
            "iat": now,
            "exp": now + int(self._lifetime.total_seconds()),
            "jti": uuid.uuid4().hex,
        }
        token = self._jwt.encode(claims, self.key, algorithm=ALGORITHM)
        return IssuedAccessToken(token, int(self._lifetime.total_seconds()))

    def verify(self, token: str) -> AccessClaims:
        known = self._verified.get(token)
        if known is not None:
            claims, expires = known
            if time.time() < expires + self._leeway:
                return claims
            del self._verified[token]
            raise InvalidTokenError()
        verified = self._decode(token)
        if len(self._verified) >= VERIFIED_CACHE_MAX:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (verified, verified.exp.timestamp())
        return verified

    def _decode(self, token: str) -> AccessClaims:
        try:
            claims = self._jwt.decode(
                token,
                self.key,
                algorithms=[ALGORITHM],
                options=self._options,  # type: ignore[arg-type]
                leeway=self._leeway,
            )
        except jwt.PyJWTError:
            raise InvalidTokenError() from None
        sub, role, jti = claims["sub"], claims["role"], claims["jti"]
        if not all(isinstance(v, str) for v in (sub, role, jti)):
            raise InvalidTokenError()
        return AccessClaims(sub, role, datetime.fromtimestamp(claims["exp"], UTC), jti)
