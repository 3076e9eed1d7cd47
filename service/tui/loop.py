"""The study loop: the next card's front, Space to reveal, 1-4 to rate, ``u`` to undo the last review,
``q`` to quit; a numeric card is answered field by field and graded by the server.

Every rating and answer asks for the next card in the same request (``?next=true``), so studying takes
one round trip per card. Each write has its own Idempotency-Key, reused by the API client's retries.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.text import Text

from service.tui import screens
from service.tui.answers import AnswerField, EntryError, parse
from service.tui.api import ApiError, StudyApi, new_key
from service.tui.keys import QUIT_KEYS, Input

RATINGS = {key: (number, label) for number, (key, _name, label) in enumerate(screens.RATING_KEYS, start=1)}
UNDO = "u"
REVEAL = " "

Study = dict[str, Any]


@dataclass
class Tally:
    """What a session did, reported when it ends."""

    reviews: int = 0
    undone: int = 0
    answers: list[bool] = field(default_factory=list)


class StudyLoop:
    def __init__(self, api: StudyApi, keys: Input, console: Console, *, deck: str | None = None) -> None:
        self.api, self.keys, self.console, self.deck = api, keys, console, deck
        self.tally = Tally()

    def run(self) -> Tally:
        """Study until nothing is due or the person quits."""
        current: Study | None = self.api.next_card(self.deck)
        while current is not None:
            if current["card"] is None:
                screens.nothing_due(self.console, current)
                break
            current = self._card(current)
        reviews = f"{self.tally.reviews} review{'' if self.tally.reviews == 1 else 's'}"
        self.console.print(Text(f"Session: {reviews}, {self.tally.undone} undone.", style="dim"))
        return self.tally

    def _key(self, allowed: set[str]) -> str:
        while True:
            key = self.keys.key()
            if key in QUIT_KEYS or key in allowed:
                return key

    def _card(self, study: Study) -> Study | None:
        """Show one card and act on the keys; the next card to show, or None to quit."""
        screens.header(self.console, study)
        if study["question"] is not None:
            return self._numeric(study)
        card = study["card"]
        started = time.monotonic()
        screens.front(self.console, card)
        screens.prompt_keys(self.console)
        key = self._key({REVEAL, UNDO})
        if key == UNDO:
            return self._undo()
        if key in QUIT_KEYS:
            return None
        screens.back(self.console, card)
        screens.rating_keys(self.console, study["intervals"])
        key = self._key({*RATINGS, UNDO})
        if key == UNDO:
            return self._undo()
        if key in QUIT_KEYS:
            return None
        rating, label = RATINGS[key]
        elapsed = round((time.monotonic() - started) * 1000)
        response = self.api.review(card["id"], rating, deck=self.deck, key=new_key(), duration_ms=elapsed)
        self.tally.reviews += 1
        label_after = study["intervals"][screens.RATING_KEYS[rating - 1][1]]["label"]
        self.console.print(Text(f"{label}: next in {label_after}.", style="dim"))
        result: Study = response["next"]
        return result

    def _numeric(self, study: Study) -> Study | None:
        question = study["question"]
        screens.question(self.console, question)
        fields = [AnswerField.from_api(payload) for payload in question["generator"]["answer_fields"]]
        self.console.print(
            Text("Answer each field and press Enter (a line with u undoes, q quits).", style="dim")
        )
        answer: dict[str, Any] = {}
        for answer_field in fields:
            while True:
                self.console.print(Text(f"{answer_field.name} ({answer_field.describe()}): "), end="")
                typed = self.keys.line()
                if typed.strip() == UNDO:
                    return self._undo()
                if typed.strip() in QUIT_KEYS:
                    return None
                try:
                    answer[answer_field.name] = parse(typed, answer_field)
                    break
                except EntryError as exc:
                    self.console.print(Text(f"  {exc}", style="red"))
        attempt = self.api.answer(question["id"], answer, deck=self.deck, key=new_key())
        screens.grade(self.console, attempt)
        self.tally.answers.append(bool(attempt["grade"]["correct"]))
        if attempt.get("review"):
            self.tally.reviews += 1
        self.console.print(Text("Space continue · u undo · q quit", style="dim"))
        key = self._key({REVEAL, UNDO})
        if key == UNDO:
            return self._undo()
        if key in QUIT_KEYS:
            return None
        result: Study = attempt["next"]
        return result

    def _undo(self) -> Study:
        """Undo the latest review, then fetch what is next (the undone card is due again)."""
        try:
            undone = self.api.undo(key=new_key())
        except ApiError as exc:
            if exc.status != 404:
                raise
            self.console.print(Text("Nothing to undo.", style="yellow"))
        else:
            self.tally.undone += 1
            self.console.print(Text(f"Undid the review of {undone['card_id']}.", style="yellow"))
        return self.api.next_card(self.deck)
