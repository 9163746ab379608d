"""The API docs come from the package (no CDN); a missing page answers with an HTML 404 page,
a missing API address with the API's JSON error; the static site's pages carry a meta
description, Open Graph tags and a Content Security Policy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from safer77.config import Settings
from safer77.publish.site import build_site
from safer77.warehouse import connect
from safer77.web.app import REDOC_LOGO, create_app

ASSETS = Path(__file__).resolve().parents[2] / "src" / "safer77" / "web" / "assets"


@pytest.fixture(scope="module")
def site(synth_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("offline") / "site"
    con = connect(synth_db, read_only=True)
    try:
        build_site(con, out, site_url="https://stats.example.org/")
    finally:
        con.close()
    return out


@pytest.fixture(scope="module")
def client(synth_db: Path, site: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=synth_db), site)) as c:
        yield c


def urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_load_only_this_hosts_files(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    found = urls(page.text)
    assert found and all(u.startswith(("/api-assets/", "data:")) for u in found), found
    for u in found:
        if u.startswith("/api-assets/"):
            asset = client.get(u)
            assert asset.status_code == 200 and len(asset.content) > 200, u
            assert "cdn.jsdelivr.net" not in asset.text and "unpkg.com" not in asset.text
    # Redoc's only other-host address (its maker's logo) is not served
    script = client.get("/api-assets/redoc.standalone.js").text
    assert REDOC_LOGO in (ASSETS / "redoc.standalone.js").read_text() and REDOC_LOGO not in script
    assert "validatorUrl: null" in client.get("/api-assets/swagger-init.js").text


def test_vendored_assets_carry_their_licences() -> None:
    assert "Apache License" in (ASSETS / "LICENSE.swagger-ui").read_text()
    assert "MIT License" in (ASSETS / "LICENSE.redoc").read_text()
    readme = (ASSETS / "README.md").read_text()
    assert "swagger-ui-dist" in readme and "redoc" in readme


def test_a_missing_page_is_an_html_404_and_the_api_stays_json(client: TestClient) -> None:
    page = client.get("/areas/no-such-area.html")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert "<h1>Page not found</h1>" in page.text and 'href="/static/site.css"' in page.text
    api = client.get("/api/no-such-endpoint")
    assert api.status_code == 404 and api.json()["ok"] is False
    assert client.get("/api/areas").status_code == 200  # the catch-all shadows no endpoint


def test_every_page_has_description_open_graph_and_csp(site: Path) -> None:
    pages = list(site.rglob("*.html"))
    assert (site / "404.html") in pages and len(pages) > 100
    for page in pages:
        html = page.read_text()
        head = html[: html.index("</head>")]
        assert re.search(r'<meta name="description" content="[^"]{20,}">', head), page
        assert '<meta property="og:title"' in head and '<meta property="og:description"' in head
        csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', head)
        assert csp and "default-src 'self'" in csp.group(1) and "script-src 'self'" in csp.group(1)
        assert not re.search(r"<script>(?!</script>)", html), page  # no inline script
        rel = page.relative_to(site).as_posix()
        assert f'<link rel="canonical" href="https://stats.example.org/{rel}">' in head
    area = (site / "areas" / "68-englewood.html").read_text()
    assert re.search(r'name="description" content="Englewood \(68\): [\d,]+ incidents in', area)
    # share links: filled in by the script, so the page itself names no other host
    assert '<aside class="share" aria-label="Share this page" hidden>' in area
