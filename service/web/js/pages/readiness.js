// Interview readiness (GET /readiness): a countdown to the interview date and, per deck, the recall
// fsrs predicts for that day, the cards at risk, the cards never seen and the reviews a day it takes.

import { describeError, get } from "../api.js";
import { h, replace, scrollBox } from "../dom.js";
import { formatPercent } from "../format.js";
import { href } from "../router.js";

/** "12 days left", "1 day left", "today". */
export function countdownText(daysLeft) {
  if (daysLeft === 0) return "today";
  return `${daysLeft} ${daysLeft === 1 ? "day" : "days"} left`;
}

/** The one-line summary the decks page shows too. */
export function summaryText(readiness) {
  const recall = formatPercent(readiness.overall.predicted_recall);
  return `Interview ${readiness.interview_date} (${countdownText(readiness.days_left)}): predicted recall ${recall}, target ${formatPercent(readiness.target)}`;
}

function planText(readiness) {
  const needed = readiness.overall.reviews_per_day_needed;
  const perDay = `${needed} extra ${needed === 1 ? "review" : "reviews"} a day on top of a typical day of ${readiness.typical_day}`;
  return readiness.can_reach
    ? `On track: ${perDay} fits within your cap of ${readiness.daily_cap}.`
    : `Behind: ${perDay} exceeds your cap of ${readiness.daily_cap}. Raise the cap or start earlier.`;
}

function deckTable(readiness, titles) {
  const withDate = readiness.interview_date !== null;
  const headers = ["Deck", withDate ? "Recall on the day" : "Recall now", "At risk", "Never seen"];
  if (withDate) headers.push("Reviews a day needed");
  const row = (deck) => {
    const cells = [
      h("th", { scope: "row", text: titles.get(deck.deck) ?? deck.deck }),
      h("td", {},
        h("meter", { min: 0, max: 1, low: readiness.target - 0.1, high: readiness.target, optimum: 1, value: deck.predicted_recall ?? 0, "aria-hidden": "true" }),
        " ",
        h("span", { text: formatPercent(deck.predicted_recall) }),
      ),
      h("td", { text: String(deck.at_risk) }),
      h("td", { text: String(deck.unseen) }),
    ];
    if (withDate) cells.push(h("td", { text: String(deck.reviews_per_day_needed) }));
    return h("tr", { dataset: { deck: deck.deck } }, cells);
  };
  return scrollBox(h("div", { class: "table-scroll" },
    h("table", { class: "data-table readiness-table" },
      h("caption", { text: withDate ? "Per deck, on the interview day" : "Per deck, now" }),
      h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col", text })))),
      h("tbody", {}, readiness.decks.map(row)),
    ),
  ));
}

export async function render(view) {
  view.append(h("h1", { text: "Readiness" }));
  const body = h("div", { class: "readiness-body" }, h("p", { class: "loading", text: "Loading readiness…" }));
  view.append(body);
  let readiness;
  let decks;
  try {
    [readiness, decks] = await Promise.all([get("/readiness"), get("/decks")]);
  } catch (error) {
    replace(body, h("p", { class: "error-box", role: "alert", text: describeError(error) }));
    return;
  }
  const titles = new Map(decks.items.map((deck) => [deck.id, deck.title]));
  const settingsLink = h("a", { href: href("/settings"), text: "Settings" });
  const tile = (label, value, extra = {}) =>
    h("div", { class: "tile", ...extra }, h("p", { class: "tile-value", text: value }), h("p", { class: "tile-label", text: label }));
  const head = readiness.interview_date === null
    ? [h("p", { class: "notice" }, "No interview date is set. Set one under ", settingsLink, " and the study queue will get you ready by then; below is your recall now.")]
    : [
        h("div", { class: "tiles" },
          tile(`until the interview on ${readiness.interview_date}`, countdownText(readiness.days_left), { id: "countdown" }),
          tile(`predicted recall on the day (target ${formatPercent(readiness.target)})`, formatPercent(readiness.overall.predicted_recall)),
          tile("cards at risk", String(readiness.overall.at_risk)),
          tile("cards never seen", String(readiness.overall.unseen)),
        ),
        h("p", { class: readiness.can_reach ? "notice" : "notice warning", text: planText(readiness) }),
      ];
  replace(body,
    ...head,
    deckTable(readiness, titles),
    h("p", {}, h("a", { class: "button primary", href: href("/study"), text: "Study now" })),
  );
}
