"""dlquiz decks as an Anki package (``.apkg``), built with genanki.

Anki matches a re-imported note to the one it has by the note's GUID, so each note's GUID is a
function of the card's stable id alone (:func:`note_guid`): exporting again after an edit updates the
note, with its review history, instead of adding a second one. The note type and the deck ids are
fixed for the same reason: a changed id would make Anki see a new note type or a new deck each time.

Fields are HTML, as Anki stores them. They come from the cards' markdown through the same renderer
the web app uses, in its MathJax mode: Anki typesets ``\\(…\\)`` and ``\\[…\\]`` with MathJax and does
not reliably show MathML. A numeric card cannot ask a fresh question in Anki, so it is exported as one
variant (seed :data:`NUMERIC_SEED`): its prompt on the front, its worked solution on the back.
"""

from __future__ import annotations

import hashlib
import html
import io
import itertools
import sqlite3
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

import genanki
from sqlalchemy.orm import Session

import verifier
from service.content.render import render_inline_markdown, render_markdown
from service.db.models import Card, Deck
from service.errors import NotFound
from service.interop import repository

# Fixed ids (Anki ids are 64-bit; genanki suggests values in [2**30, 2**31)); never change them.
MODEL_ID = 1_733_140_001
MODEL_NAME = "dlquiz card"
DECK_ID_BASE = 1_733_200_000
DECK_PREFIX = "dlquiz::"
GUID_NAMESPACE = "dlquiz-card"
NUMERIC_SEED = 1
FIELDS = ("Front", "Back", "Detail", "Source", "Tags", "dlquiz id")

_CSS = """\
.card { font-family: system-ui, sans-serif; font-size: 18px; text-align: left; line-height: 1.45; }
.dlquiz-variant, .dlquiz-solution { margin-top: 0.8em; }
.dlquiz-detail { margin-top: 1em; font-size: 0.9em; color: #444; }
.dlquiz-source, .dlquiz-note { margin-top: 1em; font-size: 0.8em; color: #666; }
.nightMode .dlquiz-detail, .nightMode .dlquiz-source, .nightMode .dlquiz-note { color: #bbb; }
"""
_BACK_TEMPLATE = """\
{{FrontSide}}
<hr id="answer">
{{Back}}
{{#Detail}}<div class="dlquiz-detail">{{Detail}}</div>{{/Detail}}
<div class="dlquiz-source">{{Source}}</div>
"""

MODEL = genanki.Model(
    MODEL_ID,
    MODEL_NAME,
    fields=[{"name": name} for name in FIELDS],
    templates=[{"name": "Card", "qfmt": "{{Front}}", "afmt": _BACK_TEMPLATE}],
    css=_CSS,
)


def note_guid(card_id: str) -> str:
    """The Anki GUID of a card's note: a function of the card id only, so it survives every edit."""
    guid: str = genanki.guid_for(GUID_NAMESPACE, card_id)
    return guid


def deck_id(dlquiz_deck_id: str) -> int:
    """A stable Anki deck id for a dlquiz deck (from its id, so it never depends on export order)."""
    digest = hashlib.sha256(dlquiz_deck_id.encode()).digest()
    return DECK_ID_BASE + int.from_bytes(digest[:4], "big") % 1_000_000_000


@dataclass(frozen=True, slots=True)
class NoteFields:
    """One card's Anki fields, HTML-escaped where they are plain text."""

    front: str
    back: str
    detail: str
    source: str
    tags: str
    card_id: str

    def as_list(self) -> list[str]:
        return [self.front, self.back, self.detail, self.source, self.tags, self.card_id]


def _mathjax(markdown: str) -> str:
    return render_markdown(markdown, math="mathjax").html.strip()


def _numeric_sides(generator_id: str) -> tuple[str, str]:
    """The front and back additions of a numeric card: one variant's prompt and worked solution."""
    generator = verifier.get(generator_id)
    question = generator.generate(NUMERIC_SEED)
    steps = "".join(
        f"<li><code>{html.escape(step.name)}</code>: {_mathjax(step.text)}</li>"
        for step in generator.explain(question.inputs)
    )
    front = f'<div class="dlquiz-variant">{_mathjax(question.prompt)}</div>'
    back = (
        f'<div class="dlquiz-solution"><p><strong>Worked solution</strong></p><ol>{steps}</ol></div>'
        f'<p class="dlquiz-note">dlquiz poses a fresh variant of this question each time; this is the '
        f"variant with seed {NUMERIC_SEED} ({html.escape(generator.id)}).</p>"
    )
    return front, back


def note_fields(card: Card) -> NoteFields:
    """A card's fields as Anki shows them (markdown rendered with MathJax delimiters)."""
    front = render_inline_markdown(card.front_md, math="mathjax").html.strip()
    back = _mathjax(card.back_md)
    if card.generator is not None:
        extra_front, extra_back = _numeric_sides(card.generator)
        front += extra_front
        back += extra_back
    return NoteFields(
        front=front,
        back=back,
        detail=_mathjax(card.detail_md) if card.detail_md else "",
        source=html.escape(card.source),
        tags=html.escape(", ".join(card.tags)),
        card_id=html.escape(card.id),
    )


def export_anki(session: Session, *, deck: str | None) -> bytes:
    """The package of every live deck, or of one; an unknown deck is NotFound."""
    if deck is not None and repository.live_deck(session, deck) is None:
        raise NotFound(f"no deck with id '{deck}'")
    return build_package(repository.live_cards(session, deck=deck))


def build_package(cards: Sequence[tuple[Deck, Card]]) -> bytes:
    """The ``.apkg`` bytes of these cards: one Anki deck ``dlquiz::<deck>`` per dlquiz deck.

    Every note's modification time is the latest ``updated_at`` of the exported cards: Anki updates a
    note it has when the package's copy is newer, so an export made after an edit updates the notes,
    while re-importing an export of unchanged content changes nothing. The same content always gives
    the same bytes.
    """
    decks: dict[str, genanki.Deck] = {}
    for deck, card in cards:
        anki_deck = decks.get(deck.id)
        if anki_deck is None:
            anki_deck = genanki.Deck(deck_id(deck.id), f"{DECK_PREFIX}{deck.id}", description=deck.title)
            decks[deck.id] = anki_deck
        anki_deck.add_note(
            genanki.Note(
                model=MODEL,
                fields=note_fields(card).as_list(),
                tags=list(card.tags),
                guid=note_guid(card.id),
            )
        )
    stamp = max((card.updated_at.timestamp() for _deck, card in cards), default=0.0)
    return _package_bytes(genanki.Package(list(decks.values())), timestamp=stamp)


def _package_bytes(package: genanki.Package, *, timestamp: float) -> bytes:
    """What ``Package.write_to_file`` writes, built in memory.

    genanki's own method builds the collection in a temporary file it never deletes; a server that
    exports on request would fill its temp folder. No media: cards carry no files.
    """
    connection = sqlite3.connect(":memory:")
    try:
        package.write_to_db(connection.cursor(), timestamp, itertools.count(int(timestamp * 1000)))
        connection.commit()
        collection = connection.serialize()
    finally:
        connection.close()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("collection.anki2", collection)
        archive.writestr("media", "{}")
    return buffer.getvalue()
