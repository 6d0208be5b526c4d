"""Optimistic concurrency, on every leg: a version checked and moved in the conditional write."""

import asyncio
from dataclasses import replace

import pytest

from application.products import UpdateProductCommand
from application.users import UpdateUserCommand
from domain.access import SYSTEM
from domain.errors import ConcurrentChangeError, NotFoundError, PreconditionFailedError
from domain.ids import new_id
from domain.orders import OrderStatus
from domain.pagination import PageRequest
from domain.products import ProductFilter
from entrypoints.container import provide
from tests.contract.test_products import make_product
from tests.contract.test_users import make_user
from tests.orders_support import add_product, add_user, make_order, skip_without_transactions


@pytest.fixture
async def users(container):
    return await provide(container.storage.users)


@pytest.fixture
async def products(container):
    return await provide(container.storage.products)


def one_won(results: list) -> tuple[object, BaseException]:
    """The single success and the single failure of two racing calls (fails otherwise)."""
    failures = [r for r in results if isinstance(r, BaseException)]
    successes = [r for r in results if not isinstance(r, BaseException)]
    assert len(failures) == 1 and len(successes) == 1, results
    return successes[0], failures[0]


async def test_a_new_resource_is_at_version_1_and_each_update_moves_it(users, products):
    user, product = make_user(1), make_product(1)
    await users.add(user)
    await products.add(product)
    assert (await users.get(user.id)).version == 1
    assert (await products.get(product.id)).version == 1
    await users.update(replace(user, full_name="Ada"))
    await users.update(replace(await users.get(user.id), full_name="Ada L."))
    await products.update(replace(product, name="Lamp"))
    assert (await users.get(user.id)).version == 3
    assert (await products.get(product.id)).version == 2


async def test_racing_user_updates_from_one_read_one_wins(users):
    user = make_user(1)
    await users.add(user)
    read = await users.get(user.id)
    first, second = replace(read, full_name="First"), replace(read, full_name="Second")
    results = await asyncio.gather(
        users.update(first), users.update(second), return_exceptions=True
    )
    _, failure = one_won(results)
    assert isinstance(failure, ConcurrentChangeError)
    stored = await users.get(user.id)
    assert stored.version == 2
    winner = first if results[0] is None else second
    assert stored == replace(winner, version=2)  # the loser changed nothing


async def test_racing_product_updates_from_one_read_one_wins(products):
    product = make_product(1)
    await products.add(product)
    read = await products.get(product.id)
    results = await asyncio.gather(
        products.update(replace(read, name="First")),
        products.update(replace(read, name="Second")),
        return_exceptions=True,
    )
    _, failure = one_won(results)
    assert isinstance(failure, ConcurrentChangeError)
    stored = await products.get(product.id)
    assert stored.version == 2
    assert stored.name == ("First" if results[0] is None else "Second")


async def test_a_stale_update_is_a_conflict_and_a_missing_one_not_found(users, products):
    user, product = make_user(1), make_product(1)
    await users.add(user)
    await products.add(product)
    await users.update(replace(user, full_name="New"))
    await products.update(replace(product, name="New"))
    with pytest.raises(ConcurrentChangeError):
        await users.update(replace(user, full_name="Stale"))
    with pytest.raises(ConcurrentChangeError):
        await products.update(replace(product, name="Stale"))
    assert (await users.get(user.id)).full_name == "New"
    assert (await products.get(product.id)).name == "New"
    with pytest.raises(NotFoundError):
        await users.update(make_user(2))


async def test_a_conditional_delete_checks_the_version(users, products, container):
    user, product = make_user(1), make_product(1)
    await users.add(user)
    await products.add(product)
    await (await provide(container.storage.inventory)).set(product.id, 3)
    await users.update(replace(user, full_name="New"))
    await products.update(replace(product, name="New"))
    with pytest.raises(ConcurrentChangeError):
        await users.delete(user.id, version=1)
    with pytest.raises(ConcurrentChangeError):
        await products.delete(product.id, version=1)
    assert await users.get(user.id) is not None
    assert await products.get(product.id) is not None
    assert await users.delete(user.id, version=2) is True
    assert await products.delete(product.id, version=2) is True
    assert await users.get(user.id) is None and await products.get(product.id) is None
    assert await users.delete(user.id, version=2) is False  # gone: not a conflict
    assert await products.delete(product.id, version=2) is False


async def test_a_bulk_upsert_moves_the_version_of_changed_products_only(products, leg):
    if leg == "mongo-fake":
        pytest.skip("mongomock cannot run bulk_write with update pipelines")
    a, b = make_product(1), make_product(2)
    await products.upsert_many([a, b])
    await products.upsert_many([replace(a, id=new_id(), name="Changed"), replace(b, id=new_id())])
    listed = await products.list(ProductFilter(), PageRequest(0, 10))
    versions = {p.sku: p.version for p in listed.items}
    assert versions == {a.sku: 2, b.sku: 1}


# The use cases over each store: two PATCHes carrying the same ETag -> exactly one wins.


async def test_two_patches_with_the_same_if_match_give_one_success_one_precondition_failed(
    services, users
):
    user = make_user(1)
    await users.add(user)
    results = await asyncio.gather(
        services.update_user.execute(
            SYSTEM, UpdateUserCommand(user.id, {"full_name": "First"}, if_match=frozenset({1}))
        ),
        services.update_user.execute(
            SYSTEM, UpdateUserCommand(user.id, {"full_name": "Second"}, if_match=frozenset({1}))
        ),
        return_exceptions=True,
    )
    winner, failure = one_won(results)
    assert isinstance(failure, PreconditionFailedError)
    assert failure.code == "precondition_failed"
    assert winner.version == 2
    assert await users.get(user.id) == winner


async def test_two_product_patches_with_the_same_if_match_one_wins(services, products):
    product = make_product(1)
    await products.add(product)
    results = await asyncio.gather(
        *(
            services.update_product.execute(
                SYSTEM, UpdateProductCommand(product.id, {"name": name}, if_match=frozenset({1}))
            )
            for name in ("First", "Second")
        ),
        return_exceptions=True,
    )
    winner, failure = one_won(results)
    assert isinstance(failure, PreconditionFailedError)
    assert await products.get(product.id) == winner


async def test_an_if_match_naming_another_version_changes_nothing(services, users, products):
    user, product = make_user(1), make_product(1)
    await users.add(user)
    await products.add(product)
    with pytest.raises(PreconditionFailedError):
        await services.update_user.execute(
            SYSTEM, UpdateUserCommand(user.id, {"full_name": "X"}, if_match=frozenset({7}))
        )
    with pytest.raises(PreconditionFailedError):
        await services.delete_user.execute(SYSTEM, user.id, if_match=frozenset({2}))
    with pytest.raises(PreconditionFailedError):
        await services.delete_product.execute(SYSTEM, product.id, if_match=frozenset())
    assert await users.get(user.id) == user
    assert await products.get(product.id) == product
    await services.delete_user.execute(SYSTEM, user.id, if_match=frozenset({1, 5}))
    assert await users.get(user.id) is None


async def test_two_status_changes_with_the_same_if_match_one_wins(services, container, leg):
    skip_without_transactions(leg)
    user = await add_user(container)
    product = await add_product(container, 1, stock=5)
    order = make_order(user.id, [(product, 2)])
    async with (await provide(container.storage.uow))() as uow:
        uow.stock.reserve(product.id, 2)
        uow.orders.add(order)
        await uow.commit()
    results = await asyncio.gather(
        services.change_order_status.execute(SYSTEM, order.id, OrderStatus.PAID, frozenset({1})),
        services.change_order_status.execute(
            SYSTEM, order.id, OrderStatus.CANCELLED, frozenset({1})
        ),
        return_exceptions=True,
    )
    winner, failure = one_won(results)
    assert isinstance(failure, PreconditionFailedError)
    stored = await (await provide(container.storage.orders)).get(order.id)
    assert stored == winner and stored.version == 2
