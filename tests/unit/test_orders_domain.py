"""Order rules: the status machine, merged lines, exact totals."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.errors import ValidationError
from domain.ids import new_id
from domain.orders import (
    MOVES,
    IllegalStatusChangeError,
    Order,
    OrderLine,
    OrderStatus,
    check_idempotency_key,
    merge_lines,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
A, B = "a" * 24, "b" * 24


def order(status=OrderStatus.PENDING) -> Order:
    lines = (OrderLine(A, "dime", Decimal("0.10"), 3),)
    return Order(new_id(), B, lines, status, T0, T0)


def test_total_is_exact():
    lines = tuple(OrderLine(new_id(), "x", Decimal("0.10"), 1) for _ in range(3))
    assert Order(new_id(), B, lines, OrderStatus.PENDING, T0, T0).total == Decimal("0.30")
    assert order().lines[0].subtotal == Decimal("0.30")


@pytest.mark.parametrize("status", list(OrderStatus))
@pytest.mark.parametrize("target", list(OrderStatus))
def test_the_status_machine(status, target):
    legal = {
        ("pending", "paid"), ("paid", "shipped"), ("shipped", "delivered"),
        ("pending", "cancelled"), ("paid", "cancelled"),
    }  # fmt: skip
    if (status, target) in legal:
        moved = order(status).moved_to(target, T0)
        assert moved.status == target
    else:
        with pytest.raises(IllegalStatusChangeError):
            order(status).moved_to(target, T0)
    assert sum(len(v) for v in MOVES.values()) == len(legal)


def test_merge_lines_sums_repeats_and_sorts_by_product():
    assert merge_lines([(B, 1), (A, 2), (B, 3)]) == [(A, 2), (B, 4)]


@pytest.mark.parametrize("items", [[], [(A, 0)], [(A, -1)], [("bad", 1)], [(A, True)], [(A, 1.5)]])
def test_merge_lines_rejects(items):
    with pytest.raises(ValidationError):
        merge_lines(items)


def test_an_order_needs_lines_and_money_has_two_places():
    with pytest.raises(ValidationError):
        Order(new_id(), B, (), OrderStatus.PENDING, T0, T0)
    with pytest.raises(ValidationError):
        OrderLine(A, "x", Decimal("0.001"), 1)


def test_idempotency_keys():
    assert check_idempotency_key("abc-123") == "abc-123"
    for bad in ("", "x" * 256, "tab\there"):
        with pytest.raises(ValidationError):
            check_idempotency_key(bad)
