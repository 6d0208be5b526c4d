"""The domain's error hierarchy; the HTTP layer maps these base classes to status codes."""


class DomainError(Exception):
    """Base of every error the core raises on purpose."""

    code = "error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(DomainError):
    code = "not_found"


class ConflictError(DomainError):
    code = "conflict"


class DuplicateError(ConflictError):
    """A unique field is already taken; `field` names it."""

    code = "duplicate"

    def __init__(self, field: str, detail: str | None = None) -> None:
        super().__init__(detail or f"{field} already exists")
        self.field = field


class ValidationError(DomainError):
    code = "invalid"


class InvalidReferenceError(ValidationError):
    """A well-formed request names a resource that does not exist or may not be used there
    (an order's unknown or deactivated user, unknown or inactive product): 422, with its own
    code, since no schema can say which ids exist."""

    code = "invalid_reference"


class UnavailableError(DomainError):
    """The store cannot be reached."""

    code = "unavailable"

    def __init__(self, detail: str = "Database connection unavailable") -> None:
        super().__init__(detail)


class StoreUnusableError(DomainError):
    """The store is there but cannot be used at all (a corrupt, locked or unreadable database
    file): a start-up error whose one-line detail names the file and the reason."""

    code = "store_unusable"


class StoreTimeoutError(DomainError):
    """The store did not answer within the configured time."""

    code = "timeout"

    def __init__(self, detail: str = "Database operation timed out") -> None:
        super().__init__(detail)


class UnauthorizedError(DomainError):
    """No valid credentials (401, sent with `WWW-Authenticate: Bearer`)."""

    code = "not_authenticated"

    def __init__(self, detail: str = "Not authenticated") -> None:
        super().__init__(detail)


class InvalidCredentialsError(UnauthorizedError):
    """A login failed; one answer for an unknown account, a wrong password, an inactive user."""

    code = "invalid_credentials"

    def __init__(self, detail: str = "Incorrect username or password") -> None:
        super().__init__(detail)


class InvalidTokenError(UnauthorizedError):
    """An access or refresh token is malformed, tampered, expired, revoked or for no one."""

    code = "invalid_token"

    def __init__(self, detail: str = "Invalid or expired token") -> None:
        super().__init__(detail)


class ForbiddenError(DomainError):
    """The caller is known but may not do this (403)."""

    code = "forbidden"

    def __init__(self, detail: str = "You may not do this") -> None:
        super().__init__(detail)


class UnsupportedError(DomainError):
    """The store in use cannot do this at all (a missing capability, not an outage)."""

    code = "unsupported"


class SearchUnsupportedError(UnsupportedError):
    """Product search cannot run on this store; `detail` says why (what the store answered)."""

    code = "search_unsupported"


class ConcurrentChangeError(ConflictError):
    """Someone else changed the resource between our read and our write; nothing was changed."""

    code = "concurrent_change"


class PreconditionFailedError(DomainError):
    """The client's precondition (HTTP If-Match, RFC 9110 §13.1.1) does not hold: the resource
    is no longer at a version the client named; nothing was changed."""

    code = "precondition_failed"
