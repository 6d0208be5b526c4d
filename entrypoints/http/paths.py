"""Path parameters that name a resource by id: `{user_id:id}` matches 24 lowercase hex digits
(domain/ids.py) and nothing else.

A route `/api/users/{user_id:id}` therefore does not match `/api/users/me`, nor
`/api/products/{product_id:id}` `/api/products/search` or `/bulk`: those paths are their own
resources, so `DELETE /api/users/me` is a 405 whose `Allow` lists what `/api/users/me` serves
(RFC 9110 §15.5.6), not a lookup of a user called "me". A path segment that is not an id is a
404 from the router, as an unknown id is from the route.
"""

from starlette.convertors import Convertor, register_url_convertor

from domain.ids import ID_PATTERN

ID_CONVERTOR = "id"


class IdConvertor(Convertor[str]):
    """Starlette path convertor `:id`: a resource id, unchanged."""

    # Starlette anchors a route's regex with `$`, which in Python also matches before a final
    # newline: without the lookahead `/api/users/<id>%0A` would name the user <id>
    regex = ID_PATTERN + r"(?!\n)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor(ID_CONVERTOR, IdConvertor())
