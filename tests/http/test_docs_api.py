"""/docs and /redoc work offline: every asset they load comes from the app itself."""

import re
from html.parser import HTMLParser

import pytest


class AssetLinks(HTMLParser):
    """Collects the URLs a page loads: <script src>, <link href>, <img src>, ReDoc's spec-url."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name in {"src", "href", "spec-url"}:
                self.urls.append(value)


def asset_urls(html: str) -> list[str]:
    parser = AssetLinks()
    parser.feed(html)
    return parser.urls


@pytest.fixture(params=["memory"])
def leg(request) -> str:
    return request.param


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_page_references_no_external_host(client, page):
    response = await client.get(page)
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    html = response.text
    assert not re.search(r"(https?:)?//[\w.-]+\.\w", html), "the page names an external host"
    assert "cdn." not in html
    assert "fonts.googleapis" not in html
    urls = asset_urls(html)
    assert any(url.endswith(".js") for url in urls)
    assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_every_asset_the_docs_load_is_served_by_the_app(client, page):
    html = (await client.get(page)).text
    urls = asset_urls(html)
    assert urls
    for url in urls:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 0, url
    scripts = [url for url in urls if url.endswith(".js")]
    for url in scripts:
        assert "javascript" in (await client.get(url)).headers["content-type"], url


async def test_swagger_ui_asks_no_external_validator(client):
    html = (await client.get("/docs")).text
    assert '"validatorUrl": null' in html


async def test_the_openapi_schema_the_docs_load_is_served(client):
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Storefront"
