"""Money at the HTTP edge: JSON numbers in and out, exact Decimal inside."""

from decimal import Decimal
from typing import Annotated

from pydantic import PlainSerializer

# a float only as the JSON encoding: any amount of at most 2 places below 10**13 prints back
# as exactly its decimal value
MoneyOut = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
