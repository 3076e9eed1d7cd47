"""The card API against a real server on each backend, serving the real decks."""

from __future__ import annotations

import httpx


class TestListDecks:
    def test_seven_decks_with_at_least_100_cards(self, client: httpx.Client) -> None:
        response = client.get("/api/v1/decks")
        assert response.status_code == 200
        items = response.json()["items"]
        assert len(items) == 7
        assert [deck["position"] for deck in items] == sorted(deck["position"] for deck in items)
        assert sum(deck["card_count"] for deck in items) >= 100
        assert all(deck["title"] and deck["card_count"] > 0 for deck in items)

    def test_etag_answers_if_none_match_with_304(self, client: httpx.Client) -> None:
        etag = client.get("/api/v1/decks").headers["etag"]
        again = client.get("/api/v1/decks", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""


class TestListCards:
    def test_pages_and_total(self, client: httpx.Client) -> None:
        first = client.get("/api/v1/cards", params={"limit": 5}).json()
        second = client.get("/api/v1/cards", params={"limit": 5, "offset": 5}).json()
        assert first["total"] >= 100 and len(first["items"]) == 5
        assert {c["id"] for c in first["items"]}.isdisjoint(c["id"] for c in second["items"])

    def test_deck_filter(self, client: httpx.Client) -> None:
        body = client.get("/api/v1/cards", params={"deck": "batchnorm", "limit": 200}).json()
        assert body["total"] == len(body["items"]) > 0
        assert {card["deck"] for card in body["items"]} == {"batchnorm"}
        positions = [card["position"] for card in body["items"]]
        assert positions == sorted(positions)

    def test_tag_filter(self, client: httpx.Client) -> None:
        some_card = client.get("/api/v1/cards", params={"limit": 1}).json()["items"][0]
        tag = some_card["tags"][0]
        body = client.get("/api/v1/cards", params={"tag": tag, "limit": 200}).json()
        assert body["total"] >= 1 and all(tag in card["tags"] for card in body["items"])

    def test_text_search_is_case_insensitive(self, client: httpx.Client) -> None:
        body = client.get("/api/v1/cards", params={"q": "DROPOUT", "limit": 200}).json()
        assert body["total"] > 0
        for card in body["items"]:
            text = " ".join(
                [
                    card["front"]["markdown"],
                    card["back"]["markdown"],
                    (card["detail"] or {}).get("markdown", ""),
                ]
            )
            assert "dropout" in text.lower()

    def test_search_treats_wildcards_literally(self, client: httpx.Client) -> None:
        assert client.get("/api/v1/cards", params={"q": "%_%_%_%zz"}).json()["total"] == 0

    def test_unknown_deck_is_an_empty_page(self, client: httpx.Client) -> None:
        assert client.get("/api/v1/cards", params={"deck": "nope"}).json() == {
            "items": [],
            "total": 0,
            "limit": 50,
            "offset": 0,
        }

    def test_limit_out_of_range_is_422_naming_the_parameter(self, client: httpx.Client) -> None:
        for bad in ("0", "201", "ten"):
            response = client.get("/api/v1/cards", params={"limit": bad})
            assert response.status_code == 422
            body = response.json()
            assert body["type"] == "ValidationError" and "limit" in body["detail"]

    def test_negative_offset_is_422(self, client: httpx.Client) -> None:
        response = client.get("/api/v1/cards", params={"offset": -1})
        assert response.status_code == 422 and "offset" in response.json()["detail"]

    def test_long_answers_are_compressed_once_for_clients_that_accept_gzip(
        self, client: httpx.Client
    ) -> None:
        url = "/api/v1/cards?deck=batchnorm&limit=200"
        for _ in range(2):  # the miss that fills the cache, then a hit
            zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
            plain = client.get(url, headers={"Accept-Encoding": "identity"})
            assert zipped.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
            assert zipped.headers["vary"] == plain.headers["vary"] == "Accept-Encoding"
            assert int(zipped.headers["content-length"]) < len(plain.content) / 3
            assert zipped.json() == plain.json() and zipped.headers["etag"] == plain.headers["etag"]

    def test_cached_answers_are_per_url_and_refusals_are_never_cached(self, client: httpx.Client) -> None:
        # A repeated URL is answered from the cache before its parameters are parsed again: the same
        # bytes; a URL that was refused stays refused however often it comes (nothing cached for it).
        url = "/api/v1/cards?limit=3&offset=2"
        first, again = client.get(url), client.get(url)
        assert first.status_code == again.status_code == 200 and first.content == again.content
        assert client.get("/api/v1/cards?offset=2&limit=3").json() == first.json()
        assert client.get("/api/v1/cards?limit=4&offset=2").json()["items"][:3] == first.json()["items"]
        for _ in range(2):
            refused = client.get("/api/v1/cards?limit=3&offset=-2")
            assert refused.status_code == 422 and "offset" in refused.json()["detail"]


class TestGetCard:
    def test_card_has_markdown_and_safe_html_with_mathml(self, client: httpx.Client) -> None:
        listing = client.get("/api/v1/cards", params={"q": "$", "limit": 200}).json()["items"]
        with_math = next(card for card in listing if "<math" in card["back"]["html"])
        response = client.get(f"/api/v1/cards/{with_math['id']}")
        assert response.status_code == 200
        card = response.json()
        assert card["id"] == with_math["id"] and card["source"] and card["tags"]
        assert "$" in card["back"]["markdown"] and "<math" in card["back"]["html"]
        assert "<script" not in card["back"]["html"]

    def test_etag_is_the_content_hash_and_304_on_match(self, client: httpx.Client) -> None:
        card_id = client.get("/api/v1/cards", params={"limit": 1}).json()["items"][0]["id"]
        response = client.get(f"/api/v1/cards/{card_id}")
        assert response.headers["etag"] == f'"{response.json()["content_hash"]}"'
        cached = client.get(f"/api/v1/cards/{card_id}", headers={"If-None-Match": response.headers["etag"]})
        assert cached.status_code == 304
        stale = client.get(f"/api/v1/cards/{card_id}", headers={"If-None-Match": '"stale"'})
        assert stale.status_code == 200

    def test_unknown_id_is_404_with_message(self, client: httpx.Client) -> None:
        response = client.get("/api/v1/cards/no-such-card")
        assert response.status_code == 404
        assert response.json() == {"type": "NotFound", "detail": "no card with id 'no-such-card'"}


class TestHealthAndDocs:
    def test_healthz(self, client: httpx.Client) -> None:
        assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}

    def test_docs_and_openapi(self, client: httpx.Client) -> None:
        assert client.get("/docs").status_code == 200
        paths = client.get("/openapi.json").json()["paths"]
        assert {"/api/v1/decks", "/api/v1/cards", "/api/v1/cards/{card_id}", "/healthz"} <= set(paths)

    def test_unknown_route_uses_the_error_shape(self, client: httpx.Client) -> None:
        response = client.get("/api/v1/nothing-here")
        assert response.status_code == 404 and response.json()["type"] == "HTTPError"
