"""Users over HTTP: request and response bodies."""

import unicodedata
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    WithJsonSchema,
)

from application.users import RegisterUserCommand
from domain.errors import ValidationError
from domain.users import USERNAME_MAX, USERNAME_MIN, Address, Role, normalize_username
from entrypoints.http.schemas.optional import omittable
from entrypoints.http.schemas.patterns import char_class
from entrypoints.http.schemas.timestamps import Timestamp

_STRICT = ConfigDict(extra="forbid")
Tag = Field(min_length=1, max_length=50)


def _username(value: Any) -> Any:
    """NFKC first (so the length is the stored name's), refusing control/format chars."""
    if not isinstance(value, str):
        return value
    try:
        return normalize_username(value)
    except ValidationError as exc:
        raise ValueError(exc.detail) from None


# what a pattern can say of the username rule (domain.users.normalize_username); the rest
# (unassigned code points, format characters beyond the BMP, a name that NFKC lengthens
# past the maximum) is in the description
_REFUSED = char_class(lambda c: unicodedata.category(c) in ("Cc", "Cf"), 0x10000)  # the BMP's
USERNAME_PATTERN = f"^[^{_REFUSED}]*$"
Username = Annotated[
    str,
    BeforeValidator(_username),
    Field(min_length=USERNAME_MIN, max_length=USERNAME_MAX),
    WithJsonSchema(  # pydantic leaves a pattern out of the schema after a BeforeValidator
        {
            "type": "string",
            "minLength": USERNAME_MIN,
            "maxLength": USERNAME_MAX,
            "pattern": USERNAME_PATTERN,
            "description": "NFKC-normalised first (the length counts the normalised name); "
            "control, format (zero-width, bidi) and unassigned characters are refused",
        }
    ),
]


# email-validator (pydantic's EmailStr) refuses special-use and reserved domain names
# (RFC 6761: `.test`, `.local`...), which `format: email` alone would promise; the pattern
# says so, letter case folded by hand (a JSON Schema pattern has no flags)
_SPECIAL_USE = ("arpa", "invalid", "local", "localhost", "onion", "test")
EMAIL_PATTERN = (
    "^(?!.*[@.]("
    + "|".join("".join(f"[{c.upper()}{c}]" for c in name) for name in _SPECIAL_USE)
    + r")\.?$)"
)
Email = Annotated[
    EmailStr,
    WithJsonSchema(
        {
            "type": "string",
            "format": "email",
            "pattern": EMAIL_PATTERN,
            "description": "an address; not at a special-use or reserved domain name "
            "(" + ", ".join(f".{name}" for name in _SPECIAL_USE) + ")",
        }
    ),
]


class AddressBody(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    street: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    state: str = Field(min_length=1, max_length=100)
    zip_code: str = Field(min_length=1, max_length=20)
    country: str = Field("USA", min_length=1, max_length=100)

    def to_domain(self) -> Address:
        return Address(**self.model_dump())


class UserCreate(BaseModel):
    model_config = _STRICT

    email: Email
    username: Username
    password: str = Field(min_length=8, max_length=1024)
    full_name: str | None = Field(None, max_length=100)
    role: Role | None = Field(None, description="admins only (default user)")
    is_active: StrictBool | None = Field(None, description="admins only (default true)")
    tags: list[str] = Field(default_factory=list, max_length=100)
    address: AddressBody | None = None

    def to_command(self) -> RegisterUserCommand:
        return RegisterUserCommand(
            email=self.email,
            username=self.username,
            password=self.password,
            full_name=self.full_name,
            role=self.role,
            is_active=self.is_active,
            tags=tuple(self.tags),
            address=self.address.to_domain() if self.address else None,
        )


class UserUpdate(BaseModel):
    """Only the fields sent change; null clears `full_name` or `address`. Changing one's own
    `password` needs `current_password`."""

    model_config = _STRICT

    email: Email = omittable()
    username: Username = omittable()
    password: str = omittable(min_length=8, max_length=1024)
    full_name: str | None = Field(None, max_length=100)
    role: Role = omittable()
    is_active: StrictBool = omittable()
    tags: list[str] = omittable(max_length=100)
    address: AddressBody | None = None
    current_password: str = omittable(min_length=1, max_length=1024)

    def changes(self) -> dict:
        sent = {
            name: getattr(self, name)
            for name in self.model_fields_set
            if name != "current_password"
        }
        if sent.get("address") is not None:
            sent["address"] = sent["address"].to_domain()
        return sent


class MeUpdate(UserUpdate):
    """A change of one's own user: a new `password` needs `current_password` (the document
    says so with `dependentRequired`; the server answers 422 without it)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"dependentRequired": {"password": ["current_password"]}}
    )


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: str = Field(serialization_alias="_id")
    email: str
    username: str
    full_name: str | None
    role: Role
    is_active: bool
    tags: list[str]
    address: AddressBody | None
    created_at: Timestamp
    updated_at: Timestamp
