"""The HTML report opened in a real browser: Debian's Chromium, driven by Playwright.

Never a browser download: the test drives `/usr/bin/chromium` (the
distribution's `chromium` package, which `.ci/run` installs when it is
missing), with a fresh profile and every background service off. It checks
what a reader sees — the numbers equal the JSON report's, a hostile id is
text — and that opening the page requested nothing. A screenshot of the
Microsoft–OpenAI report is saved in `build/artifacts/`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from html_page import HOSTILE_SCENARIO, HOSTILE_TERMS, json_value

from helpers import run_dealcheck

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "microsoft-openai"
ARTIFACTS = ROOT / "build" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A Chromium context with a fresh profile; every request it makes is recorded and refused."""
    assert CHROMIUM.exists(), ("the browser test needs Debian's Chromium: "
                               "`apt-get install chromium` (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profile")), executable_path=str(CHROMIUM),
            headless=True, args=ARGS, viewport={"width": 1100, "height": 900})
        yield context
        context.close()


def open_page(browser: Any, html: Path) -> tuple[Any, list[str], list[str]]:
    """The page at `html`, the URLs it requested besides itself, and the dialogs it opened."""
    requested: list[str] = []
    dialogs: list[str] = []
    url = html.resolve().as_uri()

    def route(request_route: Any) -> None:
        if request_route.request.url == url:
            request_route.continue_()
        else:
            requested.append(request_route.request.url)
            request_route.abort()

    page = browser.new_page()
    page.route("**/*", route)
    page.on("request", lambda r: None if r.url == url else requested.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    page.wait_for_load_state("load")
    return page, requested, dialogs


def check(cwd: Path, *args: str | Path) -> None:
    done = run_dealcheck("check", *args, cwd=cwd)
    assert done.returncode in (0, 1), done.stderr


def test_the_microsoft_openai_report_in_chromium(browser: Any, tmp_path: Path) -> None:
    html, report = tmp_path / "report.html", tmp_path / "report.json"
    check(EXAMPLE, "terms.deal", "deals.yaml", "--format", "html", "-o", html)
    check(EXAMPLE, "terms.deal", "deals.yaml", "--format", "json", "-o", report)
    document = json.loads(report.read_text("utf-8"))
    page, requested, dialogs = open_page(browser, html)
    try:
        shown = page.locator("[data-field]")
        assert shown.count() >= 8
        for i in range(shown.count()):
            element = shown.nth(i)
            path = element.get_attribute("data-field")
            assert element.is_visible(), path
            assert element.inner_text().strip() == json_value(document, path), path
        embedded = page.locator("script#report").text_content()
        assert json.loads(embedded or "") == document
        for section in ("summary", "non-compliant", "aggregates", "timeline", "matrix"):
            assert page.locator(f"#{section}").is_visible(), section
        failing = [d["id"] for d in document["deployments"] if d["verdict"] != "compliant"]
        assert page.locator(".deployment-id").all_inner_texts() == failing
        assert page.locator("table.matrix td.undetermined").count() > 0
        assert page.locator("#timeline circle").count() == len(document["deployments"])
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "html-report.png"), full_page=True)
    finally:
        page.close()
    assert requested == []
    assert dialogs == []
    assert (ARTIFACTS / "html-report.png").stat().st_size > 10_000


def test_a_hostile_id_renders_as_text(browser: Any, tmp_path: Path) -> None:
    terms = shutil.copy(HOSTILE_TERMS, tmp_path)
    scenario = shutil.copy(HOSTILE_SCENARIO, tmp_path)
    html = tmp_path / "hostile.html"
    check(tmp_path, terms, scenario, "--format", "html", "-o", html)
    page, requested, dialogs = open_page(browser, html)
    try:
        assert page.locator("[id^=pwn]").count() == 0
        assert page.locator("img, iframe, object, embed").count() == 0
        ids = page.locator(".deployment-id").all_inner_texts()
        assert ids == ["</script><img id=pwn-id src=x onerror=alert(1)>"]
        assert page.get_by_text("Hostile <b id=pwn-title>deal</b> & co").first.is_visible()
        assert page.locator("script").count() == 1
    finally:
        page.close()
    assert requested == []
    assert dialogs == []
