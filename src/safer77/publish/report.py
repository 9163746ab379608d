"""The monthly report as PDF, printed by Chromium (Debian's package) through Playwright."""

from __future__ import annotations

import shutil
from pathlib import Path

from safer77.errors import NotFound

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def print_pdf(html: Path, pdf: Path, chromium: str | None = None) -> Path:
    """Print a built page (``html``, a file of the site) to ``pdf`` in A4/Letter-neutral size."""
    exe = chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise NotFound(
            "PDF output needs the `playwright` package (pip install playwright) "
            "and Debian's chromium"
        ) from None
    if not exe or not Path(exe).exists():
        raise NotFound("PDF output needs Chromium: install Debian's `chromium` package")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(html.resolve().as_uri(), wait_until="load")
            page.pdf(
                path=str(pdf),
                format="Letter",
                print_background=True,
                margin={"top": "12mm", "bottom": "12mm", "left": "12mm", "right": "12mm"},
            )
        finally:
            browser.close()
    return pdf
