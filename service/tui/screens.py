"""What the study loop shows, drawn with Rich from the API's JSON: the card, the answer and the rating
keys with their intervals, a numeric question's inputs, the grade and the worked solution."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from service.tui.text import readable

RATING_KEYS = (("1", "again", "Again"), ("2", "hard", "Hard"), ("3", "good", "Good"), ("4", "easy", "Easy"))


def _text(markdown: str) -> Text:
    return Text(readable(markdown))


def header(console: Console, study: dict[str, Any]) -> None:
    card, counts = study["card"], study["counts"]
    console.rule(
        Text(
            f"{card['deck']} · {study['kind']} · new {counts['new']} · learning {counts['learning']} "
            f"· review {counts['review']}"
        )
    )


def front(console: Console, card: dict[str, Any]) -> None:
    console.print(Panel(_text(card["front"]["markdown"]), title=card["id"], title_align="left"))


def back(console: Console, card: dict[str, Any]) -> None:
    parts: list[Text] = [_text(card["back"]["markdown"])]
    if card.get("detail"):
        parts += [Text(""), Text("Detail", style="bold"), _text(card["detail"]["markdown"])]
    console.print(Panel(Group(*parts), title="answer", title_align="left"))


def rating_keys(console: Console, intervals: dict[str, Any]) -> None:
    line = Text()
    for key, name, label in RATING_KEYS:
        line.append(f" {key} ", style="reverse").append(f" {label} {intervals[name]['label']}   ")
    console.print(line, Text("u undo · q quit", style="dim"))


def prompt_keys(console: Console) -> None:
    console.print(Text("Space reveal · u undo · q quit", style="dim"))


def _value(value: Any) -> str:
    if isinstance(value, list) and value and isinstance(value[0], list):
        return "\n".join(
            "  " + "  ".join(f"{entry:g}" if isinstance(entry, float) else str(entry) for entry in row)
            for row in value
        )
    return json.dumps(value)


def question(console: Console, payload: dict[str, Any]) -> None:
    """The prompt and the given inputs."""
    parts: list[Text] = [_text(payload["prompt"]["markdown"])]
    if payload["inputs"]:
        parts.append(Text(""))
        parts += [Text(f"{name} = {_value(value)}") for name, value in payload["inputs"].items()]
    console.print(
        Panel(Group(*parts), title=f"numeric · {payload['generator']['title']}", title_align="left")
    )


def grade(console: Console, attempt: dict[str, Any]) -> None:
    """Each field right or wrong, the score, the misconception's feedback, then the worked solution."""
    result = attempt["grade"]
    verdict = "Correct" if result["correct"] else f"Score {result['score']:.0%}"
    console.print(Text(verdict, style="bold green" if result["correct"] else "bold red"))
    table = Table("field", "", "yours", "expected")
    for name, field in result["fields"].items():
        table.add_row(name, "✓" if field["correct"] else "✗", _value(field["got"]), _value(field["expected"]))
    console.print(table)
    if result["misconception"]:
        console.print(Text(f"Misconception: {result['misconception']}", style="bold yellow"))
    if result["feedback"]:
        console.print(_text(result["feedback"]))
    steps = [
        Text.assemble((f"{step['name']}: ", "bold"), readable(step["markdown"]))
        for step in attempt["solution"]
    ]
    console.print(Panel(Group(*steps), title="worked solution", title_align="left"))
    if attempt.get("review"):
        console.print(Text(f"Recorded as {RATING_KEYS[attempt['review']['rating'] - 1][2]}.", style="dim"))


def nothing_due(console: Console, study: dict[str, Any]) -> None:
    when = study.get("next_due")
    console.print(Text("Nothing to study now." + (f" Next card due {when}." if when else "")))
