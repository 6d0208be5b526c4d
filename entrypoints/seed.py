"""`storefront seed`: deterministic demo data through the same use cases as the API."""

import asyncio
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from rich.progress import Progress

from adapters.passwords import PrecomputedPasswordHasher
from application.products import BULK_MAX, BulkUpsertProducts, CreateProductCommand
from application.users import RegisterUser, RegisterUserCommand
from domain.access import SYSTEM
from domain.errors import DuplicateError
from domain.users import Address, Role
from entrypoints.container import provide
from entrypoints.seed_orders import (
    SEED_USERNAME,
    OrdersReport,
    by_seed_number,
    seed_orders,
    stored_seeded_product_ids,
    stored_seeded_user_ids,
)

SEED_PASSWORD = "seeded-password"  # every seeded user's password (hashed once, see below)
ADJECTIVES = [
    "red",
    "blue",
    "green",
    "black",
    "white",
    "silver",
    "golden",
    "wooden",
    "steel",
    "leather",
    "cotton",
    "wool",
    "linen",
    "bamboo",
    "vintage",
    "modern",
    "classic",
    "compact",
    "portable",
    "wireless",
    "smart",
    "organic",
    "rustic",
    "deluxe",
]
NOUNS = [
    "lamp",
    "chair",
    "table",
    "desk",
    "mug",
    "kettle",
    "teapot",
    "lantern",
    "backpack",
    "jacket",
    "scarf",
    "hat",
    "shoe",
    "sock",
    "watch",
    "speaker",
    "headphones",
    "keyboard",
    "mouse",
    "notebook",
    "pen",
    "bottle",
    "blanket",
    "pillow",
    "umbrella",
]
CATEGORIES = [
    "home",
    "kitchen",
    "office",
    "outdoor",
    "fashion",
    "electronics",
    "books",
    "sports",
    "toys",
    "garden",
]
TAGS = [
    "sale",
    "new",
    "popular",
    "gift",
    "eco",
    "premium",
    "handmade",
    "limited",
    "bestseller",
    "clearance",
    "durable",
    "lightweight",
    "waterproof",
    "travel",
    "classic",
]
WORDS = [
    "made",
    "with",
    "care",
    "for",
    "everyday",
    "use",
    "durable",
    "design",
    "easy",
    "to",
    "clean",
    "perfect",
    "gift",
    "a",
    "bright",
    "finish",
    "that",
    "lasts",
    "comfortable",
    "quiet",
    "fast",
    "simple",
    "elegant",
]
CITIES = ("Springfield", "Riverside", "Franklin", "Greenville", "Bristol", "Clinton")


def product_commands(seed: int, count: int, start: int = 0) -> Iterator[CreateProductCommand]:
    """`count` products, the same ones for the same seed (sku SEED-0000001 ...)."""
    rng = random.Random(seed)
    for i in range(start, start + count):
        adjective, noun = rng.choice(ADJECTIVES), rng.choice(NOUNS)
        yield CreateProductCommand(
            sku=f"SEED-{i + 1:07d}",
            name=f"{adjective.title()} {noun} {i + 1}",
            price=Decimal(rng.randint(100, 50_000)) / 100,
            description=" ".join(rng.choices(WORDS, k=rng.randint(6, 16))) + f" {noun}",
            category=rng.choice(CATEGORIES),
            tags=tuple(sorted(set(rng.choices(TAGS, k=rng.randint(1, 3))))),
            is_active=rng.random() < 0.95,
        )


def user_commands(seed: int, count: int) -> Iterator[RegisterUserCommand]:
    rng = random.Random(seed + 1)
    roles = [Role.USER] * 8 + [Role.MODERATOR, Role.ADMIN]
    for i in range(1, count + 1):
        yield RegisterUserCommand(
            email=f"user{i}@seed.example.com",
            username=f"seed_user_{i}",
            password=SEED_PASSWORD,
            full_name=f"{rng.choice(ADJECTIVES).title()} {rng.choice(NOUNS).title()}",
            role=rng.choice(roles),
            is_active=rng.random() < 0.9,
            tags=tuple(sorted(set(rng.choices(TAGS, k=rng.randint(0, 2))))),
            address=Address(
                f"{rng.randint(1, 999)} Main St", rng.choice(CITIES), "IL", f"{60000 + i}"
            )
            if rng.random() < 0.7
            else None,
        )


@dataclass
class SeedReport:
    users_created: int = 0
    users_existing: int = 0
    products_inserted: int = 0
    products_updated: int = 0
    products_unchanged: int = 0
    orders: OrdersReport = field(default_factory=OrdersReport)


async def seed_users(
    register: RegisterUser,
    seed: int,
    count: int,
    report: SeedReport,
    on_progress: Callable[[int], None],
    concurrency: int = 64,
    created: dict[str, str] | None = None,
) -> None:
    """Through RegisterUser; a user that already exists (a second run) is counted, not an error.
    `created`, when given, receives username -> id of every active user this run created
    (the ones who may order)."""

    async def one(cmd: RegisterUserCommand) -> None:
        try:
            user = await register.execute(SYSTEM, cmd)
            report.users_created += 1
            if created is not None and user.is_active:
                created[user.username] = user.id
        except DuplicateError:
            report.users_existing += 1

    commands = list(user_commands(seed, count))
    for start in range(0, len(commands), concurrency):
        chunk = commands[start : start + concurrency]
        await asyncio.gather(*(one(cmd) for cmd in chunk))
        on_progress(len(chunk))


async def seed_products(
    bulk: BulkUpsertProducts,
    seed: int,
    count: int,
    report: SeedReport,
    on_progress: Callable[[int], None],
    batch_size: int = 1000,
) -> None:
    """Through BulkUpsertProducts in batches; re-running is idempotent (upsert by sku)."""
    batch_size = max(1, min(batch_size, BULK_MAX))
    commands = product_commands(seed, count)
    while batch := [cmd for _, cmd in zip(range(batch_size), commands, strict=False)]:
        result = await bulk.execute(SYSTEM, batch)
        report.products_inserted += result.upserted
        report.products_updated += result.modified
        report.products_unchanged += result.matched - result.modified
        on_progress(len(batch))


async def seed_store(
    container,
    services,
    progress: Progress,
    users: int = 0,
    products: int = 0,
    orders: int = 0,
    seed: int = 42,
) -> SeedReport:
    """What `storefront seed` does, on a started container (the CLI's, or a benchmark's that
    keeps an in-memory store alive afterwards), one progress bar task per kind."""
    report = SeedReport()
    created: dict[str, str] = {}
    if users:
        register = RegisterUser(
            await provide(container.storage.users),
            PrecomputedPasswordHasher(container.hasher(), SEED_PASSWORD),
            container.clock(),
        )
        task = progress.add_task("users", total=users)
        await seed_users(
            register, seed, users, report, lambda n: progress.advance(task, n), created=created
        )
    if products:
        task = progress.add_task("products", total=products)
        await seed_products(
            services.bulk_upsert_products,
            seed,
            products,
            report,
            lambda n: progress.advance(task, n),
        )
    if orders:
        if users and report.users_existing == 0:
            user_ids = by_seed_number(created.items(), SEED_USERNAME)  # no listing needed
        else:
            user_ids = await stored_seeded_user_ids(services.list_users)
        product_ids = await stored_seeded_product_ids(services.list_products)
        task = progress.add_task("orders", total=orders)
        await seed_orders(
            services,
            user_ids,
            product_ids,
            seed,
            orders,
            report.orders,
            lambda n: progress.advance(task, n),
        )
    return report
