"""schemathesis hooks, loaded by schemathesis.toml for every run from the repository root.

schemathesis' `positive_data_acceptance` check (ST202) expects a request its document calls
valid to be answered 2xx, or 401/403/404/409/429/5xx. A few answers of this API to schema-valid
requests are right and still not in that list, because what decides them is not something a
schema can say: which resource versions, ids and cursors exist, and rules that relate two
parameters. `filter_failure` drops exactly those (and only when the request shows the rule
really applied); every other failure of every check stands.

`map_case` works around a schemathesis 4.32 coverage-phase defect (see there), and
`filter_case` keeps the run from locking its own account out (see there).
"""

import os
import unicodedata
from datetime import date
from typing import Any

import schemathesis
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import ComponentInfo
from schemathesis.generation.modes import GenerationMode

# domain/analytics.py, domain/users.py (this file runs in schemathesis, not in the app)
MAX_REPORT_DAYS = 366
USERNAME_MIN, USERNAME_MAX = 3, 50
MAX_LINE_QUANTITY = 1_000_000  # domain/orders.py
# the id of the user whose bearer token the run sends (tests/live/test_schemathesis.py sets it)
CALLER_ENV = "SCHEMATHESIS_CALLER_ID"
DROPPED_LOG_ENV = "SCHEMATHESIS_DROPPED_LOG"  # where filter_failure lists what it dropped


def _error_code(response: Any) -> str | None:
    try:
        body = response.json()
    except Exception:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _report_range_broken(query: dict[str, Any]) -> bool:
    """The registrations report's cross-parameter rule (no JSON Schema for it): start <= end
    and at most MAX_REPORT_DAYS days, both ends included."""
    try:
        start, end = date.fromisoformat(query["start"]), date.fromisoformat(query["end"])
    except (KeyError, TypeError, ValueError):
        return False
    return start > end or (end - start).days + 1 > MAX_REPORT_DAYS


def _header(case: Any, name: str) -> str | None:
    for key, value in (case.headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """False (drop) for an ST202 whose answer the API documents and no schema can foresee;
    each drop is one line `METHOD path status code` in the file DROPPED_LOG_ENV names."""
    keep = _keep(failure, case, response)
    log = os.environ.get(DROPPED_LOG_ENV)
    if not keep and log:
        with open(log, "a", encoding="utf-8") as out:
            line = f"{case.method.upper()} {case.operation.path} {response.status_code}"
            out.write(f"{line} {_error_code(response)}\n")
    return keep


def _keep(failure: Any, case: Any, response: Any) -> bool:
    if failure.code != "ST202":
        return True
    code = _error_code(response)
    operation = f"{case.method.upper()} {case.operation.path}"
    # If-Match names a well-formed ETag that is not the resource's current one: 412 is the
    # answer RFC 9110 §13.1.1 requires (which version is current is state, not schema)
    if response.status_code == 412 and code == "precondition_failed":
        return _header(case, "If-Match") is None
    # an Idempotency-Key the run already used with another body (SPEC: 422); which keys were
    # used is state (schemathesis sends the document's example key again and again)
    if code == "idempotency_key_reused":
        return _header(case, "Idempotency-Key") is None
    # a cursor is signed by the server (HMAC): a well-formed one it did not sign is refused
    if code == "invalid_cursor":
        return "cursor" not in (case.query or {})
    # an order naming a user or product that does not exist or is inactive (SPEC: 422);
    # which ids exist is state, like the 404s schemathesis already accepts
    if code == "invalid_reference" and operation == "POST /api/orders/":
        return False
    # start after end, or more than 366 days: a rule between two parameters
    if operation == "GET /api/analytics/users/registrations" and code == "invalid":
        return not _report_range_broken(case.query or {})
    # repeated lines of one product are merged (SPEC), and the merged line is over the
    # per-line maximum: a rule across items
    if operation == "POST /api/orders/" and code == "invalid":
        return not _merged_line_too_large(case.body)
    # two items with one sku: JSON Schema's uniqueItems compares whole items, not a field
    if operation == "POST /api/products/bulk" and code == "invalid":
        return not _repeats_a_sku(case.body)
    # a username the document's pattern and length allow and the server still refuses: an
    # unassigned code point (which ones are assigned depends on the Unicode version), a format
    # character beyond the BMP, or NFKC making it longer than the maximum
    if code == "validation_error" and _username_refused(case.body):
        return False
    # a new password for the caller's own account needs current_password: whether the id is
    # the caller's is state (PATCH /api/users/me documents it as dependentRequired)
    return not (code == "current_password_required" and operation == "PATCH /api/users/{user_id}")


def _username_refused(body: Any) -> bool:
    """The rule of domain.users.normalize_username and check_username, re-checked here."""
    name = body.get("username") if isinstance(body, dict) else None
    if not isinstance(name, str):
        return False
    normal = unicodedata.normalize("NFKC", name)
    refused = any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Cn") for ch in normal)
    return refused or not USERNAME_MIN <= len(normal) <= USERNAME_MAX


def _merged_line_too_large(body: Any) -> bool:
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return False
    merged: dict[Any, int] = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("quantity"), int | float):
            merged[item.get("product_id")] = merged.get(item.get("product_id"), 0) + int(
                item["quantity"]
            )
    return any(quantity > MAX_LINE_QUANTITY for quantity in merged.values())


def _repeats_a_sku(body: Any) -> bool:
    items = body.get("products") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return False
    skus = [item.get("sku") for item in items if isinstance(item, dict)]
    return len(skus) != len(set(skus))


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    """schemathesis 4.32's coverage phase draws header values from letters and digits only,
    so it has no valid value for a header whose pattern needs another character (an entity
    tag is quoted: If-Match `"3"`); it then keeps a negative value (`0`) in the cases it
    labels positive, whose requests are not valid at all. Such a case gets its optional
    headers left out, which makes it what its label says."""
    meta = case.meta
    if meta is None or meta.generation.mode is not GenerationMode.POSITIVE:
        return case
    header = meta.components.get(ParameterLocation.HEADER)
    if header is None or header.mode is not GenerationMode.NEGATIVE:
        return case
    optional = {p.name.lower() for p in case.operation.headers if not p.is_required}
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in optional}
    meta.components[ParameterLocation.HEADER] = ComponentInfo(mode=GenerationMode.POSITIVE)
    return case


def _targets_the_caller(case: Any) -> bool:
    if case.operation.path == "/api/users/me":
        return True
    caller = os.environ.get(CALLER_ENV)
    return (
        caller is not None
        and case.operation.path == "/api/users/{user_id}"
        and (case.path_parameters or {}).get("user_id") == caller
    )


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    """Leave out the requests that would end the run's own session: deleting, deactivating or
    demoting the admin whose token every request carries (a stateful link from `get_me` to
    `delete_user` finds that account). After one of them every later request would be a 401
    and the checks would pass on nothing. tests/http covers those requests themselves."""
    if not _targets_the_caller(case):
        return True
    method = case.method.upper()
    if method == "DELETE":
        return False
    body = case.body if isinstance(case.body, dict) else {}
    demoted = "role" in body and body["role"] != "admin"
    return not (method == "PATCH" and (body.get("is_active") is False or demoted))
