// Every deck with what is due today in it, a study button and a link to browse its cards.

import { describeError, get } from "../api.js";
import { h } from "../dom.js";
import { href } from "../router.js";
import { currentSession } from "../session.js";

function dueView(counts) {
  if (!counts) return null;
  return h("p", { class: "deck-due" },
    h("span", { class: "count count-new" }, h("span", { class: "count-value", text: counts.new }), " new"), " · ",
    h("span", { class: "count count-learning" }, h("span", { class: "count-value", text: counts.learning }), " learning"), " · ",
    h("span", { class: "count count-review" }, h("span", { class: "count-value", text: counts.review }), " review"),
  );
}

/** The interview line (date, countdown, overall predicted recall), or null without a date or session. */
async function interviewLine() {
  if (!currentSession()) return null;
  const readiness = await get("/readiness");
  if (readiness.interview_date === null) return null;
  const { summaryText } = await import("./readiness.js");
  return h("p", { class: "notice interview-summary" }, `${summaryText(readiness)}. `, h("a", { href: href("/readiness"), text: "Readiness" }));
}

/** Today's counts per deck id (GET /study/counts, which only reads); null when not signed in. */
async function dueCounts() {
  if (!currentSession()) return null;
  const counts = await get("/study/counts");
  return new Map(counts.decks.map((deck) => [deck.deck, deck]));
}

export async function render(view) {
  view.append(h("h1", { text: "Decks" }));
  // Both requests at once; the decks are the page, the counts an extra that may fail on its own.
  let countsError = null;
  const countsRequest = dueCounts().catch((error) => {
    countsError = error;
    return null;
  });
  // Optional too: a failure leaves the line out.
  const interviewRequest = interviewLine().catch(() => null);
  let decks;
  try {
    decks = (await get("/decks")).items;
  } catch (error) {
    view.append(h("p", { class: "error-box", role: "alert", text: describeError(error) }));
    return;
  }
  const counts = await countsRequest;
  if (countsError) {
    view.append(h("p", { class: "notice", role: "alert", text: `Due counts unavailable: ${describeError(countsError)}` }));
  }
  const signedIn = Boolean(currentSession());
  const interview = await interviewRequest;
  view.append(
    interview ?? "",
    signedIn
      ? h("p", {}, h("a", { class: "button primary", href: href("/study"), text: "Study all decks" }))
      : h("p", { class: "notice" }, h("a", { href: href("/login"), text: "Sign in" }), " to study and see what is due today; anyone can browse the cards."),
    h("ul", { class: "deck-list" },
      decks.map((deck) =>
        h("li", { class: "deck", dataset: { deck: deck.id } },
          h("h2", { text: deck.title }),
          h("p", { class: "deck-description", text: deck.description }),
          h("p", { class: "deck-size", text: `${deck.card_count} cards` }),
          dueView(counts?.get(deck.id)),
          h("div", { class: "actions" },
            signedIn ? h("a", { class: "button primary", href: href("/study", { deck: deck.id }), "aria-label": `Study ${deck.title}`, text: "Study" }) : null,
            h("a", { class: "button", href: href("/cards", { deck: deck.id }), "aria-label": `Browse ${deck.title}`, text: "Browse" }),
          ),
        ),
      ),
    ),
  );
}
