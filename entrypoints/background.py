"""Work the service does on its own, started by the HTTP app's lifespan."""

import asyncio
import logging

from application.orders import ExpirePendingOrders
from domain.errors import StoreTimeoutError, UnavailableError

log = logging.getLogger(__name__)


async def expire_pending_orders(use_case: ExpirePendingOrders, interval_s: float) -> None:
    """Cancel expired pending orders now and every `interval_s` seconds, until cancelled.

    A store that is down is retried at the next round; any other failure is logged (once,
    with its traceback) and retried too, so the loop never dies silently.
    """
    while True:
        try:
            cancelled = await use_case.execute()
            if cancelled:
                log.info("cancelled %d pending orders past their time to pay", cancelled)
        except (UnavailableError, StoreTimeoutError) as exc:
            log.warning("pending-order expiry postponed: %s", exc.detail)
        except Exception:
            log.exception("pending-order expiry failed")
        await asyncio.sleep(interval_s)
