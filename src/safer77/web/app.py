"""``create_app(settings, site_dir)``: the static site and a read-only JSON API.

Every error, whatever its cause, has one shape: ``{"ok": false, "error": ..., "status": ...}``.
The API answers with aggregates only (stored statistics, area names and numbers).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import duckdb
import shapely
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from safer77.config import Settings
from safer77.errors import Safer77Error
from safer77.geo.address import block_patterns, to_block
from safer77.geo.search import search
from safer77.metrics.stats import arrest_stats
from safer77.publish.data import slugify, zip_code_areas
from safer77.warehouse import connect
from safer77.web.headers import SITE_CSP, SecurityHeaders


class Area(BaseModel):
    """A community area: its number, name and page on the site."""

    number: int
    name: str
    page: str


class AreaMonth(BaseModel):
    """One month of an area's statistics (definition: arrest_rate_proxy)."""

    month: str
    crime_type: str
    incidents: int
    arrests: int | None
    arrest_rate: float | None
    ci_low: float | None
    ci_high: float | None
    low_n: bool
    coverage: str | None = None  # the cell's scope, or why it is not covered
    definition: str = "arrest_rate_proxy"


class SearchAnswer(BaseModel):
    """What a search found: how (number, zip, name, neighbourhood, partial, typo, address or
    none), a sentence to show, the areas, and the nearest names when nothing matched."""

    query: str
    kind: str
    message: str
    areas: list[Area]
    suggestions: list[str]


class Error(BaseModel):
    """The one error shape of the API."""

    ok: bool = False
    error: str
    status: int


#: The one address of another host in the vendored Redoc bundle (its logo), left out.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
MONTH = r"^[1-9]\d{3}-(0[1-9]|1[0-2])$"  # YYYY-MM, years 1000-9999
ADDRESS = r"^\s*[0-9]+\s+[NSEWnsew][A-Za-z]*\.?\s+\S.*$"  # number, direction, street


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message, "status": status}, status_code=status)


def create_app(settings: Settings, site_dir: Path | None = None) -> FastAPI:
    """The web app; ``site_dir`` (a built site) is served at ``/`` when given."""
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state["con"] = connect(settings.db, read_only=True)
        yield
        state["con"].close()

    app = FastAPI(
        title="safer77 API",
        version="1",
        description="Read-only statistics for Chicago's community areas. Rates use the open "
        "data's Arrest flag (definition arrest_rate_proxy): a proxy for clearance.",
        lifespan=lifespan,
        responses={400: {"model": Error}, 404: {"model": Error}, 422: {"model": Error}},
        docs_url=None,  # served below from the package's own assets, never a CDN
        redoc_url=None,
    )
    assets = Path(str(resources.files("safer77.web").joinpath("assets")))

    @app.get("/api-assets/redoc.standalone.js", include_in_schema=False)
    def redoc_script() -> Response:
        # Redoc's sidebar shows its maker's logo from their CDN: served without it
        if "redoc" not in state:
            text = (assets / "redoc.standalone.js").read_text("utf-8")
            state["redoc"] = text.replace(f'src:"{REDOC_LOGO}"', 'src:""')
        return Response(state["redoc"], media_type="text/javascript")

    app.mount("/api-assets", StaticFiles(directory=assets), name="api-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return HTMLResponse(_DOCS_PAGE.format(title="safer77 API", body=_SWAGGER))

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return HTMLResponse(_DOCS_PAGE.format(title="safer77 API (Redoc)", body=_REDOC))

    app.add_middleware(SecurityHeaders, csp=SITE_CSP)

    def cursor() -> duckdb.DuckDBPyConnection:
        con: duckdb.DuckDBPyConnection = state["con"]
        return con.cursor()  # one cursor per request: connections are not shared

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # a page that is not there answers as a page; the API answers as JSON
        api = request.url.path.startswith(("/api/", "/openapi.json"))
        if exc.status_code == 404 and not api:
            return HTMLResponse(_not_found(site_dir), status_code=404)
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(422, f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(Safer77Error)
    async def library_error(_: Request, exc: Safer77Error) -> JSONResponse:
        return _error(400 if exc.exit_code == 2 else 404, str(exc))

    @app.get("/api/areas", response_model=list[Area], summary="Community areas")
    def areas(
        q: Annotated[
            str | None, Query(description="Part of a name, or a number.", max_length=80)
        ] = None,
    ) -> list[Area]:
        rows = (
            cursor()
            .execute("SELECT key, name FROM boundaries WHERE kind = 'community_areas' ORDER BY key")
            .fetchall()
        )
        out = [
            Area(number=int(k), name=str(n).title(), page=f"/areas/{int(k)}-{_slug(str(n))}.html")
            for k, n in rows
        ]
        if q:
            needle = q.strip().lower()
            out = [a for a in out if needle == str(a.number) or needle in a.name.lower()]
        return out

    @app.get("/api/areas/locate", response_model=Area, summary="The community area of a point")
    def locate(
        lat: Annotated[float, Query(ge=-90, le=90, description="Latitude (WGS84).")],
        lon: Annotated[float, Query(ge=-180, le=180, description="Longitude (WGS84).")],
    ) -> Area:
        if "areas" not in state:
            rows = (
                cursor()
                .execute(
                    "SELECT key, name, geometry FROM boundaries WHERE kind = 'community_areas'"
                )
                .fetchall()
            )
            state["areas"] = [(int(k), str(n), shapely.from_wkb(bytes(g))) for k, n, g in rows]
        point = shapely.Point(lon, lat)
        for key, name, geom in state["areas"]:
            if geom.covers(point):
                return Area(number=key, name=name.title(), page=f"/areas/{key}-{_slug(name)}.html")
        raise HTTPException(404, f"({lat}, {lon}) is in no community area")

    @app.get(
        "/api/areas/by-address",
        response_model=Area,
        summary="The community area of a street address",
    )
    def by_address(
        address: Annotated[
            str,
            Query(max_length=200, pattern=ADDRESS, description="e.g. 6312 S Halsted St"),
        ],
    ) -> Area:
        # The data places every block it has seen; the block's most frequent area answers.
        try:
            block = to_block(address)
        except Safer77Error as exc:  # shaped like an address, but not one: no such place
            raise HTTPException(404, str(exc)) from None
        patterns = block_patterns(block)
        rows = (
            cursor()
            .execute(
                "SELECT community_area, count(*) AS n FROM incidents WHERE ("
                + " OR ".join(["block LIKE ?"] * len(patterns))
                + ") AND community_area IS NOT NULL GROUP BY community_area "
                "ORDER BY n DESC, community_area LIMIT 1",
                patterns,
            )
            .fetchall()
        )
        if not rows:
            raise HTTPException(
                404,
                f"no incident on block {block} yet, so no area is known "
                "for it; try a nearby number or search by area name",
            )
        number = int(rows[0][0])
        found = [a for a in areas(None) if a.number == number]
        if not found:
            raise HTTPException(
                404, f"block {block} is in community area {number}, which has no boundary loaded"
            )
        return found[0]

    @app.get(
        "/api/areas/search",
        response_model=SearchAnswer,
        summary="Find community areas by name, number, neighbourhood, ZIP code or address",
    )
    def search_areas(
        q: Annotated[
            str,
            Query(
                min_length=1,
                max_length=200,
                description="e.g. Englewood, englewod, 68, Wicker Park, 60621 or "
                "1600 W Chicago Ave",
            ),
        ],
    ) -> SearchAnswer:
        # the same rules as the site's search box (safer77.geo.search); addresses as by-address
        if re.match(ADDRESS, q):
            try:
                found = by_address(q)
            except HTTPException as exc:
                return SearchAnswer(
                    query=q, kind="none", message=str(exc.detail), areas=[], suggestions=[]
                )
            return SearchAnswer(
                query=q, kind="address", message=f"{found.name}.", areas=[found], suggestions=[]
            )
        if "zips" not in state:
            state["zips"] = zip_code_areas(cursor())
        listed = {a.number: a for a in areas(None)}
        answer = search(q, {k: a.name for k, a in listed.items()}, state["zips"])
        return SearchAnswer(
            query=q,
            kind=answer.kind,
            message=answer.message,
            areas=[listed[k] for k in answer.areas],
            suggestions=list(answer.suggestions),
        )

    @app.get(
        "/api/areas/{number}/stats",
        response_model=list[AreaMonth],
        summary="Monthly statistics of one community area",
    )
    def area_stats(
        number: int,
        from_: Annotated[str | None, Query(alias="from", pattern=MONTH)] = None,
        to: Annotated[str | None, Query(pattern=MONTH)] = None,
        category: Annotated[
            Literal["violent", "property", "index", "all"] | None,
            Query(description="A category instead of all crimes."),
        ] = None,
    ) -> list[AreaMonth]:
        if not 1 <= number <= 77:
            raise HTTPException(404, f"no community area {number}; they are numbered 1 to 77")
        rows = arrest_stats(
            cursor(), by="community-area", category=category, from_month=from_, to_month=to
        )
        return [
            AreaMonth(
                month=r.month,
                crime_type=r.crime_type,
                incidents=r.incidents,
                arrests=r.arrests,
                arrest_rate=r.arrest_rate,
                ci_low=r.ci_low,
                ci_high=r.ci_high,
                low_n=r.low_n,
                coverage=r.coverage,
            )
            for r in rows
            if r.key == str(number)
        ]

    # after every API route: an unknown API address answers JSON, not the site's 404 page
    @app.api_route("/api/{rest:path}", include_in_schema=False)
    def no_endpoint(rest: str) -> None:
        raise HTTPException(404, f"no API endpoint /api/{rest}; see /docs")

    if site_dir is not None:
        app.mount("/", StaticFiles(directory=site_dir, html=True), name="site")
    return app


_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="icon" href="data:,">{body}</html>"""
_SWAGGER = (
    '<link rel="stylesheet" href="/api-assets/swagger-ui.css"></head><body>'
    '<main id="swagger-ui"></main><script src="/api-assets/swagger-ui-bundle.js"></script>'
    '<script src="/api-assets/swagger-init.js"></script></body>'
)
_REDOC = (
    '</head><body><redoc spec-url="/openapi.json"></redoc>'
    '<script src="/api-assets/redoc.standalone.js"></script></body>'
)


def _not_found(site_dir: Path | None) -> str:
    """The site's own 404 page, or a plain one when no site is served."""
    page = site_dir / "404.html" if site_dir is not None else None
    if page is not None and page.exists():
        return page.read_text("utf-8")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found · '
        "safer77</title></head><body><main><h1>Page not found</h1><p>There is no page at this "
        'address. The API is at <a href="/docs">/docs</a>.</p></main></body></html>'
    )


def _slug(name: str) -> str:
    return slugify(name.title())
