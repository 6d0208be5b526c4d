"""Settings from environment variables and `.env` (pydantic-settings)."""

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIB = 1024 * 1024


class Backend(StrEnum):
    MEMORY = "memory"
    SQLITE = "sqlite"
    MONGO = "mongo"
    POSTGRES = "postgres"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    storage_backend: Backend = Backend.SQLITE
    log_level: str = "INFO"

    mongodb_url: str = "mongodb://localhost:27017"
    mongodb_database: str = "storefront"
    mongodb_driver: Literal["pymongo", "motor"] = "pymongo"
    mongodb_min_pool_size: int = Field(0, ge=0)
    mongodb_max_pool_size: int = Field(100, ge=1)
    mongodb_server_selection_timeout_ms: int = Field(3000, ge=1)
    mongodb_connect_timeout_ms: int = Field(3000, ge=1)
    mongodb_socket_timeout_ms: int = Field(10000, ge=1)
    mongodb_timeout_ms: int | None = Field(None, ge=1, description="CSOT timeoutMS, off by default")

    postgres_url: str = "postgresql://postgres@localhost:5432/storefront"
    postgres_schema: str = Field("public", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    postgres_min_pool_size: int = Field(1, ge=0)
    postgres_max_pool_size: int = Field(10, ge=1)
    postgres_command_timeout_s: float = Field(10.0, gt=0, description="statement timeout -> 504")
    postgres_acquire_timeout_s: float = Field(5.0, gt=0, description="no connection -> 503")
    postgres_connect_timeout_s: float = Field(3.0, gt=0)
    postgres_application_name: str = "storefront"

    sqlite_path: str = "data/storefront.db"
    sqlite_synchronous: Literal["OFF", "NORMAL", "FULL", "EXTRA"] = "FULL"
    sqlite_busy_timeout_ms: int = Field(5000, ge=0)
    sqlite_min_free_bytes: int = Field(
        64 * MIB, ge=0, description="/health/ready says not ready below this much free disk"
    )
    sqlite_read_threads: int = Field(4, ge=1, le=64, description="threads for longer reads")

    password_hash_time_cost: int = Field(3, ge=1)
    password_hash_memory_kib: int = Field(65536, ge=8)

    # identity and access (issue 11)
    jwt_secret: SecretStr | None = Field(
        None, description=">= 32 bytes; unset on sqlite/memory: generated (see README)"
    )
    access_token_minutes: int = Field(15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(14, ge=1, le=365)
    password_hash_concurrency: int | None = Field(None, ge=1, description="default: CPU count")
    first_admin_email: str | None = None
    first_admin_password: SecretStr | None = None
    first_admin_username: str = "admin"

    # keyset pagination: the HMAC key of list cursors; unset, a random one per process start
    # (cursors then stop working at a restart and differ between workers: set it in production)
    cursor_secret: SecretStr | None = Field(None, min_length=32)

    # --- operations (issue 13): logs, metrics, rate limits ------------------------------------
    log_format: Literal["console", "json"] = Field(
        "console", description="console: human-readable lines; json: one JSON object a line"
    )
    forwarded_allow_ips: str = Field(
        "", description="comma-separated peers (IPs/CIDRs) whose X-Forwarded-For is believed"
    )
    metrics_allowed_cidrs: str = Field(
        "127.0.0.1/32,::1/128", description="comma-separated networks that may read /metrics"
    )
    redis_url: str | None = Field(
        None, description="rate-limit counters in Redis; unset: in process"
    )
    rate_limit_enabled: bool = True
    rate_limit_per_minute: int = Field(600, ge=1, description="per client address, or per user")
    rate_limit_login_per_minute: int = Field(
        10, ge=1, description="token requests per account/address; own-user PATCHes per user"
    )
    rate_limit_signup_per_minute: int = Field(5, ge=1, description="anonymous sign-ups per address")
    rate_limit_key_prefix: str = Field("storefront", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")

    # HTTP limits (SPEC "Input rules and HTTP conventions"); see README "Limits"
    max_body_bytes: int = Field(1 * MIB, ge=1024, description="larger bodies -> 413")
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["localhost", "127.0.0.1", "::1"],
        description="Host header values served (comma-separated; *.example.com, or *)",
    )
    http_header_timeout_s: float = Field(10.0, gt=0, description="headers not in by then: drop")
    http_max_header_bytes: int = Field(32 * 1024, ge=1024, description="larger headers -> 431")

    # orders left pending this long are cancelled and their stock returned
    order_pending_ttl_minutes: int = Field(60, ge=1, le=10_080)
    order_expiry_interval_s: float = Field(60.0, gt=0, description="how often expiry runs")

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [h.strip() for h in value.split(",") if h.strip()]
        return value

    # CORS: the browser origins allowed to call the API, comma-separated (`*` for any);
    # empty (the default) sends no CORS headers at all
    cors_origins: str = ""

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in (o.strip() for o in value.split(",") if o.strip()):
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"{origin!r} is not an origin: scheme://host[:port], no path, or *"
                )
        return value

    @property
    def cors_origin_list(self) -> list[str]:
        """CORS_ORIGINS as a list (empty: CORS off)."""
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
_ORIGIN = re.compile(
    r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?"
)


def describe_errors(error: PydanticValidationError) -> list[str]:
    """One line per bad setting, naming its environment variable, its value and the rule."""
    lines = []
    for problem in error.errors(include_url=False):
        name = str(problem["loc"][0]).upper() if problem["loc"] else "settings"
        value = problem.get("input")
        shown = "" if isinstance(value, dict) or "secret" in name.lower() else f"={value!r}"
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"invalid setting {name}{shown}: {message}")
    return lines
