"""Analytics and maintenance over HTTP: response bodies."""

import datetime as dt

from pydantic import BaseModel, ConfigDict

from domain.analytics import DailyRegistrations
from domain.users import Role


class RoleCountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    role: Role
    total_users: int
    active_users: int
    inactive_users: int


class DailyRegistrationsOut(BaseModel):
    date: dt.date
    registrations: int

    @classmethod
    def of(cls, row: DailyRegistrations) -> "DailyRegistrationsOut":
        return cls(date=row.day, registrations=row.registrations)


class PurgeOut(BaseModel):
    deleted: int
