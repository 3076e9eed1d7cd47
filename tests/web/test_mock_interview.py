"""A mock interview in a real browser, by keyboard: start, reveal and tick key points, answer a numeric
question, and read the end report; then the remediation drill it opened, on the stats page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

import verifier
from service.db.models import Remediation
from service.db.session import make_engine
from tests.web.conftest import Web
from tests.web.flows import fill_answer, misconception_answer, question_of, stage

pytestmark = pytest.mark.browser


def test_one_mock_interview_end_to_end(web: Web) -> None:
    page, _, token = web.signed_in_page()
    page.goto("/#/mock")
    expect(page.get_by_role("heading", name="Mock interview")).to_be_visible()
    web.check_page(page, "mock-start")
    page.get_by_label("Questions").fill("3")
    page.get_by_label("Seconds per question").fill("120")
    page.get_by_label("Seconds per question").press("Enter")

    named: list[str] = []
    for position in range(3):
        card = page.locator(f'.mock-card[data-position="{position}"]')
        expect(card).to_be_visible()
        expect(page.locator(".mock-timer")).to_contain_text("left")
        expect(page.locator(".mock-progress")).to_contain_text(f"Question {position + 1} of 3")
        if "kind-numeric" in (card.get_attribute("class") or ""):
            question = question_of(web, page, token)
            misconception, answer = misconception_answer(question)
            named.append(misconception.id)
            fill_answer(page, answer)
            page.locator(".answer-cell").last.press("Enter")
            expect(page.locator(".grade.is-wrong .misconception-name")).to_be_visible()
            web.check_page(page, f"mock-numeric-{position}")
        else:
            expect(stage(page)).to_have_attribute("data-state", "question")
            page.keyboard.press("Space")  # the focused "Reveal the answer" button
            expect(stage(page)).to_have_attribute("data-state", "revealed")
            boxes = page.locator(".checklist input[type=checkbox]")
            expect(boxes.first).to_be_focused()
            page.keyboard.press("Space")  # tick the first key point
            expect(boxes.first).to_be_checked()
            web.check_page(page, f"mock-checklist-{position}")
            page.keyboard.press("Enter")
            expect(page.locator(".mock-verdict")).to_contain_text("key points covered")
        expect(stage(page)).to_have_attribute("data-state", "answered")
        expect(page.locator(".mock-next")).to_be_focused()
        page.keyboard.press("Space")

    report = page.locator(".mock-report")
    expect(report).to_be_visible()
    expect(report.get_by_role("heading", name="Report")).to_be_focused()
    expect(page.locator(".mock-questions tbody tr")).to_have_count(3)
    expect(page.locator(".mock-topics tbody tr").first).to_be_visible()
    assert named, "a mock interview of 3 questions has a numeric one"
    expect(page.locator(".mock-misconceptions li")).to_have_count(len(named))
    expect(page.locator(".mock-reviews li").first).to_contain_text("rated")
    web.check_page(page, "mock-report")

    page.goto("/#/stats")
    expect(page.locator('.tile[data-remediation="named"] .tile-value')).to_have_text(str(len(set(named))))
    expect(page.locator('.tile[data-remediation="still-open"] .tile-value')).to_have_text(
        str(len(set(named)))
    )
    web.check_page(page, "stats-remediation")


def test_a_due_remediation_drill_comes_before_the_next_card(web: Web, web_database_url: str) -> None:
    page, _, token = web.signed_in_page()
    with web.api(token) as client:
        question = client.post("/generators/bagging.bootstrap/questions", json={"seed": 3}).json()
        misconception, answer = misconception_answer(question)
        graded = client.post(f"/questions/{question['id']}/answers", json={"answer": answer})
        assert graded.json()["grade"]["misconception"] == misconception.id
        (drill,) = client.get("/remediations").json()["items"]
    # Ten minutes pass: the drill falls due (the server's clock is real, so the row is moved instead).
    engine = make_engine(web_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                update(Remediation)
                .where(Remediation.id == drill["id"])
                .values(due=datetime.now(UTC) - timedelta(seconds=1))
            )
    finally:
        engine.dispose()

    page.goto("/#/study")
    card = page.locator(".remediation-card")
    expect(card).to_be_visible()
    expect(card.locator(".misconception .feedback")).to_have_text(misconception.feedback)
    expect(card.locator(".card-side.detail")).to_be_visible()  # the card's Detail comes with the drill
    web.check_page(page, "study-remediation")
    inputs = question_of(web, page, token)["inputs"]
    fill_answer(page, verifier.to_jsonable(verifier.get("bagging.bootstrap").solve(inputs)))
    page.locator(".answer-cell").last.press("Enter")
    expect(page.locator(".grade")).to_contain_text("Correct")
    page.keyboard.press("Space")
    expect(page.locator(".card[data-card-id]")).to_be_visible()  # the ordinary queue goes on
    with web.api(token) as client:
        assert client.get("/remediations").json()["items"] == []
