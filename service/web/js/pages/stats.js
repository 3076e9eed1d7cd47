// Statistics from GET /stats, drawn with Chart.js (loaded only here, on first visit). Each chart has
// a text summary for screen readers and its numbers in a table behind a disclosure.

import { describeError, get } from "../api.js";
import { baseOptions, chartFigure, loadChart, shortDate, themeColors } from "../charts.js";
import { h, replace, scrollBox } from "../dom.js";
import { formatPercent } from "../format.js";
import { href, navigate } from "../router.js";

const PERIODS = [7, 30, 90, 365];
const DEFAULT_DAYS = 30;
const TOP_MISCONCEPTIONS = 10;

function misconceptionRows(numeric) {
  const rows = numeric.flatMap((topic) => topic.misconceptions.map((item) => ({ topic: topic.topic, ...item })));
  rows.sort((a, b) => b.count - a.count || a.id.localeCompare(b.id));
  return rows.slice(0, TOP_MISCONCEPTIONS);
}

function summaryTiles(stats) {
  const total = stats.reviews_per_day.reduce((sum, day) => sum + day.count, 0);
  const tile = (label, value) => h("div", { class: "tile" }, h("p", { class: "tile-value", text: value }), h("p", { class: "tile-label", text: label }));
  return h("div", { class: "tiles" },
    tile("reviews in this period", String(total)),
    tile("true retention", formatPercent(stats.retention_overall)),
    tile(stats.streak === 1 ? "day streak" : "days streak", String(stats.streak)),
  );
}

/** Misconceptions named, cleared and still open (remediation drills), with the most persistent. */
function remediationView(remediation) {
  const { named, cleared, open, persistent } = remediation;
  return h("section", { class: "remediation-stats", "aria-labelledby": "remediation-title" },
    h("h2", { id: "remediation-title", text: "Misconception remediation" }),
    h("div", { class: "tiles" },
      [["named", named], ["cleared", cleared], ["still open", open]].map(([label, value]) =>
        h("div", { class: "tile", dataset: { remediation: label.replace(" ", "-") } },
          h("p", { class: "tile-value", text: String(value) }), h("p", { class: "tile-label", text: `misconceptions ${label}` })),
      ),
    ),
    persistent.length
      ? scrollBox(h("div", { class: "table-scroll" },
          h("table", { class: "data-table persistent" },
            h("caption", { text: "Most persistent" }),
            h("thead", {}, h("tr", {}, ["Misconception", "Times named", "Round", "Status"].map((header) => h("th", { scope: "col", text: header })))),
            h("tbody", {}, persistent.map((item) => h("tr", {},
              h("th", { scope: "row" }, h("code", { text: item.id }), h("p", { class: "feedback", text: item.feedback })),
              h("td", { text: String(item.times_named) }),
              h("td", { text: `${item.round} of 3` }),
              h("td", { text: item.status }),
            ))),
          ),
        ))
      : h("p", { text: named ? "No misconception has been named twice yet." : "No misconception named yet." }),
  );
}

export async function render(view, params) {
  const days = PERIODS.includes(Number(params.days)) ? Number(params.days) : DEFAULT_DAYS;
  const period = h("select", { id: "stats-period", on: { change: () => navigate("/stats", { days: period.value }) } },
    PERIODS.map((value) => h("option", { value, selected: value === days, text: `Last ${value} days` })),
  );
  const body = h("div", { class: "stats-body" }, h("p", { class: "loading", text: "Loading statistics…" }));
  view.append(
    h("div", { class: "study-header" }, h("h1", { text: "Stats" }), h("div", { class: "form-field inline" }, h("label", { for: "stats-period", text: "Period" }), period)),
    body,
  );

  let stats;
  let Chart;
  try {
    [stats, Chart] = await Promise.all([get("/stats", { query: { days } }), loadChart()]);
  } catch (error) {
    replace(body, h("p", { class: "error-box", role: "alert", text: describeError(error) }));
    return;
  }

  const charts = [];
  function draw() {
    for (const chart of charts.splice(0)) chart.destroy();
    const colors = themeColors();
    const [c1, c2, c3, c4] = colors.series;
    const figures = [];
    const add = (spec, config) => {
      const { figure, canvas } = chartFigure(spec);
      figures.push(figure);
      return () => charts.push(new Chart(canvas, config));
    };

    const reviews = stats.reviews_per_day;
    const reviewTotal = reviews.reduce((sum, day) => sum + day.count, 0);
    const busiest = reviews.reduce((best, day) => (day.count > (best?.count ?? 0) ? day : best), null);
    const retention = stats.retention_per_day;
    const measured = retention.filter((day) => day.retention !== null);
    const forecast = stats.forecast;
    const forecastTotal = forecast.reduce((sum, day) => sum + day.due, 0);
    const mistakes = misconceptionRows(stats.numeric);

    const pending = [
      add(
        {
          id: "chart-reviews",
          title: "Reviews per day",
          summary: `${reviewTotal} reviews in the last ${days} days${busiest ? `; most on ${busiest.date} (${busiest.count})` : ""}.`,
          headers: ["Date", "Reviews"],
          rows: reviews.map((day) => [day.date, String(day.count)]),
        },
        { type: "bar", data: { labels: reviews.map((day) => shortDate(day.date)), datasets: [{ label: "Reviews", data: reviews.map((day) => day.count), backgroundColor: c1 }] }, options: baseOptions(colors) },
      ),
      add(
        {
          id: "chart-retention",
          title: "True retention",
          summary: measured.length
            ? `Share of reviewed cards you remembered: ${formatPercent(stats.retention_overall)} overall, measured on ${measured.length} days.`
            : "No reviews of cards you had already learned in this period yet.",
          headers: ["Date", "Retention", "Reviews"],
          rows: retention.map((day) => [day.date, formatPercent(day.retention), String(day.reviews)]),
        },
        {
          type: "line",
          data: {
            labels: retention.map((day) => shortDate(day.date)),
            datasets: [{ label: "Retention", data: retention.map((day) => (day.retention === null ? null : Math.round(day.retention * 1000) / 10)), borderColor: c2, backgroundColor: c2, spanGaps: true }],
          },
          options: baseOptions(colors, { percent: true }),
        },
      ),
      add(
        {
          id: "chart-forecast",
          title: "Due in the next 30 days",
          summary: `${forecastTotal} reviews due over the next 30 days.`,
          headers: ["Date", "Due"],
          rows: forecast.map((day) => [day.date, String(day.due)]),
        },
        { type: "bar", data: { labels: forecast.map((day) => shortDate(day.date)), datasets: [{ label: "Due", data: forecast.map((day) => day.due), backgroundColor: c3 }] }, options: baseOptions(colors) },
      ),
      add(
        {
          id: "chart-maturity",
          title: "Cards per deck by maturity",
          summary: stats.decks.map((deck) => `${deck.deck}: ${deck.mature} mature, ${deck.review} review, ${deck.learning} learning, ${deck.new} new`).join("; ") + ".",
          headers: ["Deck", "New", "Learning", "Review", "Mature"],
          rows: stats.decks.map((deck) => [deck.deck, String(deck.new), String(deck.learning), String(deck.review), String(deck.mature)]),
        },
        {
          type: "bar",
          data: {
            labels: stats.decks.map((deck) => deck.deck),
            datasets: [
              { label: "New", data: stats.decks.map((deck) => deck.new), backgroundColor: c4 },
              { label: "Learning", data: stats.decks.map((deck) => deck.learning), backgroundColor: c3 },
              { label: "Review", data: stats.decks.map((deck) => deck.review), backgroundColor: c1 },
              { label: "Mature", data: stats.decks.map((deck) => deck.mature), backgroundColor: c2 },
            ],
          },
          options: baseOptions(colors, { stacked: true, horizontal: true }),
        },
      ),
      add(
        {
          id: "chart-numeric",
          title: "Numeric accuracy per topic",
          summary: stats.numeric.length
            ? stats.numeric.map((topic) => `${topic.topic}: ${formatPercent(topic.accuracy)} of ${topic.attempts} attempts`).join("; ") + "."
            : "No numeric questions answered yet.",
          headers: ["Topic", "Attempts", "Correct", "Accuracy"],
          rows: stats.numeric.map((topic) => [topic.topic, String(topic.attempts), String(topic.correct), formatPercent(topic.accuracy)]),
        },
        {
          type: "bar",
          data: { labels: stats.numeric.map((topic) => topic.topic), datasets: [{ label: "Accuracy", data: stats.numeric.map((topic) => Math.round(topic.accuracy * 1000) / 10), backgroundColor: c2 }] },
          options: baseOptions(colors, { percent: true }),
        },
      ),
    ];

    replace(body,
      summaryTiles(stats),
      h("div", { class: "charts" }, figures),
      h("section", { class: "misconceptions", "aria-labelledby": "misconceptions-title" },
        h("h2", { id: "misconceptions-title", text: "Most frequent misconceptions" }),
        mistakes.length
          ? scrollBox(h("div", { class: "table-scroll" },
              h("table", { class: "data-table" },
                h("thead", {}, h("tr", {}, ["Misconception", "Topic", "Times"].map((header) => h("th", { scope: "col", text: header })))),
                h("tbody", {}, mistakes.map((item) => h("tr", {}, h("th", { scope: "row" }, h("code", { text: item.id })), h("td", { text: item.topic }), h("td", { text: String(item.count) })))),
              ),
            ))
          : h("p", { text: "None yet: answer some numeric questions in a study session or under " }, h("a", { href: href("/drills"), text: "Drills" }), "."),
      ),
      remediationView(stats.remediation),
    );
    for (const create of pending) create();
  }

  draw();
  const scheme = window.matchMedia("(prefers-color-scheme: dark)");
  scheme.addEventListener("change", draw);
  return () => {
    scheme.removeEventListener("change", draw);
    for (const chart of charts.splice(0)) chart.destroy();
  };
}
