"""The coaches' dashboard in a real browser: Debian's Chromium, driven by Playwright."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from demo.seed import DEMO_PASSWORD, demo_seed
from exercises.services import content_pack_load
from insights.services import insights_catch_up

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
OUTPUT = Path(__file__).resolve().parent.parent / "test-output"
# The flags a root, offline, headless Chromium needs here.
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def demo_world(transactional_db):
    content_pack_load()
    demo_seed()
    insights_catch_up(weeks=9)


@pytest.fixture
def browser():
    assert Path(CHROMIUM).exists(), f"Chromium is not at {CHROMIUM}: `make test` installs Debian's chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def test_the_demo_coach_signs_in_and_sees_the_charts_drawn_from_the_demo_data(demo_world, live_server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/coach/")
    page.fill("input[name=username]", "coach@demo.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_function("window.humbleCharts !== undefined", timeout=15000)
    charts = {chart["id"]: chart["points"] for chart in page.evaluate("window.humbleCharts")}
    assert set(charts) == {"participation", "completions", "acknowledgements", "mood"}
    assert all(points > 0 for points in charts.values()), charts
    assert page.locator(".suppressed").count() > 0  # East, four people, is shown as suppressed
    # The demo rolls up 9 weeks and the page shows 12: the 3 before read "no data yet".
    assert page.locator("td .no-data").count() > 0
    notes = {chart["id"]: chart["notes"] for chart in page.evaluate("window.humbleCharts")}
    assert notes["completions"][0] == "No data yet"
    assert "member1@demo.test" not in page.content()
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=OUTPUT / "coach-dashboard.png", full_page=True)
    assert (OUTPUT / "coach-dashboard.png").stat().st_size > 10_000


def test_the_dashboard_reads_well_on_a_tablet(demo_world, live_server, browser):
    page = browser.new_page(viewport={"width": 820, "height": 1180})
    page.goto(f"{live_server.url}/coach/")
    page.fill("input[name=username]", "coach@demo.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_function("window.humbleCharts !== undefined", timeout=15000)
    widths = page.evaluate("[...document.querySelectorAll('canvas')].map(c => c.getBoundingClientRect().width)")
    assert all(width <= 820 for width in widths)
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=OUTPUT / "coach-dashboard-tablet.png", full_page=True)
