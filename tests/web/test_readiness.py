"""The interview date and the Readiness view in a real browser, by keyboard, checked with axe."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.web.conftest import Web

pytestmark = pytest.mark.browser


def test_set_an_interview_date_then_read_the_readiness_view(web: Web) -> None:
    page, _, token = web.signed_in_page()
    with web.api(token) as client:
        client.post("/reviews", json={"card_id": client.get("/study/next").json()["card"]["id"], "rating": 4})
    page.goto("/#/readiness")
    expect(page.locator(".readiness-body .notice")).to_contain_text("No interview date is set")
    web.check_page(page, "readiness-without-date")

    page.goto("/#/settings")
    date_field = page.get_by_label("Interview date")
    past = (datetime.now(UTC) - timedelta(days=5)).date().isoformat()
    date_field.fill(past)
    page.get_by_role("button", name="Save settings").click()
    expect(date_field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#" + str(date_field.get_attribute("id")) + "-message")).to_contain_text(
        "in the past"
    )

    day = (datetime.now(UTC) + timedelta(days=12)).date()
    date_field.fill(day.isoformat())
    page.get_by_label("Recall wanted on the day").fill("0.95")
    cap = page.get_by_label("Daily review cap")
    expect(cap).to_have_value("")
    cap.fill("80")
    cap.press("Enter")  # submits the form from the keyboard
    expect(page.locator(".settings .form-message")).to_have_text("Settings saved.")
    with web.api(token) as client:
        saved = client.get("/me/settings").json()
    assert (saved["interview_date"], saved["target_retention_on_the_day"], saved["daily_cap"]) == (
        day.isoformat(),
        0.95,
        80,
    )

    # To the Readiness view by keyboard: focus the navigation link and press Enter.
    link = page.get_by_role("link", name="Readiness", exact=True)
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#/readiness$"))
    # 12 days ahead in UTC; 11 or 12 study days depending on the hour (days start at 04:00).
    expect(page.locator("#countdown .tile-value")).to_have_text(re.compile(r"^1[12] days left$"))
    with web.api(token) as client:
        readiness = client.get("/readiness").json()
        decks = client.get("/decks").json()["items"]
    rows = page.locator(".readiness-table tbody tr")
    expect(rows).to_have_count(len(decks))
    first = readiness["decks"][0]
    expect(page.locator(f'.readiness-table tr[data-deck="{first["deck"]}"] th')).to_have_text(
        decks[0]["title"]
    )
    expect(page.locator(".readiness-body .notice")).to_contain_text("cap of 80")
    web.check_page(page, "readiness")

    page.goto("/#/decks")
    summary = page.locator(".interview-summary")
    expect(summary).to_contain_text(f"Interview {day.isoformat()}")
    expect(summary).to_contain_text("predicted recall")
    web.check_page(page, "decks-with-interview")


def test_load_balancing_and_easy_days_from_the_settings_page(web: Web) -> None:
    page, _, token = web.signed_in_page()
    page.goto("/#/settings")
    page.get_by_label("Load balancing").select_option("true")
    page.get_by_label("Easy days").select_option(["5", "6"])
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".settings .form-message")).to_have_text("Settings saved.")
    with web.api(token) as client:
        saved = client.get("/me/settings").json()
    assert (saved["load_balancing"], saved["easy_days"]) == (True, [5, 6])
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".settings .form-message")).to_have_text("Nothing changed.")
    web.check_page(page, "settings-easy-days")
