// Browse and search the cards: the API's text search (q), tag and deck filters; each card drawn from
// the API's HTML with MathML, its answer behind a disclosure so the page can be used for self-testing.

import { describeError, get } from "../api.js";
import { formField, h, insertApiHtml } from "../dom.js";
import { href, navigate } from "../router.js";

const PAGE_SIZE = 20;

function cardView(card) {
  return h("li", { class: "card browse-card", dataset: { cardId: card.id } },
    h("p", { class: "card-meta" },
      h("a", { href: href("/cards", { deck: card.deck }), text: card.deck }),
      card.generator ? [" · ", h("span", { class: "tag", text: "numeric" })] : null,
    ),
    insertApiHtml(h("div", { class: "api-html front" }), card.front.html),
    h("details", {},
      h("summary", { text: "Answer" }),
      insertApiHtml(h("div", { class: "api-html back" }), card.back.html),
      card.detail ? insertApiHtml(h("div", { class: "api-html detail" }), card.detail.html) : null,
      h("p", { class: "card-source", text: `Source: ${card.source}` }),
    ),
    h("ul", { class: "tags", "aria-label": "Tags" },
      card.tags.map((tag) => h("li", {}, h("a", { class: "tag", href: href("/cards", { tag }), "aria-label": `Cards tagged ${tag}`, text: tag }))),
    ),
  );
}

export async function render(view, params) {
  const filters = { q: params.q ?? "", tag: params.tag ?? "", deck: params.deck ?? "" };
  const q = h("input", { type: "search", name: "q", value: filters.q, autocomplete: "off" });
  const tag = h("input", { name: "tag", value: filters.tag, autocomplete: "off", autocapitalize: "none" });
  const deck = h("select", { name: "deck" }, h("option", { value: "", text: "All decks" }));
  const summary = h("p", { class: "result-summary", role: "status" });
  const list = h("ul", { class: "card-list" });
  const more = h("button", { type: "button", hidden: true, text: "Show more cards" });

  function onSubmit(event) {
    event.preventDefault();
    navigate("/cards", { q: q.value.trim(), tag: tag.value.trim(), deck: deck.value });
  }

  view.append(
    h("h1", { text: "Cards" }),
    h("form", { class: "filters", role: "search", on: { submit: onSubmit } },
      formField({ label: "Search", control: q }),
      formField({ label: "Tag", control: tag }),
      formField({ label: "Deck", control: deck }),
      h("div", { class: "filters-submit" }, h("button", { type: "submit", class: "primary", text: "Search" })),
    ),
    summary,
    list,
    more,
  );

  let offset = 0;
  async function loadPage() {
    more.disabled = true;
    try {
      const page = await get("/cards", { query: { ...filters, limit: PAGE_SIZE, offset } });
      offset += page.items.length;
      list.append(...page.items.map(cardView));
      summary.textContent = page.total === 0 ? "No cards match." : `${page.total} card${page.total === 1 ? "" : "s"}${page.total > offset ? `, showing ${offset}` : ""}.`;
      more.hidden = offset >= page.total;
    } catch (error) {
      summary.textContent = describeError(error);
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", loadPage);

  const [decks] = await Promise.all([get("/decks").catch(() => ({ items: [] })), loadPage()]);
  for (const item of decks.items) deck.append(h("option", { value: item.id, selected: item.id === filters.deck, text: item.title }));
}
