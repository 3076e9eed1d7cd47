// Chart.js, loaded on first use (by the stats and settings pages), and the pieces every chart of the
// app shares: theme colours, a figure with a text summary, its numbers in a table behind a disclosure.

import { h, scrollBox } from "./dom.js";

let chartModule = null;

/** Chart.js with only the parts these charts use (bars, lines, two axes, tooltips and legends). */
export async function loadChart() {
  if (!chartModule) {
    let library;
    try {
      library = await import("chart.js");
    } catch (error) {
      throw new Error(`the chart library did not load (${error.message}); the server needs \`npm ci\``);
    }
    const { Chart, BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend } = library;
    Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend);
    chartModule = Chart;
  }
  return chartModule;
}

export function themeColors() {
  const style = getComputedStyle(document.documentElement);
  const read = (name) => style.getPropertyValue(name).trim();
  return {
    text: read("--text-muted"),
    grid: read("--border"),
    series: [read("--chart-1"), read("--chart-2"), read("--chart-3"), read("--chart-4")],
  };
}

export function shortDate(isoDate) {
  return isoDate.slice(5); // "2026-11-25" -> "11-25"
}

export function dataTable(caption, headers, rows) {
  return h("details", { class: "chart-data" },
    h("summary", { text: `${caption}: data table` }),
    scrollBox(h("div", { class: "table-scroll" },
      h("table", { class: "data-table" },
        h("caption", { class: "visually-hidden", text: caption }),
        h("thead", {}, h("tr", {}, headers.map((header) => h("th", { scope: "col", text: header })))),
        h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell, i) => (i === 0 ? h("th", { scope: "row", text: cell }) : h("td", { text: cell })))))),
      ),
    )),
  );
}

/**
 * A figure with a title, a canvas described in words, and the data as a table.
 * @returns {{figure: HTMLElement, canvas: HTMLCanvasElement}}
 */
export function chartFigure({ id, title, summary, headers, rows }) {
  const canvas = h("canvas", { role: "img", "aria-label": `${title}. ${summary}` });
  const figure = h("figure", { class: "chart", id },
    h("figcaption", {}, h("h2", { text: title }), h("p", { class: "chart-summary", text: summary })),
    h("div", { class: "chart-box" }, canvas),
    dataTable(title, headers, rows),
  );
  return { figure, canvas };
}

export function baseOptions(colors, { percent = false, stacked = false, horizontal = false } = {}) {
  const valueAxis = {
    beginAtZero: true,
    stacked,
    ticks: { color: colors.text, precision: 0, callback: percent ? (value) => `${value} %` : undefined },
    grid: { color: colors.grid },
    max: percent ? 100 : undefined,
  };
  const categoryAxis = { stacked, ticks: { color: colors.text, autoSkip: true, maxRotation: 0 }, grid: { display: false } };
  return {
    animation: false,
    responsive: true,
    datasets: { bar: { maxBarThickness: 48 } },
    maintainAspectRatio: false,
    indexAxis: horizontal ? "y" : "x",
    plugins: { legend: { display: stacked, labels: { color: colors.text } } },
    scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
  };
}

