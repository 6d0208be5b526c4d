"""Liveness, readiness and a health summary with the store's latency."""

from typing import Literal

from pydantic import BaseModel

from domain.errors import UnavailableError
from entrypoints.http.deps import ServicesDep
from entrypoints.http.errors import error_responses
from entrypoints.http.routing import StorefrontRoute, StorefrontRouter
from entrypoints.http.schemas.timestamps import Timestamp

router = StorefrontRouter(tags=["health"], route_class=StorefrontRoute)


class DatabaseHealth(BaseModel):
    status: Literal["up", "down"]
    latency_ms: float | None


class SearchHealth(BaseModel):
    """Whether product search works on this store; `detail` says why not."""

    status: Literal["available", "unavailable"]
    detail: str | None = None


class Health(BaseModel):
    """`status` follows the database only: search being unavailable is a capability of the
    store in use (see `search`), not an outage."""

    status: Literal["healthy", "degraded"]
    database: DatabaseHealth
    search: SearchHealth
    timestamp: Timestamp


@router.get("/health", response_model=Health)
async def health(services: ServicesDep):
    report = await services.check_health.execute()
    return Health(
        status="healthy" if report.healthy else "degraded",
        database=DatabaseHealth(
            status="up" if report.healthy else "down", latency_ms=report.latency_ms
        ),
        search=SearchHealth(
            status="unavailable" if report.search_unavailable else "available",
            detail=report.search_unavailable,
        ),
        timestamp=report.checked_at,
    )


class Liveness(BaseModel):
    status: Literal["alive"]


class Readiness(BaseModel):
    status: Literal["ready"]


@router.get("/health/live", response_model=Liveness)
async def live() -> dict[str, str]:
    return {"status": "alive"}


@router.get("/health/ready", response_model=Readiness, responses=error_responses(503))
async def ready(services: ServicesDep):
    report = await services.check_health.execute()
    if not report.healthy:
        raise UnavailableError()
    return {"status": "ready"}
