"""Numeric questions in a real browser: drills, hints, carried-forward verdicts, problem reports, and a
numeric card in the study queue, by keyboard.

Each flow ends with a screenshot and an axe check of every page it visited (``web.check_page``).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

import verifier
from tests.web.conftest import PHONE, Web
from tests.web.flows import fill_answer, question_of, stage, study_text_card_by_keyboard

pytestmark = pytest.mark.browser


def test_drills_refuse_malformed_entries_then_grades(web: Web) -> None:
    page, _, token = web.signed_in_page(viewport=PHONE)
    page.goto("/#/drills")
    expect(page.locator(".catalog .topic").first).to_be_visible()
    web.check_page(page, "drills-catalog")
    page.goto("/#/drills?generator=batchnorm.train_forward")
    expect(page.locator(".answer-cell").first).to_be_focused()
    answers: list[str] = []
    page.on("request", lambda request: answers.append(request.url) if "/answers" in request.url else None)

    cells = page.locator(".answer-cell")
    for index in range(cells.count()):
        cells.nth(index).fill(["-0.5", ".5", "1e-3", "1..2"][index % 4])
    cells.first.press("Enter")
    invalid = page.locator('.answer-cell[aria-invalid="true"]')
    expect(invalid.first).to_be_focused()
    expect(page.locator('.answer-field[data-field="var"] .field-message')).to_contain_text(
        '"1..2" is not a number'
    )
    assert answers == []
    web.check_page(page, "drills-malformed")

    question = question_of(web, page, token)
    generator = verifier.get(question["generator"]["id"])
    correct = verifier.to_jsonable(generator.solve(question["inputs"]))
    assert isinstance(correct, dict)
    fill_answer(page, correct)
    page.locator(".answer-cell").last.press("Enter")
    expect(page.locator(".grade")).to_contain_text("Correct")
    expect(page.locator(".answer-field.is-correct")).to_have_count(len(correct))
    assert len(answers) == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    web.check_page(page, "drills-correct")


def test_drills_hint_by_key_field_statuses_precision_and_report(web: Web) -> None:
    page, _, token = web.signed_in_page()
    page.goto("/#/drills?generator=init.fans")
    first_cell = page.locator(".answer-cell").first
    expect(first_cell).to_be_focused()
    expect(page.locator(".hints")).to_be_hidden()
    question = question_of(web, page, token)
    texts = verifier.get("init.fans").hints(question["inputs"])

    # h in an answer box reveals a hint and types nothing; the button reveals the next one.
    page.keyboard.press("h")
    expect(page.locator(".hint-list li")).to_have_count(1)
    expect(first_cell).to_have_value("")
    expect(first_cell).to_be_focused()
    page.get_by_role("button", name=re.compile(r"^Hint")).click()
    expect(page.locator(".hint-list li")).to_have_count(2)
    expect(page.locator(".hint-button")).to_contain_text(f"({len(texts) - 2} left)")
    with web.api(token) as client:
        shown = client.get(f"/questions/{question['id']}").json()["hints"]
    assert [hint["markdown"] for hint in shown] == list(texts[:2])
    web.check_page(page, "drills-hints")

    # One slip (fan_in doubled) and the right formulas on it: He's std right given those values (and
    # Glorot's limit too, unless fan_out dwarfs fan_in so that it stays right as it is); each field shows
    # the verifier's own verdict on this answer.
    answer = verifier.to_jsonable(verifier.get("init.fans").solve(question["inputs"]))
    assert isinstance(answer, dict)
    fan_in = answer["fan_in"] * 2
    answer |= {
        "fan_in": fan_in,
        "glorot_limit": (6 / (fan_in + answer["fan_out"])) ** 0.5,
        "he_std": (2 / fan_in) ** 0.5,
    }
    fill_answer(page, answer)
    page.locator(".answer-cell").last.press("Enter")
    expect(page.locator(".grade")).to_contain_text("Partly correct")
    verdicts = verifier.get("init.fans").grade(question["inputs"], answer).fields
    assert verdicts["he_std"].status == "right_given_your_values" and verdicts["fan_in"].status == "wrong"
    for name, verdict in verdicts.items():
        expect(page.locator(f'.answer-field[data-field="{name}"]')).to_have_attribute(
            "data-status", verdict.status
        )
    carried = page.locator('.answer-field[data-field="he_std"] .field-verdict')
    expect(carried).to_have_text("✓ Right given your values")
    expect(page.locator('.answer-field[data-field="fan_in"] .field-verdict')).to_have_text("✗ Wrong")
    expect(page.locator(".precision-note")).to_contain_text(question["precision_note"])
    expect(page.locator(".hint-button")).to_be_hidden()
    web.check_page(page, "drills-carried-forward")

    # Report a problem, by keyboard: a too-short note is refused beside the field, then it is sent.
    summary = page.get_by_text("Report a problem with this question")
    summary.focus()
    page.keyboard.press("Enter")
    note = page.get_by_label("What is wrong?")
    note.fill("no")
    page.get_by_role("button", name="Send report").click()
    expect(note).to_have_attribute("aria-invalid", "true")
    note.fill("The Glorot limit in the solution uses another formula.")
    with page.expect_response(re.compile(r"/reports$")) as sent:
        page.get_by_role("button", name="Send report").press("Enter")
    assert sent.value.status == 201
    report = sent.value.json()
    assert report["submission"] == answer and report["generator_id"] == "init.fans"
    expect(page.locator(".report-sent")).to_be_focused()
    web.check_page(page, "drills-reported")


def test_study_numeric_card_after_a_hint_is_recorded_as_hard(web: Web) -> None:
    page, _, token = web.signed_in_page()
    page.goto("/#/study?deck=batchnorm")
    expect(stage(page)).not_to_have_attribute("data-state", "loading")
    state = stage(page).get_attribute("data-state") or ""
    while state == "front":
        study_text_card_by_keyboard(page, rating=3)
        state = stage(page).get_attribute("data-state") or ""
    assert state == "question", state
    expect(page.locator(".keys-help")).to_contain_text("hint")
    page.locator(".stage h3").first.click()  # focus off the answer boxes: the page's own h key
    page.keyboard.press("h")
    expect(page.locator(".hint-list li")).to_have_count(1)
    question = question_of(web, page, token)
    correct = verifier.to_jsonable(verifier.get(question["generator"]["id"]).solve(question["inputs"]))
    assert isinstance(correct, dict)
    fill_answer(page, correct)
    page.locator(".answer-cell").first.press("Enter")
    expect(page.locator(".grade")).to_contain_text("Correct")
    expect(page.locator(".recorded")).to_have_text(
        "Recorded as Hard for this card (after a hint a review counts at most Hard)."
    )
    web.check_page(page, "study-numeric-hinted")
