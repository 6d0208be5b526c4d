"""User use cases."""

from dataclasses import dataclass, field, replace
from typing import Any

from application import policy
from application.audit import DISCARD, EXISTS, GONE
from application.policy import Action
from application.ports import (
    AuditLog,
    Clock,
    PasswordHasher,
    RefreshTokenRepository,
    UserRepository,
)
from application.versions import stale_as_precondition
from domain.access import Principal
from domain.errors import DuplicateError, ForbiddenError, NotFoundError, ValidationError
from domain.ids import is_valid_id, new_id
from domain.pagination import Page, PageRequest
from domain.users import (
    Address,
    CurrentPasswordRequiredError,
    Role,
    User,
    UserFilter,
    check_password,
    normalize_email,
    normalize_username,
)
from domain.versions import require_version

_UPDATABLE = frozenset(
    {"email", "username", "full_name", "role", "is_active", "tags", "address", "password"}
)
_REQUIRED = frozenset({"email", "username", "role", "is_active", "tags", "password"})


@dataclass(frozen=True, slots=True)
class RegisterUserCommand:
    """`role`/`is_active` None: not sent (user, active); sending either needs an admin."""

    email: str
    username: str
    password: str
    full_name: str | None = None
    role: Role | None = None
    is_active: bool | None = None
    tags: tuple[str, ...] = ()
    address: Address | None = None


@dataclass(frozen=True, slots=True)
class UpdateUserCommand:
    """Only the keys present in `changes` change; None clears an optional field.
    `if_match`: the versions the client accepts (HTTP If-Match), None for no precondition."""

    user_id: str
    changes: dict[str, Any] = field(default_factory=dict)
    if_match: frozenset[int] | None = None
    current_password: str | None = None  # required to change one's own password


def _not_found(user_id: str) -> NotFoundError:
    return NotFoundError(f"User {user_id} not found")


class RegisterUser:
    """Create a user with a hashed password; DuplicateError on a taken email/username, found
    before hashing (argon2 is the expensive part, so a duplicate costs no hash)."""

    def __init__(self, users: UserRepository, hasher: PasswordHasher, clock: Clock) -> None:
        self._users, self._hasher, self._clock = users, hasher, clock

    async def execute(self, principal: Principal, cmd: RegisterUserCommand) -> User:
        privileged = cmd.role is not None or cmd.is_active is not None
        if privileged and not policy.can(principal, Action.SIGN_UP_PRIVILEGED):
            # 403 even when anonymous (the table's sign-up row): sign-up itself is open
            raise ForbiddenError("Only an admin may set role or is_active")
        check_password(cmd.password)
        now = self._clock.now()
        user = User(
            id=new_id(),
            email=normalize_email(cmd.email),
            username=normalize_username(cmd.username),
            password_hash="",
            created_at=now,
            updated_at=now,
            full_name=cmd.full_name,
            role=Role(cmd.role or Role.USER),
            is_active=True if cmd.is_active is None else cmd.is_active,
            tags=tuple(cmd.tags),
            address=cmd.address,
        )
        if await self._users.get_by_email(user.email) is not None:
            raise DuplicateError("email")
        if await self._users.get_by_username(user.username) is not None:
            raise DuplicateError("username")
        user = replace(user, password_hash=await self._hasher.hash(cmd.password))
        await self._users.add(user)
        return user


async def _get_user(users: UserRepository, user_id: str) -> User:
    user = await users.get(user_id) if is_valid_id(user_id) else None
    if user is None:
        raise _not_found(user_id)
    return user


class GetUser:
    """The user with this id, if the caller may see it; NotFoundError otherwise. The caller's
    own user is the record authentication read for this request (`Principal.user`): an
    authenticated read of oneself costs one token check and one user read, not two reads."""

    def __init__(self, users: UserRepository) -> None:
        self._users = users

    async def execute(self, principal: Principal, user_id: str) -> User:
        policy.check_user_visible(principal, user_id)
        own = principal.user
        if own is not None and own.id == user_id:
            return own  # read by authentication for this very request: not read twice
        return await _get_user(self._users, user_id)


class ListUsers:
    """A page of users, newest first, with the total matching count; a caller who may not
    read every user gets a list of at most themselves."""

    def __init__(self, users: UserRepository) -> None:
        self._users = users

    async def execute(
        self, principal: Principal, where: UserFilter, page: PageRequest
    ) -> Page[User]:
        own_id = policy.require_authenticated(principal)
        if policy.can(principal, Action.READ_ANY_USER):
            return await self._users.list(where, page)
        me = await self._users.get(own_id) if own_id else None
        mine = [
            u
            for u in ([me] if me is not None else [])
            if (where.is_active is None or u.is_active == where.is_active)
            and (where.role is None or u.role == where.role)
        ]
        return Page(mine[page.skip : page.skip + page.limit], len(mine))


class UpdateUser:
    """Apply a partial update; a change that changes nothing returns the user untouched.

    Changing one's own password needs `current_password` (422 missing, 403 wrong); any
    password change revokes all of the user's refresh tokens.
    """

    def __init__(
        self,
        users: UserRepository,
        hasher: PasswordHasher,
        clock: Clock,
        refresh_tokens: RefreshTokenRepository,
        audit: AuditLog = DISCARD,
    ) -> None:
        self._users, self._hasher, self._clock = users, hasher, clock
        self._refresh_tokens = refresh_tokens
        self._audit = audit

    async def execute(self, principal: Principal, cmd: UpdateUserCommand) -> User:
        policy.check_user_visible(principal, cmd.user_id)
        unknown = cmd.changes.keys() - _UPDATABLE
        if unknown:
            raise ValidationError(f"cannot update {', '.join(sorted(unknown))}")
        cleared = sorted(k for k in _REQUIRED if k in cmd.changes and cmd.changes[k] is None)
        if cleared:
            raise ValidationError(f"{', '.join(cleared)} cannot be null")
        user = await _get_user(self._users, cmd.user_id)
        policy.check_user_update(principal, user.id, user.role, frozenset(cmd.changes))
        require_version(user.version, cmd.if_match, f"User {user.id}")
        changes = dict(cmd.changes)
        password = changes.pop("password", None)
        if "email" in changes:
            changes["email"] = normalize_email(changes["email"])
        if "username" in changes:
            changes["username"] = normalize_username(changes["username"])
        if "role" in changes:
            changes["role"] = Role(changes["role"])
        if "tags" in changes:
            changes["tags"] = tuple(changes["tags"])
        if password is not None:
            check_password(password)
            if principal.owns(user.id):
                await self._check_current_password(cmd.current_password, user)
            if not await self._hasher.verify(password, user.password_hash):
                changes["password_hash"] = await self._hasher.hash(password)
        now = self._clock.now()
        updated = user.changed(changes, now)
        if updated is user:
            return user
        await stale_as_precondition(self._users.update(updated), cmd.if_match)
        if "password_hash" in changes:
            await self._refresh_tokens.revoke_user(user.id, now)
        self._record(principal, user, updated)
        return replace(updated, version=user.version + 1)

    def _record(self, principal: Principal, user: User, updated: User) -> None:
        """Audit a role change and an (de)activation; other fields are the user's own."""
        target = f"user:{user.id}"
        if updated.role != user.role:
            self._audit.record(
                principal,
                "user.role_change",
                target,
                {"role": user.role.value},
                {"role": updated.role.value},
            )
        if updated.is_active != user.is_active:
            action = "user.reactivate" if updated.is_active else "user.deactivate"
            self._audit.record(
                principal,
                action,
                target,
                {"is_active": user.is_active},
                {"is_active": updated.is_active},
            )

    async def _check_current_password(self, current: str | None, user: User) -> None:
        if current is None:
            raise CurrentPasswordRequiredError()
        if not await self._hasher.verify(current, user.password_hash):
            raise ForbiddenError("current_password is wrong")


class DeleteUser:
    """Delete the user; NotFoundError when there is none (or the caller may not see it)."""

    def __init__(self, users: UserRepository, audit: AuditLog = DISCARD) -> None:
        self._users, self._audit = users, audit

    async def execute(
        self, principal: Principal, user_id: str, if_match: frozenset[int] | None = None
    ) -> None:
        """`if_match`: the versions the client accepts (HTTP If-Match); None for any."""
        policy.check_user_delete(principal, user_id)
        version = None
        if if_match is not None:
            user = await _get_user(self._users, user_id)
            require_version(user.version, if_match, f"User {user_id}")
            version = user.version
        elif not is_valid_id(user_id):
            raise _not_found(user_id)
        if not await stale_as_precondition(self._users.delete(user_id, version), if_match):
            raise _not_found(user_id)
        self._audit.record(principal, "user.delete", f"user:{user_id}", EXISTS, GONE)
