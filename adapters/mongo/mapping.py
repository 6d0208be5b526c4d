"""Entity <-> document mapping for MongoDB, in one place."""

from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bson import Decimal128, ObjectId
from bson.errors import InvalidId

from domain.money import money
from domain.orders import Order, OrderLine
from domain.pagination import PageRequest
from domain.products import Product
from domain.users import Address, Role, User


def object_id(value: str) -> ObjectId | None:
    """The ObjectId for a 24-hex string, None for anything else."""
    if not isinstance(value, str) or len(value) != 24:
        return None
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


def aware(moment: datetime) -> datetime:
    """BSON dates are UTC milliseconds; make sure they come back tz-aware."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def user_document(user: User) -> dict[str, Any]:
    address = asdict(user.address) if user.address is not None else None
    return {
        "_id": ObjectId(user.id),
        "email": user.email,
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role.value,
        "is_active": user.is_active,
        "tags": list(user.tags),
        "address": address,
        "password_hash": user.password_hash,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "version": user.version,
    }


def document_user(doc: dict[str, Any]) -> User:
    address = doc.get("address")
    return User(
        id=str(doc["_id"]),
        email=doc["email"],
        username=doc["username"],
        password_hash=doc["password_hash"],
        created_at=aware(doc["created_at"]),
        updated_at=aware(doc["updated_at"]),
        full_name=doc.get("full_name"),
        role=Role(doc["role"]),
        is_active=doc["is_active"],
        tags=tuple(doc.get("tags") or ()),
        address=Address(**address) if address else None,
        version=doc.get("version", 1),
    )


def to_decimal128(amount: Decimal) -> Decimal128:
    """Money as BSON Decimal128 (exact; never a double)."""
    return Decimal128(amount)


def from_decimal128(value: Any) -> Decimal:
    """Money from the store; tolerates ints/strings another writer may have left."""
    if isinstance(value, Decimal128):
        return money(value.to_decimal())
    return money(str(value))


def product_content(product: Product) -> dict[str, Any]:
    """The fields a client sets, apart from sku (the upsert key)."""
    return {
        "name": product.name,
        "description": product.description,
        "price": to_decimal128(product.price),
        "category": product.category,
        "tags": list(product.tags),
        "is_active": product.is_active,
    }


def product_document(product: Product) -> dict[str, Any]:
    return {
        "_id": ObjectId(product.id),
        "sku": product.sku,
        **product_content(product),
        "created_at": product.created_at,
        "updated_at": product.updated_at,
        "version": product.version,
    }


def document_product(doc: dict[str, Any]) -> Product:
    return Product(
        id=str(doc["_id"]),
        sku=doc["sku"],
        name=doc["name"],
        price=from_decimal128(doc["price"]),
        created_at=aware(doc["created_at"]),
        updated_at=aware(doc["updated_at"]),
        description=doc.get("description"),
        category=doc.get("category"),
        tags=tuple(doc.get("tags") or ()),
        is_active=doc.get("is_active", True),
        version=doc.get("version", 1),
    )


def upsert_pipeline(product: Product) -> list[dict[str, Any]]:
    """An update pipeline for UpdateOne({"sku": ...}, upsert=True): sets the content, keeps
    created_at, and moves updated_at and the version only when some content differs, so an
    unchanged product does not count as modified. Every value is a $literal: no input is read
    as an operator or a field path."""
    content = {name: {"$literal": value} for name, value in product_content(product).items()}
    unchanged = {"$and": [{"$eq": [f"${name}", value]} for name, value in content.items()]}
    return [
        {
            "$set": {
                **content,
                "created_at": {"$ifNull": ["$created_at", {"$literal": product.created_at}]},
                "updated_at": {
                    "$cond": [unchanged, "$updated_at", {"$literal": product.updated_at}]
                },
                # a new document starts at 1; a changed one moves on (a missing version is 1)
                "version": {
                    "$cond": [
                        {"$gt": ["$created_at", None]},
                        {"$add": [{"$ifNull": ["$version", 1]}, {"$cond": [unchanged, 0, 1]}]},
                        1,
                    ]
                },
            }
        }
    ]


def order_document(order: Order) -> dict[str, Any]:
    return {
        "_id": ObjectId(order.id),
        "user_id": ObjectId(order.user_id),
        "status": order.status.value,
        "total": Decimal128(order.total),
        "items": [
            {
                "product_id": ObjectId(line.product_id),
                "name": line.name,
                "price": Decimal128(line.price),
                "quantity": line.quantity,
                "subtotal": Decimal128(line.subtotal),
            }
            for line in order.lines
        ],
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "version": order.version,
    }


def document_order(doc: dict[str, Any]) -> Order:
    return Order(
        id=str(doc["_id"]),
        user_id=str(doc["user_id"]),
        lines=tuple(
            OrderLine(str(i["product_id"]), i["name"], i["price"].to_decimal(), i["quantity"])
            for i in doc["items"]
        ),
        status=doc["status"],
        created_at=aware(doc["created_at"]),
        updated_at=aware(doc["updated_at"]),
        version=doc.get("version", 1),
    )


def at_version(version: int) -> dict[str, Any]:
    """The filter of a conditional write: a document still at `version` (documents written
    before versions existed have none and count as version 1)."""
    return {"version": {"$in": [1, None]}} if version == 1 else {"version": version}


def after(query: dict[str, Any], page: PageRequest) -> dict[str, Any]:
    """`query` narrowed to the documents after `page.after` in the order (created_at, _id)
    descending: a bounded range of the (created_at desc, _id desc) indexes."""
    if page.after is None:
        return query
    at, oid = page.after.created_at, object_id(page.after.id)
    return {
        **query,
        "$and": [
            {"created_at": {"$lte": at}},
            {"$or": [{"created_at": {"$lt": at}}, {"created_at": at, "_id": {"$lt": oid}}]},
        ],
    }
