"""Money, product and stock rules (pure, sync)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.errors import ValidationError
from domain.inventory import check_delta, check_quantity
from domain.money import from_cents, money, price, to_cents, total
from domain.products import Product, ProductFilter, search_terms

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_money_is_decimal_with_at_most_two_places():
    assert money("0.1") == Decimal("0.10") and str(money("0.1")) == "0.10"
    assert money(5) == Decimal("5.00")
    assert total(["0.10", "0.10", "0.10"]) == Decimal("0.30")
    assert total([]) == Decimal("0.00")
    for bad in (0.1, "0.001", "NaN", "Infinity", "abc", True, None):
        with pytest.raises(ValidationError):
            money(bad)


def test_cents_round_trip():
    for amount in ("0.00", "0.01", "0.10", "19.99", "999999999.99"):
        assert from_cents(to_cents(money(amount))) == Decimal(amount)
    assert to_cents(money("19.99")) == 1999


def test_price_bounds():
    assert price("0") == Decimal("0.00")
    for bad in ("-0.01", "1000000000.00"):
        with pytest.raises(ValidationError):
            price(bad)


def product(**fields) -> Product:
    values = {"id": "a" * 24, "sku": "SKU-1", "name": "Mug", "price": Decimal("3.5")}
    return Product(**({"created_at": T0, "updated_at": T0} | values | fields))


def test_product_normalizes_price_and_tags():
    p = product(tags=["a", "b"])
    assert str(p.price) == "3.50" and p.tags == ("a", "b")


@pytest.mark.parametrize(
    "bad",
    [
        {"sku": ""},
        {"sku": "a b"},
        {"sku": "x" * 65},
        {"name": ""},
        {"name": "x" * 201},
        {"description": "x" * 5001},
        {"category": ""},
        {"price": Decimal("1.001")},
        {"price": Decimal("-1")},
        {"price": 1.5},
        {"tags": ("",)},
        {"tags": ("x" * 51,)},
        {"tags": tuple(str(i) for i in range(101))},
    ],
)
def test_product_rules(bad):
    with pytest.raises(ValidationError):
        product(**bad)


def test_changed_returns_itself_when_nothing_changes():
    p = product()
    assert p.changed({"name": "Mug", "price": Decimal("3.50")}, T0.replace(year=2027)) is p
    later = T0.replace(year=2027)
    changed = p.changed({"name": "Cup"}, later)
    assert (changed.name, changed.updated_at, changed.created_at) == ("Cup", later, T0)


def test_filter_prices_are_money():
    assert ProductFilter(min_price=Decimal("1")).min_price == Decimal("1.00")
    with pytest.raises(ValidationError):
        ProductFilter(max_price=Decimal("1.001"))


def test_search_terms_are_words_only():
    assert search_terms('Red "SHOES" AND (red) -x*') == ["red", "shoes", "and", "x"]
    assert search_terms('" ( ) * ^ -') == []
    assert len(search_terms(" ".join(f"w{i}" for i in range(50)))) == 16


def test_stock_rules():
    assert check_quantity(0) == 0
    assert check_delta(-5) == -5
    for bad in (-1, 1.5, True, 10**10):
        with pytest.raises(ValidationError):
            check_quantity(bad)
    with pytest.raises(ValidationError):
        check_delta(10**10)
