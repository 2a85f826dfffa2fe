"""The coaches' dashboard in a real browser: Debian's Chromium, driven by Playwright."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from demo.seed import DEMO_PASSWORD, demo_seed
from exercises.services import content_pack_load
from insights.services import insights_catch_up
from teams.models import Team

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
    overview = {"participation", "completions", "acknowledgements", "mood"}
    assert overview | {"pairs"} <= set(charts)
    assert all(charts[chart] > 0 for chart in overview), charts
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


def signed_in_coach(live_server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/coach/")
    page.fill("input[name=username]", "coach@demo.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_function("window.humbleCharts !== undefined", timeout=15000)
    return page


@pytest.fixture
def a_team_named_like_markup(demo_world):
    # Before the browser starts: its event loop then runs in this thread, where the ORM refuses.
    Team.objects.filter(name="North").update(name="<img src=x onerror=alert(1)> North")


def test_the_teams_table_reads_each_weeks_active_people_or_why_there_is_no_figure(
    a_team_named_like_markup, live_server, browser
):
    """Drawn by the page's script from the embedded table: "no data yet" for a week not rolled
    up, "suppressed" (saying why when pointed at) for one below k, never a zero. A team's name
    is shown as text, whatever it says."""
    page = signed_in_coach(live_server, browser)
    assert page.locator("#teams-active img").count() == 0
    table = page.evaluate("JSON.parse(document.getElementById('insights').textContent)")
    shown = page.evaluate(
        """[...document.querySelectorAll('#teams-active tr')].map((row) => ({
            name: row.querySelector('th').textContent,
            cells: [...row.querySelectorAll('td')].map((td) => [td.textContent, td.querySelector('span')?.title || ''])
        }))"""
    )

    def expected(week):
        if week["active"]["suppressed"] == "not_rolled_up":
            return ["no data yet", ""]
        if week["active"]["value"] is None:
            return ["suppressed", week["active"]["suppressed"]]
        return [f"{week['active']['value']} / {week['members']}", ""]

    assert shown == [
        {"name": f"{team['name']} active", "cells": [expected(week) for week in team["weeks"]]}
        for team in table["teams"]
    ]
    texts = [text for row in shown for text, _ in row["cells"]]
    assert {"no data yet", "suppressed"} <= set(texts)  # the demo has both: East is four people
    assert any(" / " in text for text in texts)


def test_the_coach_sees_each_teams_health_drawn_from_the_published_weeks(demo_world, live_server, browser):
    page = signed_in_coach(live_server, browser)
    table = page.evaluate("JSON.parse(document.getElementById('insights').textContent)")
    names = {question["id"]: question["name"] for question in table["questions"]}
    for team in table["teams"]:
        drawn = page.evaluate(
            "(id) => Chart.getChart('health-' + id).data.datasets.map((d) => [d.label, d.data])", team["id"]
        )
        published = {
            names[question]: [week["health"][question]["mean"]["value"] for week in team["weeks"]]
            for question in names
            if any(week["health"][question]["mean"]["value"] is not None for week in team["weeks"])
        }
        assert dict(drawn) == published, team["name"]  # every published mean, gaps as null, never 0
    points = {chart["id"]: chart["points"] for chart in page.evaluate("window.humbleCharts")}
    by_name = {team["name"]: f"health-{team['id']}" for team in table["teams"]}
    assert points[by_name["North"]] > 0 and points[by_name["South"]] > 0
    assert points[by_name["East"]] == 0  # four people: suppressed, never drawn
    notes = {chart["id"]: chart["notes"] for chart in page.evaluate("window.humbleCharts")}
    assert set(notes[by_name["East"]]) == {"no data yet", "suppressed"}  # every gap is labelled
    health = page.locator("#team-health")
    assert health.locator(".practised").count() == len(table["teams"]) * len(table["weeks"])
    assert health.locator("td.suppressed").count() + health.locator("p.suppressed").count() > 0
    # Pairs: the share of each team in a pair, drawn from the published cells only.
    drawn = page.evaluate("Chart.getChart('pairs').data.datasets.map((d) => [d.label, d.data])")
    shares = {
        team["name"]: [week["pairs"]["share_of_team"]["value"] for week in team["weeks"]] for team in table["teams"]
    }
    assert {label: data for label, data in drawn if label in shares} == shares
    OUTPUT.mkdir(exist_ok=True)
    health.screenshot(path=OUTPUT / "coach-dashboard-team-health.png")
    assert (OUTPUT / "coach-dashboard-team-health.png").stat().st_size > 10_000


def test_the_demo_admin_runs_the_organisation_from_their_page(demo_world, live_server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/coach/")
    page.fill("input[name=username]", "admin@demo.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#teams")  # signed in, the admin lands on the organisation's page
    assert page.url.endswith("/admin/")
    assert {"North", "South", "East"} <= set(page.locator("#teams tbody td:first-child").all_inner_texts())

    page.fill('input[aria-label="New team\'s name"]', "Platform")
    page.click("#teams > form.row button")
    page.wait_for_selector("#teams tbody td:text-is('Platform')")
    north = page.locator("#people details", has_text="North")
    north.locator("summary").click()
    north.locator("input[type=email]").fill("newcomer@demo.test")
    north.locator("form.row").last.locator("button").click()
    page.wait_for_selector("#audit td:text-is('invitation.sent')")
    assert page.locator("#audit td:text-is('team.created')").count() == 1

    page.fill("textarea[name=domains]", "demo.test\nnot a domain")  # refused, and the page says why
    page.click("#settings button[type=submit]")
    assert "is not an email domain" in page.locator("[role=alert]").inner_text()
    assert "member1@demo.test" in page.content()  # who is in which team, by email
    assert "SECRET" not in page.content() and "mood" not in page.content().lower()
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=OUTPUT / "organisation-admin.png", full_page=True)
