// The settings page's two FSRS tools: fit the scheduler's weights to the user's own review log
// (POST /me/optimize, with log loss and RMSE before and after) and the workload simulator
// (GET /me/simulate: predicted reviews per day at a few desired retentions, as a small chart).

import { describeError, get, post } from "../api.js";
import { baseOptions, chartFigure, loadChart, themeColors } from "../charts.js";
import { h, replace } from "../dom.js";

const RETENTIONS = [0.8, 0.85, 0.9, 0.95];

function figure(value) {
  return value.toFixed(4);
}

function fitResult(result) {
  const row = (label, evaluation) => h("tr", {}, h("th", { scope: "row", text: label }), h("td", { text: figure(evaluation.log_loss) }), h("td", { text: figure(evaluation.rmse) }));
  return [
    h("p", { class: "help", text: `Fitted to ${result.training_items} of your ${result.reviews} reviews; lower is better.` }),
    h("table", { class: "data-table fit-table" },
      h("caption", { class: "visually-hidden", text: "Log loss and RMSE of the weights before and after fitting" }),
      h("thead", {}, h("tr", {}, ["Weights", "Log loss", "RMSE"].map((text) => h("th", { scope: "col", text })))),
      h("tbody", {}, row("Before", result.before), row("Fitted", result.after)),
    ),
    h("p", { class: "form-message", role: "status", text: result.applied ? "Your next reviews are scheduled with the fitted weights." : "The fitted weights did not predict your reviews better; the old ones stay." }),
  ];
}

/**
 * "Fit to my memory": the button, then the before/after figures or the API's reason (409: too few reviews).
 * @param {() => void} onApplied called when the fitted weights were stored (the workload changes with them)
 */
export function optimizerSection(onApplied) {
  const output = h("div", { class: "fit-output", "aria-live": "polite" });
  const button = h("button", {
    type: "button",
    class: "primary",
    text: "Optimize my scheduler",
    on: {
      click: async () => {
        button.disabled = true;
        replace(output, h("p", { class: "loading", text: "Fitting FSRS to your reviews…" }));
        try {
          const result = await post("/me/optimize");
          replace(output, ...fitResult(result));
          if (result.applied) onApplied();
        } catch (error) {
          replace(output, h("p", { class: "error-box", role: "alert", text: describeError(error) }));
        } finally {
          button.disabled = false;
        }
      },
    },
  });
  return h("section", { class: "stack fsrs-tool", id: "fsrs-optimize" },
    h("h2", { text: "Fit the scheduler to your memory" }),
    h("p", { class: "help", text: "FSRS's optimizer (the one Anki uses) learns its weights from your own review history. The new weights apply from your next review on." }),
    button,
    output,
  );
}

/**
 * The predicted daily reviews at a few retentions, loaded when the page opens.
 * @returns {{section: HTMLElement, refresh: () => Promise<void>}} refresh simulates again (new weights)
 */
export function workloadSection() {
  const body = h("div", { class: "workload-body" });
  const section = h("section", { class: "stack fsrs-tool", id: "fsrs-workload" },
    h("h2", { text: "Workload at other retentions" }),
    body,
  );
  let chart = null;
  async function refresh() {
    replace(body, h("p", { class: "loading", text: "Simulating your workload…" }));
    let workload;
    let Chart;
    try {
      [workload, Chart] = await Promise.all([get("/me/simulate", { query: { retention: RETENTIONS.join(",") } }), loadChart()]);
    } catch (error) {
      replace(body, h("p", { class: "error-box", role: "alert", text: describeError(error) }));
      return;
    }
    const series = workload.retentions;
    const summary = series.map((s) => `${Math.round(s.retention * 100)} %: ${s.mean_30.toFixed(0)} a day over 30 days, ${s.mean_90.toFixed(0)} over 90`).join("; ");
    const { figure: chartBox, canvas } = chartFigure({
      id: "chart-workload",
      title: "Predicted reviews per day",
      summary: `Simulated by FSRS for your ${workload.deck_size} cards at ${workload.new_cards_per_day} new a day. ${summary}.`,
      headers: ["Desired retention", "Mean per day, 30 days", "Mean per day, 90 days"],
      rows: series.map((s) => [`${Math.round(s.retention * 100)} %`, s.mean_30.toFixed(1), s.mean_90.toFixed(1)]),
    });
    replace(body, chartBox);
    const colors = themeColors();
    const options = baseOptions(colors);
    options.plugins.legend.display = true;
    chart?.destroy();
    chart = new Chart(canvas, {
      type: "line",
      data: {
        labels: Array.from({ length: workload.days }, (_, day) => `day ${day + 1}`),
        datasets: series.map((s, i) => ({
          label: `${Math.round(s.retention * 100)} %`,
          data: s.reviews_per_day,
          borderColor: colors.series[i % colors.series.length],
          backgroundColor: colors.series[i % colors.series.length],
          pointRadius: 0,
          borderWidth: 2,
        })),
      },
      options,
    });
  }
  refresh();
  return { section, refresh };
}
