// A study session: the API picks the next card, computes the intervals shown on the rating buttons,
// records ratings (and numeric answers) and undoes them; this page only shows and asks.
// Keys: Space reveals (and goes on after a numeric answer), 1-4 rate, u undoes, Enter checks an answer,
// h shows a numeric question's next hint.
// Remediation drills (GET /remediations) that are due come before the next card: a fresh question on a
// misconception the verifier named, shown with that misconception's feedback and the card's Detail.

import { describeError, get, idempotencyKey, post } from "../api.js";
import { announce, h, insertApiHtml, isTyping, replace } from "../dom.js";
import { formatWhen } from "../format.js";
import { misconceptionName, renderQuestion } from "../numeric.js";
import { href } from "../router.js";

const RATINGS = [
  { value: 1, key: "1", name: "Again", interval: "again" },
  { value: 2, key: "2", name: "Hard", interval: "hard" },
  { value: 3, key: "3", name: "Good", interval: "good" },
  { value: 4, key: "4", name: "Easy", interval: "easy" },
];
const KIND_NAMES = { new: "New", learning: "Learning", review: "Review" };
// The end screen asks again by itself when the next card is due within this long.
const AUTO_REFRESH_LIMIT_MS = 30 * 60 * 1000;

function cardSide(label, side, extraClass = "") {
  return h("section", { class: `card-side ${extraClass}`, "aria-label": label }, insertApiHtml(h("div", { class: "api-html" }), side.html));
}

function countsView(counts, kind) {
  return h("ul", { class: "counts", "aria-label": "Cards left today" },
    Object.entries(KIND_NAMES).map(([key, name]) =>
      h("li", { class: `count count-${key}${key === kind ? " is-current" : ""}` },
        h("span", { class: "count-name", text: name }), " ", h("span", { class: "count-value", dataset: { count: key }, text: counts[key] }),
      ),
    ),
  );
}

export async function render(view, params) {
  const deck = params.deck || null;
  const counts = h("div", { class: "counts-slot" });
  const stage = h("div", { class: "stage", "aria-live": "off" });
  const notice = h("p", { class: "notice", role: "status" });
  view.append(
    h("div", { class: "study-header" },
      h("h1", { text: deck ? `Study: ${deck}` : "Study" }),
      deck ? h("a", { href: href("/study"), text: "All decks" }) : null,
    ),
    counts,
    notice,
    stage,
    h("p", { class: "keys-help" }, h("kbd", { text: "Space" }), " show answer · ", h("kbd", { text: "1" }), "–", h("kbd", { text: "4" }),
      " rate · ", h("kbd", { text: "u" }), " undo · ", h("kbd", { text: "Enter" }), " check a numeric answer · ", h("kbd", { text: "h" }), " hint"),
  );

  /** What is on screen: "loading" | "front" | "back" | "question" | "graded" | "done" | "error". */
  let state = "loading";
  let shownCount = 0;
  // The state and a count of cards shown are mirrored on the stage (data-state, data-shown), so tests
  // and the benchmark can wait for "the next card is on screen" without guessing.
  function setState(next) {
    state = next;
    stage.dataset.state = next;
  }
  let current = null; // StudyNext
  let shownAt = 0;
  let reviewKey = null;
  let refreshTimer = null;
  let busy = false;
  let question = null; // the numeric question on screen (renderQuestion's handle)
  // When the earliest open remediation drill falls due (ms since the epoch), or null when none is open.
  let remediationDue = null;

  function showError(error) {
    setState("error");
    replace(stage, h("div", { class: "error-box", role: "alert" },
      h("p", { text: describeError(error) }),
      h("button", { type: "button", text: "Try again", on: { click: () => loadNext() } }),
    ));
  }

  async function loadNext() {
    setState("loading");
    clearTimeout(refreshTimer);
    let next;
    let remediations;
    try {
      [next, remediations] = await Promise.all([get("/study/next", { query: { deck } }), get("/remediations")]);
    } catch (error) {
      showError(error);
      return;
    }
    const open = remediations.items;
    remediationDue = open.length ? Math.min(...open.map((item) => Date.parse(item.due))) : null;
    const due = open.find((item) => item.is_due);
    if (due) showRemediation(due, next);
    else show(next);
  }

  /** A due remediation drill, before the next card; answering it goes on to GET /study/next again. */
  function showRemediation(item, next) {
    current = next;
    replace(counts, countsView(next.counts, null));
    setState("question");
    const holder = h("div", { class: "question-holder" });
    const card = item.card;
    replace(stage,
      h("article", { class: "card remediation-card", dataset: { remediationId: String(item.id) } },
        h("p", { class: "card-meta" },
          h("span", { class: "tag kind-remediation", text: "Remediation drill" }),
          ` round ${item.round} of 3`,
        ),
        h("section", { class: "misconception", "aria-label": "Misconception to fix" },
          h("p", { class: "misconception-name" }, "Misconception: ", h("strong", { text: misconceptionName(item.misconception.id) })),
          h("p", { class: "feedback", text: item.misconception.feedback }),
        ),
        card?.detail ? cardSide("Card detail", card.detail, "detail") : null,
        holder,
      ),
    );
    const question = renderQuestion(holder, item.question, {
      onGraded: () => {
        setState("graded");
        const go = h("button", { type: "button", class: "primary", "aria-keyshortcuts": "Space", on: { click: () => loadNext() } }, "Next card ", h("kbd", { text: "Space" }));
        stage.append(h("div", { class: "actions" }, go));
        go.focus({ preventScroll: true });
      },
    });
    stage.dataset.shown = String(++shownCount);
    question.focus();
  }

  /** Put a StudyNext on screen: from GET /study/next, or the one a rating came back with. */
  function show(next) {
    current = next;
    replace(counts, countsView(current.counts, current.kind));
    if (!current.card) showDone();
    else if (current.question) showQuestion();
    else showFront();
    stage.dataset.shown = String(++shownCount);
    performance.mark("dlquiz:card-shown");
    if (performance.getEntriesByName("dlquiz:rated", "mark").length) {
      performance.measure("dlquiz:next-card", "dlquiz:rated", "dlquiz:card-shown");
      performance.clearMarks("dlquiz:rated");
    }
  }

  function cardHeader() {
    const card = current.card;
    return h("p", { class: "card-meta" },
      h("span", { class: `tag kind-${current.kind}`, text: KIND_NAMES[current.kind] ?? current.kind }),
      " ", h("span", { text: card.deck }),
    );
  }

  function showFront() {
    setState("front");
    shownAt = performance.now();
    reviewKey = idempotencyKey();
    const reveal = h("button", { type: "button", class: "primary", "aria-keyshortcuts": "Space", on: { click: showBack } }, "Show answer ", h("kbd", { text: "Space" }));
    replace(stage,
      h("article", { class: "card", dataset: { cardId: current.card.id } },
        cardHeader(),
        cardSide("Question", current.card.front, "front"),
      ),
      h("div", { class: "actions" }, reveal),
    );
  }

  function showBack() {
    if (state !== "front") return;
    setState("back");
    const card = current.card;
    const article = stage.querySelector(".card");
    const answer = cardSide("Answer", card.back, "back");
    answer.tabIndex = -1;
    article.append(answer);
    if (card.detail) article.append(cardSide("More detail", card.detail, "detail"));
    const buttons = RATINGS.map((rating) => {
      const interval = current.intervals?.[rating.interval];
      // The accessible name is the visible text, "Again 10m"; CSS puts the interval on top, as Anki does.
      return h("button", {
        type: "button",
        class: `rate rate-${rating.interval}`,
        "aria-keyshortcuts": rating.key,
        title: interval ? `${rating.name}: next review in ${interval.label} (key ${rating.key})` : rating.name,
        dataset: { rating: rating.value },
        on: { click: () => rate(rating.value) },
      },
        h("span", { class: "rate-name", text: rating.name }),
        " ",
        h("span", { class: "rate-interval", text: interval?.label ?? "" }),
        h("kbd", { "aria-hidden": "true", text: rating.key }),
      );
    });
    stage.querySelector(".actions").replaceWith(h("div", { class: "rating-buttons", role: "group", "aria-label": "Rate your answer" }, buttons));
    answer.focus({ preventScroll: true });
    answer.scrollIntoView({ block: "nearest" });
  }

  function showQuestion() {
    setState("question");
    const holder = h("div", { class: "question-holder" });
    replace(stage,
      h("article", { class: "card numeric-card", dataset: { cardId: current.card.id } },
        cardHeader(),
        cardSide("Card", current.card.front, "front"),
        holder,
      ),
    );
    question = renderQuestion(holder, current.question, {
      onGraded: () => {
        setState("graded");
        const next = h("button", { type: "button", class: "primary", "aria-keyshortcuts": "Space", on: { click: () => loadNext() } }, "Next card ", h("kbd", { text: "Space" }));
        stage.append(h("div", { class: "actions" }, next));
        next.focus({ preventScroll: true });
      },
    });
    question.focus();
  }

  function showDone() {
    setState("done");
    const nextDue = current.next_due;
    replace(stage,
      h("section", { class: "done", "aria-label": "Session finished" },
        h("h2", { text: "All done for now" }),
        nextDue
          ? h("p", { class: "next-due" }, "The next card is due ", h("time", { datetime: nextDue, text: formatWhen(nextDue) }), ".")
          : h("p", { class: "next-due", text: "No card is scheduled yet: new cards come back tomorrow, or raise new cards per day in Settings." }),
        h("div", { class: "actions" },
          h("button", { type: "button", text: "Check again", on: { click: () => loadNext() } }),
          h("a", { class: "button", href: href("/decks"), text: "Decks" }),
          h("a", { class: "button", href: href("/stats"), text: "Stats" }),
        ),
      ),
    );
    if (nextDue) {
      const wait = Date.parse(nextDue) - Date.now();
      if (wait < AUTO_REFRESH_LIMIT_MS) refreshTimer = setTimeout(loadNext, Math.max(wait, 0) + 500);
    }
  }

  async function rate(value) {
    if (state !== "back" || busy) return;
    busy = true;
    performance.mark("dlquiz:rated");
    const name = RATINGS.find((rating) => rating.value === value).name;
    try {
      // next=true: the API answers with the next card too, one round trip instead of two.
      const review = await post("/reviews", {
        query: { next: true, deck },
        json: { card_id: current.card.id, rating: value, duration_ms: Math.round(performance.now() - shownAt) },
        idempotencyKey: reviewKey,
      });
      notice.textContent = "";
      announce(`Rated ${name}.`);
      // A remediation drill that fell due meanwhile comes first: ask for the queue again.
      if (remediationDue !== null && Date.now() >= remediationDue) await loadNext();
      else show(review.next);
    } catch (error) {
      notice.textContent = describeError(error);
    } finally {
      busy = false;
    }
  }

  async function undo() {
    if (busy || state === "loading") return;
    busy = true;
    try {
      const review = await post("/reviews/undo");
      const name = RATINGS.find((rating) => rating.value === review.rating)?.name ?? review.rating;
      notice.textContent = `Undid the last rating (${name} on ${review.card_id}).`;
      await loadNext();
    } catch (error) {
      notice.textContent = error.status === 404 ? "Nothing to undo." : describeError(error);
    } finally {
      busy = false;
    }
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event)) return;
    const onControl = event.target instanceof HTMLElement && event.target.closest("button, a, summary");
    if (event.key === " " || event.key === "Enter") {
      if (onControl) return; // the focused control's own click does it
      if (event.key === " " && state === "front") {
        event.preventDefault();
        showBack();
      } else if (state === "graded") {
        event.preventDefault();
        loadNext();
      }
      return;
    }
    const rating = RATINGS.find((candidate) => candidate.key === event.key);
    if (rating && state === "back") {
      event.preventDefault();
      rate(rating.value);
    } else if ((event.key === "h" || event.key === "H") && state === "question") {
      event.preventDefault();
      question?.revealHint();
    } else if (event.key === "u" || event.key === "U") {
      event.preventDefault();
      undo();
    }
  }

  await loadNext();
  // Added once the first card is shown (no key does anything while loading): a render whose first
  // request never settles (its session ended, api.js) leaves no listener behind.
  document.addEventListener("keydown", onKey);
  return () => {
    document.removeEventListener("keydown", onKey);
    clearTimeout(refreshTimer);
  };
}
