"""The self-study page in a real browser: the flows a candidate goes through, by keyboard.

Each flow ends with a screenshot and an axe check of every page it visited (``web.check_page``).
"""

from __future__ import annotations

import re
from contextlib import suppress

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Route, expect

import verifier
from tests.service.study.synthetic import write_log
from tests.web.conftest import PASSWORD, PHONE, Web
from tests.web.flows import (
    fill_answer,
    misconception_answer,
    pump_until,
    question_of,
    session_token,
    shown_count,
    stage,
    study_text_card_by_keyboard,
    wait_for_next_card,
)

pytestmark = pytest.mark.browser


# --- helpers -----------------------------------------------------------------------------------


# Every `.notice` that appears on the page, in order, so a test can see one that did not last.
RECORD_NOTICES = """
window.dlquizNotices = [];
const seen = new WeakSet();
new MutationObserver((records) => {
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (!(node instanceof Element)) continue;
      const found = node.matches(".notice") ? [node] : [...node.querySelectorAll(".notice")];
      for (const notice of found.filter((element) => !seen.has(element))) {
        seen.add(notice);
        window.dlquizNotices.push(notice.textContent);
      }
    }
  }
}).observe(document, { childList: true, subtree: true });
"""


def register_in_page(page: Page, username: str) -> None:
    page.goto("/#/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")


# --- flows -------------------------------------------------------------------------------------


def test_register_study_numeric_undo_stats_and_reload(web: Web) -> None:
    page = web.new_page()
    page.goto("/#/register")
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    web.check_page(page, "register")
    register_in_page(page, "candidate")
    expect(page.get_by_role("heading", name="Decks")).to_be_visible()
    expect(page.locator('.deck[data-deck="batchnorm"] .deck-due')).to_contain_text("new")
    web.check_page(page, "decks")

    # The batch-norm deck opens with two text cards, then a numeric one.
    page.get_by_role("link", name="Study Batch normalization").focus()
    page.keyboard.press("Enter")
    expect(stage(page)).to_have_attribute("data-state", "front")
    web.check_page(page, "study-front")
    page.keyboard.press("Space")
    expect(stage(page)).to_have_attribute("data-state", "back")
    web.check_page(page, "study-back")
    before = shown_count(page)
    page.keyboard.press("3")
    state = wait_for_next_card(page, before)

    text_cards = 1
    numeric_wrong = False
    numeric_right = 0
    while text_cards < 3 or not numeric_wrong:
        if state == "question" and not numeric_wrong:
            token = session_token(page)
            question = question_of(web, page, token)
            misconception, answer = misconception_answer(question)
            fill_answer(page, answer)
            page.locator(".answer-cell").last.press("Enter")
            expect(page.locator(".misconception")).to_contain_text(misconception.feedback)
            steps = verifier.get(question["generator"]["id"]).explain(question["inputs"])
            expect(page.locator(".solution li")).to_have_count(len(steps))
            expect(page.locator(".answer-field.is-wrong").first).to_contain_text("Expected")
            # A wrong answer reviews the card as Again, or Hard when some fields were right.
            expect(page.locator(".recorded")).to_have_text(
                re.compile(r"Recorded as (Again|Hard) for this card")
            )
            recorded = page.locator(".recorded").inner_text().split()[2]
            expect(stage(page)).to_have_attribute("data-state", "graded")
            web.check_page(page, "study-numeric-graded")
            numeric_wrong = True
            # u takes the numeric card's review back, and the card is asked again (a fresh question).
            before = shown_count(page)
            page.keyboard.press("u")
            expect(page.locator(".notice")).to_contain_text(f"Undid the last rating ({recorded} on")
            state = wait_for_next_card(page, before)
        elif state == "question":
            question = question_of(web, page, session_token(page))
            correct = verifier.to_jsonable(
                verifier.get(question["generator"]["id"]).solve(question["inputs"])
            )
            assert isinstance(correct, dict)
            fill_answer(page, correct)
            page.locator(".answer-cell").first.press("Enter")
            expect(page.locator(".recorded")).to_have_text("Recorded as Good for this card.")
            numeric_right += 1
            before = shown_count(page)
            page.keyboard.press("Space")
            state = wait_for_next_card(page, before)
        elif state == "front":
            study_text_card_by_keyboard(page, rating=3 if text_cards % 2 else 4)
            text_cards += 1
            state = stage(page).get_attribute("data-state") or ""
        else:
            pytest.fail(f"unexpected study state {state!r}")

    # The stats count every review but the undone one.
    reviews = str(text_cards + numeric_right)
    page.get_by_role("link", name="Stats").click()
    expect(page.locator(".tile").first).to_have_text(re.compile(f"^{reviews}reviews"))
    expect(page.locator("#chart-reviews canvas")).to_be_visible()
    expect(page.locator("#chart-maturity")).to_contain_text("batchnorm")
    web.check_page(page, "stats")

    # A reload keeps the session: still on the stats page, still signed in.
    page.reload()
    expect(page.get_by_role("heading", name="Stats")).to_be_visible()
    expect(page.locator(".nav-user")).to_have_text("candidate")
    expect(page.locator(".tile").first).to_have_text(re.compile(f"^{reviews}reviews"))


def test_wrong_password_shows_the_message(web: Web) -> None:
    username, _ = web.register()
    page = web.new_page()
    page.goto("/#/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_label("Password").press("Enter")
    expect(page.locator(".form-message")).to_have_text("incorrect username or password")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    web.check_page(page, "login-wrong-password")
    assert page.evaluate("localStorage.getItem('dlquiz.session')") is None


def test_register_errors_name_their_field(web: Web) -> None:
    taken, _ = web.register()
    page = web.new_page()
    page.goto("/#/register")
    page.get_by_label("Username").fill("new_person")
    page.get_by_label("Password").fill("short")
    page.get_by_label("Password").press("Enter")
    password_message = page.locator("#" + str(page.get_by_label("Password").get_attribute("id")) + "-message")
    expect(password_message).to_contain_text("at least 8 characters")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Username").fill(taken)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    username_message = page.locator("#" + str(page.get_by_label("Username").get_attribute("id")) + "-message")
    expect(username_message).not_to_be_empty()
    web.check_page(page, "register-taken")


def test_decks_show_todays_counts_without_asking_for_a_card(web: Web) -> None:
    page, _, token = web.signed_in_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto("/#/decks")
    with web.api(token) as client:
        counts = client.get("/study/counts").json()
    for deck in counts["decks"]:
        due = page.locator(f'.deck[data-deck="{deck["deck"]}"] .deck-due .count-value')
        expect(due).to_have_text([str(deck[kind]) for kind in ("new", "learning", "review")])
    assert not [url for url in requests if "/study/next" in url]


def test_sign_out_revokes_the_token(web: Web) -> None:
    page, username, token = web.signed_in_page()
    page.goto("/#/decks")
    expect(page.locator(".nav-user")).to_have_text(username)
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".notice")).to_have_text("You are signed out.")
    assert page.evaluate("localStorage.getItem('dlquiz.session')") is None
    with web.api(token) as client:
        assert client.get("/me").status_code == 401


def test_requests_in_flight_at_sign_out_show_nothing(web: Web) -> None:
    """The decks page's due counts are still on their way when the person signs out; they come back
    401 (the token is revoked) before the sign-in page shows. Their outcome is dropped: the only
    notice that ever appears is the sign-out one."""
    page, _, token = web.signed_in_page()
    page.add_init_script(RECORD_NOTICES)
    counts: list[Route] = []
    logout: list[Route] = []
    page.route("**/api/v1/study/counts", lambda route: counts.append(route))
    page.route("**/api/v1/auth/logout", lambda route: logout.append(route))
    page.goto("/#/decks")
    pump_until(page, lambda: len(counts) > 0)
    page.get_by_role("button", name="Sign out").click()
    pump_until(page, lambda: len(logout) > 0)
    # The page abandons these requests when the session ends, so the answers may have no taker.
    for route in counts:
        with suppress(PlaywrightError):
            route.fulfill(
                status=401,
                json={"type": "Unauthorized", "detail": "invalid, expired or revoked token"},
            )
    logout[0].continue_()
    expect(page.locator(".notice")).to_have_text("You are signed out.")
    assert page.evaluate("window.dlquizNotices") == ["You are signed out."]
    with web.api(token) as client:
        assert client.get("/me").status_code == 401


def test_a_refused_token_leads_to_sign_in(web: Web) -> None:
    page = web.new_page()
    page.goto("/static/favicon.svg")
    page.evaluate(
        "localStorage.setItem('dlquiz.session', JSON.stringify({token: 'not-a-token', username: 'ghost'}))"
    )
    page.goto("/#/stats")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator(".notice")).to_contain_text("Your session has ended")


def test_phone_width_study_session(web: Web) -> None:
    page, _, _ = web.signed_in_page(viewport=PHONE)
    page.goto("/#/study?deck=overfitting")
    for rating in (3, 1, 4):
        expect(stage(page)).to_have_attribute("data-state", "front")
        before = shown_count(page)
        page.get_by_role("button", name="Show answer").click()
        name = {1: "Again", 3: "Good", 4: "Easy"}[rating]
        button = page.locator(f'.rate[data-rating="{rating}"]')
        interval = button.locator(".rate-interval").inner_text()
        expect(button).to_have_accessible_name(f"{name} {interval}")
        if rating == 4:
            web.check_page(page, "phone-study-back")
        button.click()
        wait_for_next_card(page, before)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    web.check_page(page, "phone-study-front")


def test_cards_search_shows_mathml(web: Web) -> None:
    page = web.new_page()
    page.goto("/#/cards")
    page.get_by_label("Search").fill("batch norm")
    page.get_by_label("Search").press("Enter")
    expect(page.locator(".result-summary")).to_contain_text("cards")
    assert page.evaluate("location.hash").startswith("#/cards?q=batch")
    first = page.locator(".browse-card").first
    first.locator("summary").click()
    expect(first.locator(".back")).to_be_visible()
    expect(page.locator(".browse-card math").first).to_be_attached()
    page.locator(".browse-card .tags a").first.click()
    expect(page.get_by_label("Tag", exact=True)).not_to_have_value("")
    web.check_page(page, "cards")


def test_settings_show_the_api_message_beside_the_field(web: Web) -> None:
    page, _, token = web.signed_in_page()
    page.goto("/#/settings")
    retention = page.get_by_label("Desired retention")
    expect(retention).to_have_value("0.9")
    retention.fill("1.5")
    page.get_by_role("button", name="Save settings").click()
    expect(retention).to_have_attribute("aria-invalid", "true")
    # The API's message, beside the field it names.
    expect(page.locator("#" + str(retention.get_attribute("id")) + "-message")).to_have_text(
        "Input should be less than or equal to 0.99"
    )
    web.check_page(page, "settings-invalid")

    retention.fill("0.85")
    page.get_by_label("New cards per day").fill("30")
    page.get_by_label("New day starts at").select_option("6")
    calculator = page.get_by_label("Calculator")
    expect(calculator).to_be_checked()
    calculator.uncheck()
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".settings .form-message")).to_have_text("Settings saved.")
    expect(calculator).not_to_be_checked()
    with web.api(token) as client:
        saved = client.get("/me/settings").json()
    assert (saved["desired_retention"], saved["new_cards_per_day"], saved["day_start_hour"]) == (0.85, 30, 6)
    assert saved["calculator"] is False  # whiteboard mode


def test_dark_theme_pages_pass_axe(web: Web) -> None:
    page, _, _ = web.signed_in_page(color_scheme="dark")
    page.goto("/#/study?deck=dropout")
    expect(stage(page)).not_to_have_attribute("data-state", "loading")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 19, 23)", background
    web.check_page(page, "dark-study")
    page.goto("/#/stats")
    expect(page.locator("#chart-forecast canvas")).to_be_visible()
    web.check_page(page, "dark-stats")
    page.goto("/#/settings")
    expect(page.get_by_label("Time zone")).to_have_value("UTC")
    web.check_page(page, "dark-settings")


def test_api_failures_are_explained_never_a_blank_page(web: Web) -> None:
    page, _, _ = web.signed_in_page()
    # A 404 from the API, with its message.
    page.goto("/#/drills?generator=no.such.generator")
    expect(page.locator(".error-box")).to_contain_text("no generator with id 'no.such.generator'")

    # A crash that is not the API's JSON, then the server unreachable; "Try again" recovers.
    web.allow_console_error(
        r"^Failed to load resource: (the server responded with a status of 500|net::ERR_FAILED)"
    )
    page.route("**/api/v1/study/next*", lambda route: route.fulfill(status=500, body="Internal Server Error"))
    page.goto("/#/study")
    expect(page.locator(".error-box")).to_contain_text("The server had a problem (500 Internal Server Error)")
    page.unroute("**/api/v1/study/next*")
    page.route("**/api/v1/study/next*", lambda route: route.abort())
    page.get_by_role("button", name="Try again").click()
    expect(page.locator(".error-box")).to_contain_text("Cannot reach the dlquiz server")
    web.check_page(page, "study-unreachable")
    page.unroute("**/api/v1/study/next*")
    page.get_by_role("button", name="Try again").click()
    expect(stage(page)).to_have_attribute("data-state", re.compile("front|question"))


def test_end_screen_says_when_the_next_card_is_due(web: Web) -> None:
    page, _, token = web.signed_in_page()
    with web.api(token) as client:
        client.patch("/me/settings", json={"new_cards_per_day": 1}).raise_for_status()
    page.goto("/#/study?deck=overfitting")
    expect(page.locator('.count-value[data-count="new"]')).to_have_text("1")
    study_text_card_by_keyboard(page, rating=4)
    expect(stage(page)).to_have_attribute("data-state", "done")
    expect(page.locator(".next-due")).to_contain_text(
        re.compile(r"The next card is due (in \d+ \w+|tomorrow) \(")
    )
    expect(page.locator('.count-value[data-count="new"]')).to_have_text("0")
    web.check_page(page, "study-done")


def test_settings_simulate_the_workload_and_explain_why_optimizing_waits(web: Web) -> None:
    page, _, _ = web.signed_in_page()
    page.goto("/#/settings")
    expect(page.locator("#chart-workload canvas")).to_be_visible()
    expect(page.locator("#chart-workload .chart-summary")).to_contain_text("90 %:")
    page.get_by_role("button", name="Optimize my scheduler").click()
    expect(page.locator("#fsrs-optimize .error-box")).to_contain_text("at least 8 more needed")
    web.check_page(page, "settings-fsrs-tools")


def test_settings_optimize_shows_log_loss_and_rmse_before_and_after(web: Web, web_database_url: str) -> None:
    page, _, token = web.signed_in_page()
    with web.api(token) as client:
        user_id = client.get("/me").json()["id"]
    write_log(web_database_url, user_id)
    page.goto("/#/settings")
    page.get_by_role("button", name="Optimize my scheduler").click()
    table = page.locator("#fsrs-optimize .fit-table")
    expect(table).to_contain_text("Before")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(page.locator("#fsrs-optimize .form-message")).to_have_text(
        "Your next reviews are scheduled with the fitted weights."
    )
    before, after = (float(table.locator(f"tbody tr:nth-child({i}) td").first.inner_text()) for i in (1, 2))
    assert after < before
    web.check_page(page, "settings-optimized")
