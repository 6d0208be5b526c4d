"""Settings from environment variables and `.env` (pydantic-settings)."""

from enum import StrEnum
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
        10, ge=1, description="token requests per account/address"
    )
    rate_limit_signup_per_minute: int = Field(5, ge=1, description="anonymous sign-ups per address")
    rate_limit_key_prefix: str = Field("storefront", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
