"""Analytics and maintenance over HTTP: response bodies."""

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from domain.analytics import DailyRegistrations, TopCustomer
from domain.users import Role
from entrypoints.http.schemas.money import MoneyOut


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


class TopCustomerOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(serialization_alias="_id", description="the user's id")
    username: str
    email: str
    order_count: int
    total_spent: MoneyOut

    @classmethod
    def of(cls, row: TopCustomer) -> "TopCustomerOut":
        return cls(
            id=row.user_id,
            username=row.username,
            email=row.email,
            order_count=row.order_count,
            total_spent=row.total_spent,
        )


class PurgeOut(BaseModel):
    deleted: int
