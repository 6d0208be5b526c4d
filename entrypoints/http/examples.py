"""Examples for the OpenAPI document, in one place: one per component schema and one per
parameter name. `openapi.py` puts them on the schemas and on every route's parameters,
request bodies and responses; a test validates each against its schema, so they cannot
drift from what the API accepts and sends.
"""

from typing import Any

USER_ID = "665f1c2e9b1e8a3d4c5b6a79"
PRODUCT_ID = "665f1c2e9b1e8a3d4c5b6a7a"
ORDER_ID = "665f1c2e9b1e8a3d4c5b6a7b"
AT = "2026-11-27T20:56:28.123Z"

_ADDRESS = {
    "street": "1 Main St",
    "city": "Springfield",
    "state": "IL",
    "zip_code": "62701",
    "country": "USA",
}
_USER = {
    "_id": USER_ID,
    "email": "ada@example.com",
    "username": "ada",
    "full_name": "Ada Lovelace",
    "role": "user",
    "is_active": True,
    "tags": ["beta"],
    "address": _ADDRESS,
    "created_at": AT,
    "updated_at": AT,
}
_PRODUCT = {
    "_id": PRODUCT_ID,
    "sku": "DESK-WAL-160",
    "name": "Walnut desk",
    "description": "Solid walnut, 160 x 80 cm",
    "price": 249.99,
    "category": "furniture",
    "tags": ["wood", "office"],
    "is_active": True,
    "created_at": AT,
    "updated_at": AT,
}
_PRODUCT_IN = {k: v for k, v in _PRODUCT.items() if k not in {"_id", "created_at", "updated_at"}}
_LINE = {
    "product_id": PRODUCT_ID,
    "name": "Walnut desk",
    "price": 249.99,
    "quantity": 2,
    "subtotal": 499.98,
}
_ORDER = {
    "_id": ORDER_ID,
    "user_id": USER_ID,
    "items": [_LINE],
    "total": 499.98,
    "status": "pending",
    "created_at": AT,
    "updated_at": AT,
}

SCHEMAS: dict[str, Any] = {
    "AddressBody": _ADDRESS,
    "Body_login": {"username": "ada", "password": "correct horse battery"},
    "TokenOut": {
        "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        ".eyJzdWIiOiI2NjVmMWMyZTliMWU4YTNkNGM1YjZhNzkifQ.c2lnbmF0dXJl",
        "token_type": "bearer",
        "expires_in": 900,
        "refresh_token": "q7Lw0mB1oXbq3Yb0m3l3oVd0ZQ8y4Fv2bCq1uQdWc1A",
    },
    "RefreshIn": {"refresh_token": "q7Lw0mB1oXbq3Yb0m3l3oVd0ZQ8y4Fv2bCq1uQdWc1A"},
    "UserCreate": {
        "email": "ada@example.com",
        "username": "ada",
        "password": "correct horse battery",
        "full_name": "Ada Lovelace",
    },
    "UserUpdate": {"full_name": "Ada King", "tags": ["beta", "vip"]},
    "MeUpdate": {"password": "a new long password", "current_password": "correct horse battery"},
    "UserOut": _USER,
    "Role": "user",
    "ProductCreate": _PRODUCT_IN,
    "ProductUpdate": {"price": 229.99, "tags": ["wood", "office", "sale"]},
    "ProductOut": _PRODUCT,
    "SearchHitOut": _PRODUCT | {"score": 10.5},
    "BulkUpsertIn": {"products": [_PRODUCT_IN]},
    "BulkUpsertOut": {"matched": 1, "modified": 1, "upserted": 0},
    "StockOut": {"product_id": PRODUCT_ID, "quantity": 12},
    "StockSet": {"quantity": 12},
    "StockAdjust": {"delta": -2},
    "OrderItemIn": {"product_id": PRODUCT_ID, "quantity": 2},
    "OrderCreate": {"user_id": USER_ID, "items": [{"product_id": PRODUCT_ID, "quantity": 2}]},
    "OrderItemOut": _LINE,
    "OrderOut": _ORDER,
    "OrderStatus": "paid",
    "StatusChange": {"status": "paid"},
    "RoleCountOut": {"role": "user", "total_users": 120, "active_users": 110, "inactive_users": 10},
    "DailyRegistrationsOut": {"date": "2026-11-27", "registrations": 14},
    "TopCustomerOut": {
        "_id": USER_ID,
        "username": "ada",
        "email": "ada@example.com",
        "order_count": 7,
        "total_spent": 1749.93,
    },
    "PurgeOut": {"deleted": 3},
    "DatabaseHealth": {"status": "up", "latency_ms": 0.8},
    "Liveness": {"status": "alive"},
    "Readiness": {"status": "ready"},
    "SearchHealth": {"status": "available", "detail": None},
    "Health": {
        "status": "healthy",
        "database": {"status": "up", "latency_ms": 0.8},
        "search": {"status": "available", "detail": None},
        "timestamp": AT,
    },
    "ErrorBody": {"detail": "User 665f1c2e9b1e8a3d4c5b6a79 not found", "code": "not_found"},
    "ValidationProblem": {
        "type": "greater_than_equal",
        "loc": ["body", "items", 0, "quantity"],
        "msg": "Input should be greater than or equal to 1",
        "ctx": {"ge": "1"},
    },
}

PARAMETERS: dict[str, Any] = {
    "user_id": USER_ID,
    "product_id": PRODUCT_ID,
    "order_id": ORDER_ID,
    "skip": 0,
    "limit": 20,
    "is_active": True,
    "role": "user",
    "category": "furniture",
    "min_price": 10,
    "max_price": 500,
    "tag": "wood",
    "q": "walnut desk",
    "status": "pending",
    "start": "2026-11-01",
    "end": "2026-11-30",
    "days": 365,
    "If-Match": '"3"',
    "If-None-Match": '"3"',
    "Idempotency-Key": "8c0f7f1e-2b9c-4bb5-9a53-3f7e1c0d2a11",
}
