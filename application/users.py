"""User use cases."""

from dataclasses import dataclass, field, replace
from typing import Any

from application.ports import Clock, PasswordHasher, UserRepository
from application.versions import stale_as_precondition
from domain.errors import NotFoundError, ValidationError
from domain.ids import is_valid_id, new_id
from domain.pagination import Page, PageRequest
from domain.users import Address, Role, User, UserFilter, check_password, normalize_email
from domain.versions import require_version

_UPDATABLE = frozenset(
    {"email", "username", "full_name", "role", "is_active", "tags", "address", "password"}
)
_REQUIRED = frozenset({"email", "username", "role", "is_active", "tags", "password"})


@dataclass(frozen=True, slots=True)
class RegisterUserCommand:
    email: str
    username: str
    password: str
    full_name: str | None = None
    role: Role = Role.USER
    is_active: bool = True
    tags: tuple[str, ...] = ()
    address: Address | None = None


@dataclass(frozen=True, slots=True)
class UpdateUserCommand:
    """Only the keys present in `changes` change; None clears an optional field.
    `if_match`: the versions the client accepts (HTTP If-Match), None for no precondition."""

    user_id: str
    changes: dict[str, Any] = field(default_factory=dict)
    if_match: frozenset[int] | None = None


def _not_found(user_id: str) -> NotFoundError:
    return NotFoundError(f"User {user_id} not found")


class RegisterUser:
    """Create a user with a hashed password; DuplicateError on a taken email/username."""

    def __init__(self, users: UserRepository, hasher: PasswordHasher, clock: Clock) -> None:
        self._users, self._hasher, self._clock = users, hasher, clock

    async def execute(self, cmd: RegisterUserCommand) -> User:
        check_password(cmd.password)
        now = self._clock.now()
        user = User(
            id=new_id(),
            email=normalize_email(cmd.email),
            username=cmd.username,
            password_hash=await self._hasher.hash(cmd.password),
            created_at=now,
            updated_at=now,
            full_name=cmd.full_name,
            role=Role(cmd.role),
            is_active=cmd.is_active,
            tags=tuple(cmd.tags),
            address=cmd.address,
        )
        await self._users.add(user)
        return user


class GetUser:
    """The user with this id; NotFoundError otherwise."""

    def __init__(self, users: UserRepository) -> None:
        self._users = users

    async def execute(self, user_id: str) -> User:
        user = await self._users.get(user_id) if is_valid_id(user_id) else None
        if user is None:
            raise _not_found(user_id)
        return user


class ListUsers:
    """A page of users, newest first, with the total matching count."""

    def __init__(self, users: UserRepository) -> None:
        self._users = users

    async def execute(self, where: UserFilter, page: PageRequest) -> Page[User]:
        return await self._users.list(where, page)


class UpdateUser:
    """Apply a partial update; a change that changes nothing returns the user untouched."""

    def __init__(self, users: UserRepository, hasher: PasswordHasher, clock: Clock) -> None:
        self._users, self._hasher, self._clock = users, hasher, clock

    async def execute(self, cmd: UpdateUserCommand) -> User:
        unknown = cmd.changes.keys() - _UPDATABLE
        if unknown:
            raise ValidationError(f"cannot update {', '.join(sorted(unknown))}")
        cleared = sorted(k for k in _REQUIRED if k in cmd.changes and cmd.changes[k] is None)
        if cleared:
            raise ValidationError(f"{', '.join(cleared)} cannot be null")
        user = await GetUser(self._users).execute(cmd.user_id)
        require_version(user.version, cmd.if_match, f"User {user.id}")
        changes = dict(cmd.changes)
        password = changes.pop("password", None)
        if "email" in changes:
            changes["email"] = normalize_email(changes["email"])
        if "role" in changes:
            changes["role"] = Role(changes["role"])
        if "tags" in changes:
            changes["tags"] = tuple(changes["tags"])
        if password is not None:
            check_password(password)
            if not await self._hasher.verify(password, user.password_hash):
                changes["password_hash"] = await self._hasher.hash(password)
        updated = user.changed(changes, self._clock.now())
        if updated is user:
            return user
        await stale_as_precondition(self._users.update(updated), cmd.if_match)
        return replace(updated, version=user.version + 1)


class DeleteUser:
    """Delete the user; NotFoundError when there is none."""

    def __init__(self, users: UserRepository) -> None:
        self._users = users

    async def execute(self, user_id: str, if_match: frozenset[int] | None = None) -> None:
        """`if_match`: the versions the client accepts (HTTP If-Match); None for any."""
        version = None
        if if_match is not None:
            user = await GetUser(self._users).execute(user_id)
            require_version(user.version, if_match, f"User {user_id}")
            version = user.version
        elif not is_valid_id(user_id):
            raise _not_found(user_id)
        if not await stale_as_precondition(self._users.delete(user_id, version), if_match):
            raise _not_found(user_id)
