"""What the browser flows share: reading the study stage, answering numeric questions, waiting."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Locator, Page, expect

import verifier
from tests.web.conftest import Web


def stage(page: Page) -> Locator:
    return page.locator(".stage")


def shown_count(page: Page) -> int:
    return int(stage(page).get_attribute("data-shown") or "0")


def wait_for_next_card(page: Page, before: int) -> str:
    """Wait until the study page shows another card (or the end screen); its state."""
    page.wait_for_function(
        "before => Number(document.querySelector('.stage')?.dataset.shown ?? 0) > before", arg=before
    )
    return stage(page).get_attribute("data-state") or ""


def study_text_card_by_keyboard(page: Page, rating: int) -> None:
    """Reveal the card on screen with Space and rate it with a number key."""
    expect(stage(page)).to_have_attribute("data-state", "front")
    before = shown_count(page)
    page.keyboard.press("Space")
    expect(stage(page)).to_have_attribute("data-state", "back")
    expect(page.locator(".card .back")).to_be_visible()
    # The buttons show the intervals the API computed for each rating.
    labels = page.locator(".rate .rate-interval").all_inner_texts()
    assert len(labels) == 4 and all(labels), labels
    page.keyboard.press(str(rating))
    wait_for_next_card(page, before)


def question_of(web: Web, page: Page, token: str) -> dict[str, Any]:
    """The question on screen, read back from the API."""
    question_id = page.locator("form.answer-form").get_attribute("data-question-id")
    with web.api(token) as client:
        response = client.get(f"/questions/{question_id}")
        response.raise_for_status()
        question: dict[str, Any] = response.json()
    return question


def flatten(value: Any) -> list[Any]:
    return [item for part in value for item in flatten(part)] if isinstance(value, list) else [value]


def fill_answer(page: Page, answer: dict[str, Any]) -> None:
    for name, value in answer.items():
        cells = page.locator(f'.answer-cell[data-field="{name}"]')
        entries = flatten(value)
        assert cells.count() == len(entries), name
        for index, entry in enumerate(entries):
            cells.nth(index).fill(repr(float(entry)) if isinstance(entry, float) else str(entry))


def misconception_answer(question: dict[str, Any]) -> tuple[verifier.Misconception, dict[str, Any]]:
    """A wrong answer that a known misconception produces for this question."""
    generator = verifier.get(question["generator"]["id"])
    misconception = next(m for m in generator.misconceptions if m.applies_to(question["inputs"]))
    answer = verifier.to_jsonable(misconception.answer(question["inputs"]))
    assert isinstance(answer, dict)
    return misconception, answer


def session_token(page: Page) -> str:
    token = page.evaluate("JSON.parse(localStorage.getItem('dlquiz.session')).token")
    assert isinstance(token, str)
    return token


def pump_until(page: Page, condition: Callable[[], bool], *, timeout: float = 10.0) -> None:
    """Let Playwright deliver events (route handlers run then) until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        page.evaluate("0")
