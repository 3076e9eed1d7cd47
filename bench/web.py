"""The study page in Debian's chromium over loopback: first load and rating-to-next-card latency.

Starts the real service (a fresh SQLite file, the real content), makes an account with a high new-card
limit, and opens ``/#/study`` in a cold browser context already holding the token. Then:

- first load: bytes transferred (compressed, headers included) for the page, its modules and
  stylesheet, and the API calls, until the first card is on screen; and the time from navigation start
  to the first frame that shows the card;
- 50 reviews by keyboard (Space, then 3): the time from the rating key press to the first frame that
  shows the next card, median and p95, and the share of it spent waiting for the API (the page's one
  fetch, POST /reviews?next=true, which answers with the next card too; from request start to
  response end in Resource Timing; any API fetch in that span counts).

- numeric answers on the drills page, cycling through every generator: the time from the Enter that
  checks a right answer to the first frame that shows the graded screen (per-field verdicts and the
  worked solution), median and p95 (target: median ≤ 50 ms), and the time spent waiting for
  POST /questions/{id}/answers.

Frames are timed in the page: an init script records each keydown's timestamp and, when the study page
marks a new card (``data-shown`` on the stage) or a grade appears, the next requestAnimationFrame.
Numeric cards met in the study session are answered and skipped, not counted.

    .venv/bin/python bench/web.py [--reviews 50] [--answers 44]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import verifier  # noqa: E402
from service.db import migrate  # noqa: E402
from service.db.session import make_engine  # noqa: E402
from tests import loopback  # noqa: E402
from tests.server import running_server  # noqa: E402
from tests.web.chromium import CHROMIUM, launch_chromium  # noqa: E402

TARGET_FIRST_LOAD_KB = 150
TARGET_NEXT_CARD_MEDIAN_MS = 50
TARGET_GRADED_MEDIAN_MS = 50
PASSWORD = "bench password 1"

# Installed before the app's own scripts: timestamps of key presses and of the frames showing a card.
PROBE = """
performance.setResourceTimingBufferSize(10000);
window.__bench = { keys: [], frames: [], graded: [] };
document.addEventListener("keydown", (event) => window.__bench.keys.push(event.timeStamp), true);
new MutationObserver((records) => {
  if (records.some((record) => record.attributeName === "data-shown")) {
    requestAnimationFrame((frameTime) => window.__bench.frames.push(frameTime));
  }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-shown"] });
new MutationObserver((records) => {
  const graded = records.some((record) =>
    [...record.addedNodes].some((node) => node instanceof Element && (node.matches(".grade") || node.querySelector(".grade"))));
  if (graded) requestAnimationFrame((frameTime) => window.__bench.graded.push(frameTime));
}).observe(document, { subtree: true, childList: true });
"""

RESOURCES = """() => [performance.getEntriesByType("navigation")[0], ...performance.getEntriesByType("resource")]
  .map((entry) => ({
    name: entry.name, start: entry.startTime, end: entry.responseEnd,
    transfer: entry.transferSize, encoded: entry.encodedBodySize, decoded: entry.decodedBodySize,
  }))"""


@dataclass
class Review:
    total_ms: float
    api_ms: float


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def shown(page: Page) -> int:
    return int(page.locator(".stage").get_attribute("data-shown") or "0")


def wait_shown(page: Page, before: int) -> str:
    page.wait_for_function(
        "n => Number(document.querySelector('.stage')?.dataset.shown ?? 0) > n", arg=before
    )
    return page.locator(".stage").get_attribute("data-state") or ""


def skip_numeric(page: Page) -> str:
    """Answer a numeric card with zeros and go on; returns the next state."""
    cells = page.locator(".answer-cell")
    for index in range(cells.count()):
        cells.nth(index).fill("0")
    cells.last.press("Enter")
    page.locator('.stage[data-state="graded"]').wait_for()
    before = shown(page)
    page.keyboard.press("Space")
    return wait_shown(page, before)


def api_time(resources: list[dict[str, Any]], start: float, end: float) -> float:
    """Time spent waiting on API fetches that started within [start, end], overlaps counted once."""
    spans = sorted(
        (entry["start"], entry["end"])
        for entry in resources
        if "/api/v1/" in entry["name"] and start <= entry["start"] <= end
    )
    busy, covered_to = 0.0, start
    for span_start, span_end in spans:
        span_start = max(span_start, covered_to)
        if span_end > span_start:
            busy += span_end - span_start
            covered_to = span_end
    return busy


def flat_entries(value: Any) -> list[Any]:
    return [item for part in value for item in flat_entries(part)] if isinstance(value, list) else [value]


def measure_answers(page: Page, api: httpx.Client, answers: int) -> list[Review]:
    """Right answers on the drills page, one fresh question each, cycling through the generators."""
    catalog = verifier.generators()
    measured: list[Review] = []
    for number in range(answers):
        generator = catalog[number % len(catalog)]
        page.goto(f"/#/drills?generator={generator.id}&n={number}")
        form = page.locator("form.answer-form")
        form.wait_for()
        question = api.get(f"/questions/{form.get_attribute('data-question-id')}").json()
        right = verifier.to_jsonable(generator.solve(question["inputs"]))
        assert isinstance(right, dict)
        for name, value in right.items():
            cells = page.locator(f'.answer-cell[data-field="{name}"]')
            for index, entry in enumerate(flat_entries(value)):
                cells.nth(index).fill(repr(entry))
        keys_before = page.evaluate("window.__bench.keys.length")
        graded_before = page.evaluate("window.__bench.graded.length")
        page.locator(".answer-cell").last.press("Enter")
        page.wait_for_function("n => window.__bench.graded.length > n", arg=graded_before)
        key_time = page.evaluate("n => window.__bench.keys[n]", keys_before)
        frame_time = page.evaluate("n => window.__bench.graded[n]", graded_before)
        spent = api_time(page.evaluate(RESOURCES), key_time, frame_time)
        measured.append(Review(total_ms=frame_time - key_time, api_ms=spent))
    return measured


def measure(base: str, token: str, username: str, reviews: int, answers: int) -> None:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(base_url=base, viewport={"width": 1100, "height": 900})
        session = {"token": token, "username": username, "expiresAt": None}
        context.add_init_script(f"localStorage.setItem('dlquiz.session', {json.dumps(json.dumps(session))});")
        context.add_init_script(PROBE)
        page = context.new_page()

        page.goto("/#/study")
        page.wait_for_function("() => window.__bench.frames.length > 0")
        first_frame = page.evaluate("window.__bench.frames[0]")
        first_resources = page.evaluate(RESOURCES)
        loaded = [entry for entry in first_resources if entry["start"] <= first_frame]
        static = [entry for entry in loaded if "/api/v1/" not in entry["name"]]
        api = [entry for entry in loaded if "/api/v1/" in entry["name"]]

        def kb(entries: list[dict[str, Any]], key: str) -> float:
            return float(sum(entry[key] for entry in entries)) / 1024

        print("First load of /#/study (cold cache, loopback)")
        print(
            f"  {len(loaded)} requests, {kb(loaded, 'transfer'):.1f} KB transferred "
            f"(target ≤ {TARGET_FIRST_LOAD_KB} KB); {kb(loaded, 'decoded'):.1f} KB uncompressed"
        )
        print(
            f"    page, modules, stylesheet: {len(static)} requests, {kb(static, 'transfer'):.1f} KB "
            f"({kb(static, 'decoded'):.1f} KB uncompressed)"
        )
        print(f"    API: {len(api)} requests, {kb(api, 'transfer'):.1f} KB")
        print(f"  first card on screen {first_frame:.0f} ms after navigation start")

        measured: list[Review] = []
        state = page.locator(".stage").get_attribute("data-state") or ""
        while len(measured) < reviews:
            if state == "question":
                state = skip_numeric(page)
                continue
            if state != "front":
                raise RuntimeError(f"study page in state {state!r} after {len(measured)} reviews")
            page.keyboard.press("Space")
            page.locator('.stage[data-state="back"]').wait_for()
            before = shown(page)
            keys_before = page.evaluate("window.__bench.keys.length")
            frames_before = page.evaluate("window.__bench.frames.length")
            page.keyboard.press("3")
            state = wait_shown(page, before)
            page.wait_for_function("n => window.__bench.frames.length > n", arg=frames_before)
            key_time = page.evaluate("n => window.__bench.keys[n]", keys_before)
            frame_time = page.evaluate("n => window.__bench.frames[n]", frames_before)
            spent = api_time(page.evaluate(RESOURCES), key_time, frame_time)
            measured.append(Review(total_ms=frame_time - key_time, api_ms=spent))
        with loopback.client(
            base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as api:
            graded = measure_answers(page, api, answers) if answers else []
        browser.close()

    totals = [review.total_ms for review in measured]
    shares = [review.api_ms / review.total_ms for review in measured if review.total_ms > 0]
    median = statistics.median(totals)
    print(f"Rating key → next card on screen, {len(measured)} reviews")
    print(
        f"  median {median:.1f} ms (target ≤ {TARGET_NEXT_CARD_MEDIAN_MS} ms), p95 {percentile(totals, 0.95):.1f} ms, "
        f"min {min(totals):.1f} ms, max {max(totals):.1f} ms"
    )
    print(
        f"  waiting on the API (POST /reviews?next=true): median {statistics.median(r.api_ms for r in measured):.1f} ms, "
        f"{statistics.median(shares):.0%} of each round trip (median share; the rest is the page's own work and the frame)"
    )
    if not graded:
        return
    times = [answer.total_ms for answer in graded]
    median = statistics.median(times)
    verdict = "PASS" if median <= TARGET_GRADED_MEDIAN_MS else "FAIL"
    print(
        f"Numeric answer (Enter) → graded screen, {len(graded)} right answers on the drills page "
        f"({min(len(graded), len(verifier.generators()))} generators)"
    )
    print(
        f"  median {median:.1f} ms (target ≤ {TARGET_GRADED_MEDIAN_MS} ms: {verdict}), "
        f"p95 {percentile(times, 0.95):.1f} ms, min {min(times):.1f} ms, max {max(times):.1f} ms"
    )
    print(
        f"  waiting on the API (POST /questions/{{id}}/answers): "
        f"median {statistics.median(answer.api_ms for answer in graded):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reviews", type=int, default=50)
    parser.add_argument("--answers", type=int, default=2 * len(verifier.generators()))
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: `make bench` installs it (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as scratch:
        database_url = f"sqlite:///{Path(scratch) / 'bench.db'}"
        engine = make_engine(database_url)
        migrate.upgrade(engine)
        engine.dispose()
        env = {"DLQUIZ_DATABASE_URL": database_url, "DLQUIZ_CONTENT_DIR": str(ROOT / "content")}
        with running_server(env, log_path=Path(scratch) / "uvicorn.log") as base:
            username = "bench"
            with loopback.client(base_url=f"{base}/api/v1", timeout=30) as client:
                client.post(
                    "/auth/register", json={"username": username, "password": PASSWORD}
                ).raise_for_status()
                response = client.post("/auth/token", data={"username": username, "password": PASSWORD})
                response.raise_for_status()
                token = response.json()["access_token"]
                headers = {"Authorization": f"Bearer {token}"}
                client.patch(
                    "/me/settings", json={"new_cards_per_day": 1000}, headers=headers
                ).raise_for_status()
            measure(base, token, username, args.reviews, args.answers)


if __name__ == "__main__":
    main()
