"""Who may do what: SPEC.md's permission table as data, and the few checks built on it.

Every use case asks this module and nothing else, so HTTP, the CLI and any later entrypoint
enforce the same rules. The rules of thumb, all from the SPEC:
- an anonymous caller refused anything is 401 (`UnauthorizedError`), a known one is 403
  (`ForbiddenError`);
- someone else's user or order that the caller may not see is 404, as if it did not exist
  (OWASP API1, broken object level authorization);
- the role is the one read from the store on this request, never the token's claim.
"""

from enum import StrEnum

from domain.access import Principal
from domain.errors import ForbiddenError, NotFoundError, UnauthorizedError, ValidationError
from domain.users import Role


class Action(StrEnum):
    """Everything the table grants by role (the "own" rules are the functions below)."""

    SIGN_UP_PRIVILEGED = "users:create-with-role"  # send role / is_active at sign-up
    READ_ANY_USER = "users:read-any"
    UPDATE_ANY_USER = "users:update-any"
    SET_USER_ROLE = "users:set-role"
    SET_USER_ACTIVE = "users:set-active"
    DELETE_OWN_USER = "users:delete-own"
    DELETE_ANY_USER = "users:delete-any"
    PURGE_USERS = "users:purge"
    READ_INACTIVE_PRODUCTS = "products:read-inactive"
    WRITE_CATALOG = "catalog:write"  # products, bulk, stock
    PLACE_ORDER = "orders:place"
    ORDER_FOR_ANYONE = "orders:place-for-anyone"
    READ_ANY_ORDER = "orders:read-any"
    CANCEL_OWN_PENDING_ORDER = "orders:cancel-own-pending"
    CHANGE_ANY_ORDER_STATUS = "orders:status-any"
    READ_ANALYTICS = "analytics:read"


_USER = frozenset({Action.DELETE_OWN_USER, Action.PLACE_ORDER, Action.CANCEL_OWN_PENDING_ORDER})
_MODERATOR = frozenset(
    {
        Action.READ_ANY_USER,
        Action.UPDATE_ANY_USER,
        Action.SET_USER_ACTIVE,
        Action.READ_INACTIVE_PRODUCTS,
        Action.WRITE_CATALOG,
        Action.PLACE_ORDER,
        Action.ORDER_FOR_ANYONE,
        Action.READ_ANY_ORDER,
        Action.CANCEL_OWN_PENDING_ORDER,
        Action.CHANGE_ANY_ORDER_STATUS,
        Action.READ_ANALYTICS,
    }
)

GRANTS: dict[Role, frozenset[Action]] = {
    Role.USER: _USER,
    Role.MODERATOR: _MODERATOR,  # no DELETE of any user, own included: the table says 403
    Role.ADMIN: frozenset(Action),
}

# an account may only be managed by a role at least as high as its own (no escalation)
RANK: dict[Role, int] = {Role.USER: 0, Role.MODERATOR: 1, Role.ADMIN: 2}


def can(principal: Principal, action: Action) -> bool:
    """Whether the table grants `action` to the caller's role (anonymous: nothing)."""
    return principal.role is not None and action in GRANTS[principal.role]


def require_authenticated(principal: Principal) -> str | None:
    """UnauthorizedError for an anonymous caller; else the caller's user id (None: SYSTEM)."""
    if principal.is_anonymous:
        raise UnauthorizedError()
    return principal.user_id


def require(principal: Principal, action: Action) -> None:
    """401 for an anonymous caller, 403 when the role lacks `action`."""
    require_authenticated(principal)
    if not can(principal, action):
        raise ForbiddenError()


def forbid_unless(principal: Principal, action: Action, detail: str) -> None:
    """403 (401 when anonymous) with `detail` unless the caller may do `action`."""
    if not can(principal, action):
        require_authenticated(principal)
        raise ForbiddenError(detail)


def check_user_visible(principal: Principal, user_id: str) -> None:
    """401 anonymous; NotFoundError for someone else's user the caller may not read."""
    require_authenticated(principal)
    if not (principal.owns(user_id) or can(principal, Action.READ_ANY_USER)):
        raise NotFoundError(f"User {user_id} not found")


def check_user_update(
    principal: Principal, user_id: str, user_role: Role, fields: frozenset[str]
) -> None:
    """May the caller change `fields` of this (visible) user? 403 otherwise.

    Own account: anything but `role`/`is_active` unless granted. Another account: needs
    UPDATE_ANY_USER, and a rank at least that of the account (a moderator cannot edit an
    admin: that would let them take it over by its email or password).
    """
    own = principal.owns(user_id)
    if not own:
        require(principal, Action.UPDATE_ANY_USER)
        assert principal.role is not None
        if RANK[principal.role] < RANK[user_role]:
            raise ForbiddenError("You may not change an account with a higher role than yours")
    if "role" in fields:
        forbid_unless(principal, Action.SET_USER_ROLE, "You may not change a role")
    if "is_active" in fields:
        forbid_unless(principal, Action.SET_USER_ACTIVE, "You may not (de)activate an account")


def check_user_delete(principal: Principal, user_id: str) -> None:
    """Own account: DELETE_OWN_USER; another: visible (else 404), then DELETE_ANY_USER."""
    if principal.owns(user_id):
        require(principal, Action.DELETE_OWN_USER)
        return
    check_user_visible(principal, user_id)
    require(principal, Action.DELETE_ANY_USER)


def check_order_visible(principal: Principal, owner_id: str, order_id: str) -> None:
    """401 anonymous; NotFoundError for someone else's order the caller may not read."""
    require_authenticated(principal)
    if not (principal.owns(owner_id) or can(principal, Action.READ_ANY_ORDER)):
        raise NotFoundError(f"Order {order_id} not found")


def check_order_move(principal: Principal, owner_id: str, pending: bool, cancel: bool) -> None:
    """Any move with CHANGE_ANY_ORDER_STATUS; else only cancelling one's own pending order."""
    if can(principal, Action.CHANGE_ANY_ORDER_STATUS):
        return
    allowed = principal.owns(owner_id) and pending and cancel
    if not (allowed and can(principal, Action.CANCEL_OWN_PENDING_ORDER)):
        require_authenticated(principal)
        raise ForbiddenError("You may only cancel your own pending orders")


def order_owner(principal: Principal, requested: str | None) -> str:
    """Whose order the caller places: `requested`, or the caller when omitted; 403 for
    someone else without ORDER_FOR_ANYONE."""
    require(principal, Action.PLACE_ORDER)
    if requested is None or principal.owns(requested):
        if principal.user_id is None:  # SYSTEM has no user of its own
            raise ValidationError("user_id is required")
        return principal.user_id
    if not can(principal, Action.ORDER_FOR_ANYONE):
        raise ForbiddenError("You may only place orders for yourself")
    return requested


def sees_inactive_products(principal: Principal) -> bool:
    """Moderators and admins see (and may filter on) inactive products; others never do."""
    return can(principal, Action.READ_INACTIVE_PRODUCTS)
