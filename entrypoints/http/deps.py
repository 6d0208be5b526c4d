"""Request-path dependencies: async, and only reading what start-up built."""

from typing import Annotated

from fastapi import Depends, Request

from entrypoints.container import Services


async def _services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(_services)]
