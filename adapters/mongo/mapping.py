"""Entity <-> document mapping for MongoDB, in one place."""

from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

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
    address = None
    if user.address is not None:
        a = user.address
        address = {
            "street": a.street,
            "city": a.city,
            "state": a.state,
            "zip_code": a.zip_code,
            "country": a.country,
        }
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
    )
