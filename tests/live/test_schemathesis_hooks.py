"""The schemathesis hooks drop only what they say (schemathesis.toml loads them for every run)."""

from types import SimpleNamespace

from tests.live import schemathesis_hooks as hooks


class Answer:
    def __init__(self, status: int, code: str) -> None:
        self.status_code, self._code = status, code

    def json(self) -> dict:
        return {"detail": "...", "code": self._code}


def case(method: str, path: str, *, query=None, headers=None, body=None, path_parameters=None):
    operation = SimpleNamespace(path=path, headers=[])
    return SimpleNamespace(
        method=method,
        operation=operation,
        query=query,
        headers=headers,
        body=body,
        path_parameters=path_parameters,
    )


ST202 = SimpleNamespace(code="ST202")


def kept(failure, a_case, answer) -> bool:
    return hooks.filter_failure(None, failure, a_case, answer)


def test_only_the_answers_no_schema_can_foresee_are_dropped():
    patch = case("PATCH", "/api/users/{user_id}", headers={"If-Match": '"3"'})
    assert not kept(ST202, patch, Answer(412, "precondition_failed"))
    assert kept(ST202, case("PATCH", "/api/users/{user_id}"), Answer(412, "precondition_failed"))
    order = case("POST", "/api/orders/", headers={"Idempotency-Key": "k"})
    assert not kept(ST202, order, Answer(422, "idempotency_key_reused"))
    assert kept(ST202, case("POST", "/api/orders/"), Answer(422, "idempotency_key_reused"))
    listed = case("GET", "/api/users/", query={"cursor": "A" * 48})
    assert not kept(ST202, listed, Answer(422, "invalid_cursor"))
    assert kept(ST202, case("GET", "/api/users/"), Answer(422, "invalid_cursor"))
    report = "/api/analytics/users/registrations"
    backwards = case("GET", report, query={"start": "2026-02-01", "end": "2026-01-01"})
    in_order = case("GET", report, query={"start": "2026-01-01", "end": "2026-02-01"})
    assert not kept(ST202, backwards, Answer(422, "invalid"))
    assert kept(ST202, in_order, Answer(422, "invalid"))
    twice = {"products": [{"sku": "A"}, {"sku": "A"}]}
    assert not kept(ST202, case("POST", "/api/products/bulk", body=twice), Answer(422, "invalid"))
    once = {"products": [{"sku": "A"}, {"sku": "B"}]}
    assert kept(ST202, case("POST", "/api/products/bulk", body=once), Answer(422, "invalid"))
    invalid = Answer(422, "validation_error")
    odd_name = {"username": "ad\U000e0001a"}  # a format character beyond the BMP
    assert not kept(ST202, case("POST", "/api/users/", body=odd_name), invalid)
    assert kept(ST202, case("POST", "/api/users/", body={"username": "ada"}), invalid)
    # any other check's failure always stands
    other = SimpleNamespace(code="ST201")
    assert kept(other, patch, Answer(412, "precondition_failed"))


def test_the_run_never_locks_its_own_account_out(monkeypatch):
    monkeypatch.setenv(hooks.CALLER_ENV, "a" * 24)
    own = {"user_id": "a" * 24}
    other = {"user_id": "b" * 24}
    path = "/api/users/{user_id}"
    assert not hooks.filter_case(None, case("DELETE", path, path_parameters=own))
    assert hooks.filter_case(None, case("DELETE", path, path_parameters=other))
    assert not hooks.filter_case(None, case("PATCH", "/api/users/me", body={"is_active": False}))
    demote = {"role": "user"}
    assert not hooks.filter_case(None, case("PATCH", path, path_parameters=own, body=demote))
    assert hooks.filter_case(None, case("PATCH", "/api/users/me", body={"full_name": "Ada"}))
    assert hooks.filter_case(None, case("PATCH", path, path_parameters=other, body=demote))
