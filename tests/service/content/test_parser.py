from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.content.drafts import CardDraft, ContentIssue, DeckDraft
from service.content.parser import parse_content_dir, parse_deck
from service.content.render import UNTERMINATED_MATH
from tests.service.content.test_render import assert_safe

PATH = Path("content/09-demo.md")
REPO_CONTENT = Path(__file__).resolve().parents[3] / "content"
HEADER = ["---", "id: demo", "title: Demo deck", "---", ""]  # lines 1-5
CARD = ['{#demo-card tags="alpha" source="DLB 5.2"}', "## Question?", "", "Answer."]  # lines 6-9


def deck(*lines: str) -> str:
    """Join lines so that the n-th argument is line n of the file, which keeps expected lines readable."""
    return "\n".join(lines) + "\n"


def issues_of(text: str, **kwargs: object) -> list[tuple[int, str]]:
    _, _, issues = parse_deck(PATH, text, position=0, **kwargs)  # type: ignore[arg-type]
    for issue in issues:
        assert str(issue) == f"{PATH}:{issue.line}: {issue.message}"
    return [(issue.line, issue.message) for issue in issues]


GOLDEN = deck(
    "---",
    "id: demo",
    "title: Demo deck",
    "description: A deck for tests.",
    "---",
    "",
    '{#demo-first tags="alpha, beta-gamma" source="DLB 7.12"}',
    "## What is $x^2$ for $x = 3$?",
    "",
    "It is $9$.",
    "Second line.",
    "",
    "### Detail",
    "",
    "Because",
    "",
    "$$",
    "3^2 = 9",
    "$$",
    "",
    '{#demo-second tags=alpha source="Srivastava et al. 2014" generator="dropout.forward"}',
    "## Why?",
    "",
    "- one",
    "- two",
)


class TestGolden:
    def test_deck_and_cards(self) -> None:
        deck_draft, cards, issues = parse_deck(PATH, GOLDEN, position=3)

        assert issues == []
        assert deck_draft == DeckDraft(
            id="demo", title="Demo deck", description="A deck for tests.", position=3, path=PATH
        )
        assert [card.id for card in cards] == ["demo-first", "demo-second"]
        first, second = cards

        assert (first.deck_id, first.position, first.line, first.path) == ("demo", 0, 8, PATH)
        assert first.tags == ("alpha", "beta-gamma")
        assert first.source == "DLB 7.12"
        assert first.generator is None
        assert first.front_md == "What is $x^2$ for $x = 3$?"
        assert first.back_md == "It is $9$.\nSecond line."
        assert first.detail_md == "Because\n\n$$\n3^2 = 9\n$$"
        assert first.front_html.startswith(
            'What is <math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">'
        )
        assert first.back_html.startswith("<p>It is <math")
        assert first.back_html.endswith("</math>.\nSecond line.</p>\n")
        assert first.detail_html.startswith(
            '<p>Because</p>\n<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">'
        )
        assert len(first.content_hash) == 64

        assert (second.deck_id, second.position, second.line) == ("demo", 1, 22)
        assert second.tags == ("alpha",)
        assert second.source == "Srivastava et al. 2014"
        assert second.generator == "dropout.forward"
        assert (second.front_md, second.back_md, second.detail_md) == ("Why?", "- one\n- two", "")
        assert (second.front_html, second.back_html, second.detail_html) == (
            "Why?",
            "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n",
            "",
        )

    def test_parsing_is_deterministic(self) -> None:
        assert parse_deck(PATH, GOLDEN, position=3) == parse_deck(PATH, GOLDEN, position=3)

    def test_crlf_line_endings_give_the_same_cards(self) -> None:
        assert parse_deck(PATH, GOLDEN.replace("\n", "\r\n"), position=3) == parse_deck(
            PATH, GOLDEN, position=3
        )

    def test_moving_a_card_down_keeps_its_hash(self) -> None:
        shifted = GOLDEN.replace("description: A deck for tests.\n", "description: A deck for tests.\n\n\n")
        _, cards, _ = parse_deck(PATH, GOLDEN, position=3)
        _, shifted_cards, _ = parse_deck(PATH, shifted, position=3)
        assert [c.line + 2 for c in cards] == [c.line for c in shifted_cards]
        assert [c.content_hash for c in cards] == [c.content_hash for c in shifted_cards]

    @pytest.mark.parametrize(
        ("old", "new"),
        [
            ("id: demo", "id: demo-two"),  # deck
            ("for $x = 3$?", "for $x = 4$?"),  # front
            ("Second line.", "Second  line."),  # back
            ("3^2 = 9", "3^2 = 9.0"),  # detail
            ('tags="alpha, beta-gamma"', 'tags="beta-gamma, alpha"'),  # tag order
            ('source="DLB 7.12"', 'source="DLB 7.13"'),
            ('source="DLB 7.12"}', 'source="DLB 7.12" generator="x.y"}'),
        ],
    )
    def test_any_edit_changes_the_hash(self, old: str, new: str) -> None:
        assert old in GOLDEN
        _, cards, _ = parse_deck(PATH, GOLDEN, position=3)
        _, edited, issues = parse_deck(PATH, GOLDEN.replace(old, new), position=3)
        assert issues == []
        assert cards[0].content_hash != edited[0].content_hash

    def test_reordering_cards_changes_their_hashes(self) -> None:
        head, first, second = (
            GOLDEN[: GOLDEN.index("{#demo-first")],
            *GOLDEN[GOLDEN.index("{#demo-first") :].split("\n\n{#"),
        )
        swapped = head + "{#" + second + "\n\n" + first
        _, cards, _ = parse_deck(PATH, GOLDEN, position=3)
        _, swapped_cards, issues = parse_deck(PATH, swapped, position=3)
        assert issues == []
        assert [c.id for c in swapped_cards] == ["demo-second", "demo-first"]
        by_id = {c.id: c for c in swapped_cards}
        assert all(by_id[c.id].content_hash != c.content_hash for c in cards)
        assert all(by_id[c.id].back_md == c.back_md for c in cards)


class TestDeckErrors:
    def test_missing_front_matter(self) -> None:
        assert issues_of(deck(*CARD)) == [
            (1, "missing front matter: a deck starts with '---', 'id:' and 'title:' lines, then '---'")
        ]

    def test_unclosed_front_matter(self) -> None:
        assert issues_of(deck("---", "id: demo", "title: Demo", "", *CARD))[0] == (
            1,
            "front matter is not closed: add a '---' line after its last key",
        )

    def test_missing_id_and_title(self) -> None:
        assert issues_of(deck("---", "description: x", "---", "", *CARD)) == [
            (1, "front matter has no 'id'"),
            (1, "front matter has no 'title'"),
        ]

    def test_missing_deck_still_returns_cards(self) -> None:
        deck_draft, cards, _ = parse_deck(PATH, deck("---", "id: demo", "---", "", *CARD), position=0)
        assert deck_draft is None
        assert [(card.id, card.deck_id) for card in cards] == [("demo-card", "demo")]

    def test_unknown_front_matter_key(self) -> None:
        assert issues_of(deck("---", "id: demo", "title: Demo", "author: me", "---", "", *CARD)) == [
            (4, "unknown front-matter key 'author' (allowed: id, title, description)")
        ]

    def test_deck_id_not_kebab_case(self) -> None:
        assert issues_of(deck("---", "title: Demo", "id: Batch_Norm", "---", "", *CARD)) == [
            (
                3,
                "deck id 'Batch_Norm' is not kebab-case (lowercase letters and digits joined by single hyphens)",
            )
        ]

    def test_front_matter_value_not_text(self) -> None:
        assert issues_of(deck("---", "id: demo", "title: 2024", "---", "", *CARD)) == [
            (3, "front-matter 'title' must be text, not int"),
        ]

    def test_duplicate_front_matter_key(self) -> None:
        assert issues_of(deck("---", "id: demo", "title: A", "title: B", "---", "", *CARD)) == [
            (4, "duplicate front-matter key 'title'")
        ]

    def test_yaml_error(self) -> None:
        assert issues_of(deck("---", "id: demo", "title: [unclosed", "---", "", *CARD)) == [
            (3, "front matter is not valid YAML: expected ',' or ']', but got '<stream end>'")
        ]

    def test_front_matter_not_a_mapping(self) -> None:
        assert issues_of(deck("---", "- id", "---", "", *CARD)) == [
            (1, "front matter must be 'key: value' lines (id, title, description)")
        ]


class TestCardErrors:
    def test_content_before_the_first_card(self) -> None:
        assert issues_of(deck(*HEADER, "An introduction.", "", *CARD)) == [
            (
                6,
                "text outside any card: after the front matter a deck holds only cards, each an attribute line "
                '{#card-id tags="tag-a, tag-b" source="DLB 7.12"} above a \'## \' question',
            )
        ]

    def test_heading_without_attribute_line(self) -> None:
        assert issues_of(deck(*HEADER, "## Question?", "", "Answer.")) == [
            (
                6,
                "card heading '## Question?' has no attribute line above it (a card needs one, e.g. "
                '{#card-id tags="tag-a, tag-b" source="DLB 7.12"})',
            )
        ]

    def test_attribute_line_glued_to_a_paragraph(self) -> None:
        text = deck(*HEADER, *CARD, '{#second tags="alpha" source="DLB 5.2"}', "## Another?", "", "Yes.")
        assert issues_of(text) == [
            (
                10,
                "attribute line not recognized: it needs a blank line above it and the form "
                '{#card-id tags="tag-a, tag-b" source="DLB 7.12"} (quote every value that has characters other than '
                "letters, digits, - _ :)",
            )
        ]

    @pytest.mark.parametrize(
        "attributes",
        [
            "{#demo-card tags=alpha beta source=DLB}",
            "{#demo-card tags=a,b source=DLB}",
            "{#demo-card generator=a.b}",
        ],
    )
    def test_unparsable_attribute_line(self, attributes: str) -> None:
        issues = issues_of(deck(*HEADER, attributes, "## Question?", "", "Answer."))
        assert len(issues) == 1
        assert issues[0][0] == 6
        assert issues[0][1].startswith("attribute line not recognized")

    def test_attribute_line_not_followed_by_a_heading(self) -> None:
        text = deck(*HEADER, *CARD, "", '{#stray tags="alpha" source="x"}', "More answer.")
        assert issues_of(text) == [(11, "attribute line is not followed by a '## ' card heading")]

    def test_attribute_line_at_the_end(self) -> None:
        assert issues_of(deck(*HEADER, *CARD, "", "{#stray}")) == [
            (11, "attribute line is not followed by a '## ' card heading")
        ]

    def test_two_attribute_lines(self) -> None:
        assert issues_of(deck(*HEADER, "{#demo-card}", *CARD)) == [
            (6, "two attribute lines in a row: put all of a card's attributes on one line")
        ]

    def test_unknown_attribute(self) -> None:
        text = deck(*HEADER, '{#demo-card tags="alpha" source="DLB 5.2" level=3}', *CARD[1:])
        assert issues_of(text) == [(6, "unknown attribute 'level' (allowed: #id, tags, source, generator)")]

    def test_missing_tags_and_source(self) -> None:
        assert issues_of(deck(*HEADER, "{#demo-card}", *CARD[1:])) == [
            (6, 'missing tags: add tags="tag-a, tag-b"'),
            (6, 'missing source: add source="DLB 7.12" (the book section or paper)'),
        ]

    def test_missing_card_id(self) -> None:
        _, cards, issues = parse_deck(
            PATH, deck(*HEADER, '{tags="alpha" source="DLB 5.2"}', *CARD[1:]), position=0
        )
        assert cards == []
        assert [(i.line, i.message) for i in issues] == [
            (6, "missing card id: start the attribute line with #card-id")
        ]

    def test_card_id_not_kebab_case(self) -> None:
        text = deck(*HEADER, '{#Demo_Card tags="alpha" source="DLB 5.2"}', *CARD[1:])
        assert issues_of(text) == [
            (
                6,
                "card id 'Demo_Card' is not kebab-case (lowercase letters and digits joined by single hyphens)",
            )
        ]

    def test_duplicate_card_id_in_one_file(self) -> None:
        assert issues_of(deck(*HEADER, *CARD, "", *CARD)) == [
            (7, f"duplicate card id 'demo-card' (also at {PATH}:12)"),
            (12, f"duplicate card id 'demo-card' (also at {PATH}:7)"),
        ]

    def test_empty_front(self) -> None:
        assert issues_of(deck(*HEADER, CARD[0], "##", "", "Answer.")) == [
            (7, "empty question: the '## ' heading has no text")
        ]

    def test_empty_back(self) -> None:
        assert issues_of(deck(*HEADER, *CARD[:2])) == [
            (7, "empty answer: write the answer below the '## ' heading")
        ]

    def test_empty_back_before_detail(self) -> None:
        assert issues_of(deck(*HEADER, *CARD[:2], "", "### Detail", "", "Detail text.")) == [
            (7, "empty answer: write the answer between the '## ' heading and '### Detail'")
        ]

    def test_empty_detail(self) -> None:
        assert issues_of(deck(*HEADER, *CARD, "", "### Detail", "")) == [
            (11, "empty detail: nothing follows '### Detail'")
        ]

    def test_other_h3(self) -> None:
        assert issues_of(deck(*HEADER, *CARD, "", "### Details", "", "More.")) == [
            (11, "unexpected h3 'Details': the only h3 a card may have are '### Detail' and '### Key points'")
        ]

    def test_second_detail(self) -> None:
        assert issues_of(deck(*HEADER, *CARD, "", "### Detail", "", "A.", "", "### Detail", "", "B.")) == [
            (15, "second '### Detail' heading in one card")
        ]

    def test_deeper_headings_are_content(self) -> None:
        _, cards, issues = parse_deck(PATH, deck(*HEADER, *CARD, "", "#### Aside", "", "More."), position=0)
        assert issues == []
        assert cards[0].back_md == "Answer.\n\n#### Aside\n\nMore."

    def test_h1(self) -> None:
        assert issues_of(deck(*HEADER, "# Demo", "", *CARD)) == [
            (
                6,
                "level-1 heading '# Demo' inside a deck: the deck title goes in the front matter, "
                "and a card question is a '## ' heading",
            )
        ]

    @pytest.mark.parametrize(
        ("tags", "message"),
        [
            ('""', "empty tag list: give at least one tag"),
            ('"  "', "empty tag list: give at least one tag"),
            ('"alpha,,beta"', 'empty tag in tags="alpha,,beta" (a stray comma?)'),
            (
                '"batch norm"',
                "tag 'batch norm' contains spaces: separate tags with commas, join words with hyphens",
            ),
            (
                '"alpha, BatchNorm"',
                "tag 'BatchNorm' is not kebab-case (lowercase letters and digits joined by single hyphens)",
            ),
            ('"alpha, alpha"', "duplicate tag 'alpha'"),
        ],
    )
    def test_bad_tags(self, tags: str, message: str) -> None:
        text = deck(*HEADER, f'{{#demo-card tags={tags} source="DLB 5.2"}}', *CARD[1:])
        assert issues_of(text) == [(6, message)]

    def test_empty_source(self) -> None:
        assert issues_of(deck(*HEADER, '{#demo-card tags="alpha" source=""}', *CARD[1:])) == [
            (6, "empty source")
        ]

    def test_unknown_generator(self) -> None:
        text = deck(*HEADER, '{#demo-card tags="alpha" source="DLB 5.2" generator="relu.nope"}', *CARD[1:])
        assert issues_of(text, known_generators={"relu.forward"}) == [(6, "unknown generator 'relu.nope'")]
        assert issues_of(text) == []  # without a catalog the generator is not checked
        _, cards, _ = parse_deck(PATH, text, position=0, known_generators={"relu.nope"})
        assert cards[0].generator == "relu.nope"

    def test_bad_formula(self) -> None:
        text = deck(*HEADER, *CARD[:3], "Answer with", "a formula $\\begin{foo}$ here.")
        assert issues_of(text) == [
            (
                10,
                r"formula $\begin{foo}$ does not convert to MathML: "
                "it ends too early (a command without its argument, or an unclosed brace)",
            )
        ]

    def test_bad_formula_in_the_question_and_detail(self) -> None:
        text = deck(
            *HEADER, CARD[0], "## Is $x^$ fine?", "", "Answer.", "", "### Detail", "", "$$", "\\frac", "$$"
        )
        assert [line for line, _ in issues_of(text)] == [7, 13]

    def test_unterminated_math(self) -> None:
        text = deck(*HEADER, *CARD[:3], "It costs $5.", "", "### Detail", "", "Fine: \\$5.")
        assert issues_of(text) == [(9, UNTERMINATED_MATH)]

    def test_raw_html_is_escaped(self) -> None:
        _, cards, issues = parse_deck(
            PATH,
            deck(*HEADER, *CARD[:3], "<script>alert(1)</script>", "", "### Detail", "", "<b>x</b>"),
            position=0,
        )
        assert issues == []
        assert cards[0].back_html == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
        assert cards[0].detail_html == "<p>&lt;b&gt;x&lt;/b&gt;</p>\n"


def test_a_broken_deck_reports_all_its_errors_at_once() -> None:
    text = deck(
        "---",  # 1
        "id: Demo",  # 2
        "colour: red",  # 3
        "---",  # 4
        "",  # 5
        "Intro text.",  # 6
        "",  # 7
        '{#Bad_Id tags="alpha, two words" level=1}',  # 8
        "## Question $x^$?",  # 9
        "",  # 10
        "### Detail",  # 11
        "",  # 12
        '{#dup tags="alpha" source="S" generator="nope"}',  # 13
        "## Second?",  # 14
        "",  # 15
        "Costs $5.",  # 16
        "",  # 17
        "### Notes",  # 18
        "",  # 19
        "# Title",  # 20
        "",  # 21
        '{#dup tags="" source="S"}',  # 22
        "## Third?",  # 23
        "",  # 24
        "Fine.",  # 25
        "",  # 26
        "## No attributes",  # 27
        "",  # 28
        "Text.",  # 29
    )
    _, _, issues = parse_deck(PATH, text, position=0, known_generators=set())
    assert [(issue.line, issue.message.split(":")[0].split(" (")[0]) for issue in issues] == [
        (1, "front matter has no 'title'"),
        (2, "deck id 'Demo' is not kebab-case"),
        (3, "unknown front-matter key 'colour'"),
        (6, "text outside any card"),
        (8, "unknown attribute 'level'"),
        (8, "card id 'Bad_Id' is not kebab-case"),
        (8, "tag 'two words' contains spaces"),
        (8, "missing source"),
        (9, "empty answer"),
        (9, "formula $\\begin{foo}$ does not convert to MathML".replace("\\begin{foo}", "x^")),
        (11, "empty detail"),
        (13, "unknown generator 'nope'"),
        (14, "duplicate card id 'dup'"),
        (16, UNTERMINATED_MATH.split(" (")[0]),
        (18, "unexpected h3 'Notes'"),
        (20, "level-1 heading '# Title' inside a deck"),
        (22, "empty tag list"),
        (23, "duplicate card id 'dup'"),
        (27, "card heading '## No attributes' has no attribute line above it"),
    ]


class TestParseContentDir:
    @staticmethod
    def write(directory: Path, name: str, deck_id: str, *cards: str) -> Path:
        path = directory / name
        blocks = [f'{{#{card} tags="alpha" source="S"}}\n## {card}?\n\nAnswer.\n' for card in cards]
        path.write_text(
            f"---\nid: {deck_id}\ntitle: {deck_id}\n---\n\n" + "\n".join(blocks), encoding="utf-8"
        )
        return path

    def test_reads_numbered_decks_in_order(self, tmp_path: Path) -> None:
        self.write(tmp_path, "02-second.md", "second", "b-one")
        self.write(tmp_path, "01-first.md", "first", "a-one", "a-two")
        (tmp_path / "README.md").write_text("# Not a deck\n", encoding="utf-8")
        (tmp_path / "notes.md").write_text("# Not a deck either\n", encoding="utf-8")

        parsed = parse_content_dir(tmp_path)

        assert parsed.ok
        assert [(d.id, d.position, d.path.name) for d in parsed.decks] == [
            ("first", 0, "01-first.md"),
            ("second", 1, "02-second.md"),
        ]
        assert [(c.id, c.deck_id, c.position) for c in parsed.cards] == [
            ("a-one", "first", 0),
            ("a-two", "first", 1),
            ("b-one", "second", 0),
        ]

    def test_duplicate_ids_across_files_are_reported_at_both_places(self, tmp_path: Path) -> None:
        first = self.write(tmp_path, "01-first.md", "same", "shared")
        second = self.write(tmp_path, "02-second.md", "same", "other", "shared")

        parsed = parse_content_dir(tmp_path)

        assert parsed.issues == [
            ContentIssue(first, 2, f"duplicate deck id 'same' (also at {second}:2)"),
            ContentIssue(first, 7, f"duplicate card id 'shared' (also at {second}:12)"),
            ContentIssue(second, 2, f"duplicate deck id 'same' (also at {first}:2)"),
            ContentIssue(second, 12, f"duplicate card id 'shared' (also at {first}:7)"),
        ]

    def test_generators_are_checked_against_the_catalog(self, tmp_path: Path) -> None:
        path = tmp_path / "01-gen.md"
        path.write_text(
            '---\nid: gen\ntitle: Gen\n---\n\n{#g tags="a" source="S" generator="relu.forward"}\n## Q?\n\nA.\n',
            encoding="utf-8",
        )
        assert parse_content_dir(tmp_path, known_generators=["relu.forward"]).ok
        assert parse_content_dir(tmp_path, known_generators=[]).issues == [
            ContentIssue(path, 6, "unknown generator 'relu.forward'")
        ]

    def test_missing_directory(self, tmp_path: Path) -> None:
        assert parse_content_dir(tmp_path / "nope").issues == [
            ContentIssue(tmp_path / "nope", 1, "content directory does not exist")
        ]

    def test_invalid_utf8(self, tmp_path: Path) -> None:
        (tmp_path / "01-bad.md").write_bytes(b"---\nid: bad\n\xff\n")
        assert [issue.message for issue in parse_content_dir(tmp_path).issues] == [
            "file is not valid UTF-8 (invalid start byte)"
        ]


def test_the_real_content_directory_has_no_issues() -> None:
    parsed = parse_content_dir(REPO_CONTENT)
    assert [str(issue) for issue in parsed.issues] == []
    assert len(parsed.decks) >= 1
    assert len({card.id for card in parsed.cards}) == len(parsed.cards)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_arbitrary_answer_text_never_yields_a_script_tag(answer: str) -> None:
    text = deck(*HEADER, *CARD[:3], answer, "", "### Detail", "", answer)
    _, cards, _ = parse_deck(PATH, text, position=0)
    for card in cards:
        assert isinstance(card, CardDraft)
        for html in (card.front_html, card.back_html, card.detail_html):
            assert_safe(html)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["<script>", "</script>", "<img onerror=x>", "$", "\n", "\n\n", "## ", "{#x}\n", "a"])
    )
)
def test_markup_heavy_answer_text_never_yields_a_script_tag(parts: list[str]) -> None:
    answer = "".join(parts)
    text = deck(*HEADER, *CARD[:3], answer, "", "### Detail", "", answer)
    _, cards, _ = parse_deck(PATH, text, position=0)
    for card in cards:
        for html in (card.front_html, card.back_html, card.detail_html):
            assert_safe(html)


class TestKeyPoints:
    def test_golden_key_points_before_the_detail(self) -> None:
        text = deck(
            *HEADER, *CARD, "", "### Key points", "", "- first $x$", "- second", "", "### Detail", "", "More."
        )
        _, cards, issues = parse_deck(PATH, text, position=0)
        assert issues == []
        assert cards[0].key_points == ("first $x$", "second")
        assert cards[0].back_md == "Answer." and cards[0].detail_md == "More."

    def test_key_points_after_the_detail_and_in_the_hash(self) -> None:
        text = deck(*HEADER, *CARD, "", "### Detail", "", "More.", "", "### Key points", "", "- one")
        _, cards, issues = parse_deck(PATH, text, position=0)
        assert issues == [] and cards[0].key_points == ("one",) and cards[0].detail_md == "More."
        _, plain, _ = parse_deck(PATH, deck(*HEADER, *CARD, "", "### Detail", "", "More."), position=0)
        assert plain[0].key_points == () and plain[0].content_hash != cards[0].content_hash

    def test_every_problem_with_its_line(self) -> None:
        text = deck(
            *HEADER,
            *CARD,
            "",
            "### Key points",  # 11
            "",
            "A paragraph.",  # 13
            "",
            "- one",  # 15
            "  continued",
            "- two",  # 17
            "- two",  # 18
            "-",  # 19
            "- nest",  # 20
            "  - inner",
            "",
            "### Key points",  # 23
        )
        assert issues_of(text) == [
            (13, "'### Key points' holds only a bullet list ('- ' lines), one key point per line"),
            (15, "a key point is one line: no continuation lines or nested lists"),
            (18, "duplicate key point 'two'"),
            (19, "empty key point"),
            (20, "a key point is one line: no continuation lines or nested lists"),
            (23, "second '### Key points' heading in one card"),
        ]

    def test_empty_section(self) -> None:
        text = deck(*HEADER, *CARD, "", "### Key points")
        assert issues_of(text) == [
            (11, "empty key points: write a '- ' line per point under '### Key points'")
        ]

    def test_repo_cards_carry_examples(self) -> None:
        parsed = parse_content_dir(REPO_CONTENT)
        assert sum(1 for card in parsed.cards if card.key_points) >= 4
