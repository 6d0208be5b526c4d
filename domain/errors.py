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


class UnavailableError(DomainError):
    """The store cannot be reached."""

    code = "unavailable"

    def __init__(self, detail: str = "Database connection unavailable") -> None:
        super().__init__(detail)


class StoreTimeoutError(DomainError):
    """The store did not answer within the configured time."""

    code = "timeout"

    def __init__(self, detail: str = "Database operation timed out") -> None:
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
