// A numeric question: the prompt (the API's HTML with MathML), the given inputs as tables, one input
// per answer field laid out by the field's shape, hints revealed one at a time (key h), and after
// grading each field right, right given the person's own earlier values, or wrong (with the share of
// entries right and the expected value), the precision asked for, the misconception's feedback and the
// worked solution, step by step. A "Report a problem" form sends a note to the author.
// Grading is the API's: the page only checks that each entry is a number before sending it.

import { ApiError, describeError, idempotencyKey, post } from "./api.js";
import { announce, formField, h, insertApiHtml, scrollBox, setFieldMessage, uniqueId } from "./dom.js";
import { describeShape, formatNumber, shapeOf } from "./format.js";

// A plain decimal or scientific number: "-0.5", ".5", "1e-3", "+2.", with an optional sign.
const NUMBER_PATTERN = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Read one entry: `{value}` or `{error}` saying what is wrong with it.
 * @param {string} text what the person typed
 * @param {"float" | "int"} dtype
 */
export function parseEntry(text, dtype) {
  const cleaned = text.trim().replace(/\u2212/g, "-"); // a pasted typographic minus
  if (cleaned === "") return { error: "enter a number" };
  if (!NUMBER_PATTERN.test(cleaned)) return { error: `"${text.trim()}" is not a number` };
  const value = Number(cleaned);
  if (!Number.isFinite(value)) return { error: `"${text.trim()}" is too large` };
  if (dtype === "int" && !Number.isInteger(value)) return { error: `"${text.trim()}" is not a whole number` };
  return { value };
}

/** Every index of an array of `shape`, in row-major order ([[]] for a number). */
function indicesOf(shape) {
  return shape.reduce((indices, size) => indices.flatMap((prefix) => Array.from({ length: size }, (_, i) => [...prefix, i])), [[]]);
}

/** Where an entry sits, in words: "row 2, column 1". */
function positionName(index, shape) {
  if (shape.length === 0) return "";
  if (shape.length === 1) return `entry ${index[0] + 1}`;
  if (shape.length === 2) return `row ${index[0] + 1}, column ${index[1] + 1}`;
  return `index (${index.map((i) => i + 1).join(", ")})`;
}

function nest(values, shape) {
  if (shape.length === 0) return values[0];
  const [size, ...rest] = shape;
  const stride = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: size }, (_, i) => nest(values.slice(i * stride, (i + 1) * stride), rest));
}

/** A read-only view of a value: a number, a one-row table for a vector, a grid for a matrix. */
export function valueView(value, { caption, label } = {}) {
  const shape = shapeOf(value);
  if (shape.length === 0) {
    return h("span", { class: "value-scalar", "aria-label": label ?? null, text: formatNumber(value) });
  }
  const rows = shape.length === 1 ? [value] : shape.length === 2 ? value : value.map((entry) => [JSON.stringify(entry)]);
  return scrollBox(h("div", { class: "table-scroll" },
    h("table", { class: "value-table" },
      caption ? h("caption", { text: caption }) : null,
      h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell) => h("td", { text: formatNumber(cell) }))))),
    ),
  ));
}

function inputsView(inputs) {
  const entries = Object.entries(inputs);
  const scalars = entries.filter(([, value]) => !Array.isArray(value));
  const arrays = entries.filter(([, value]) => Array.isArray(value));
  return h("section", { class: "given", "aria-label": "Given values" },
    h("h3", { text: "Given" }),
    scalars.length
      ? h("dl", { class: "given-scalars" },
          scalars.map(([name, value]) => [h("dt", {}, h("code", { text: name })), h("dd", { text: formatNumber(value) })]),
        )
      : null,
    arrays.map(([name, value]) => valueView(value, { caption: `${name} (${describeShape(shapeOf(value))})` })),
  );
}

/** One answer field: a box, a row of boxes or a grid of boxes, and the message slot beside it. */
function answerFieldView(field) {
  const messageId = uniqueId(`answer-${field.name}-message`);
  const inputs = indicesOf(field.shape).map((index) => {
    const where = positionName(index, field.shape);
    return h("input", {
      class: "answer-cell",
      type: "text",
      inputmode: "text",
      autocomplete: "off",
      autocapitalize: "none",
      spellcheck: "false",
      size: "7",
      "aria-label": where ? `${field.name}, ${where}` : field.name,
      "aria-describedby": messageId,
      dataset: { field: field.name, index: index.join(",") },
    });
  });
  const columns = field.shape.length === 0 ? 1 : field.shape[field.shape.length - 1];
  const grid = h("div", { class: `answer-grid rank-${Math.min(field.shape.length, 2)}`, style: null }, inputs);
  grid.style.setProperty("--columns", String(columns));
  const kind = field.dtype === "int" ? "whole numbers" : "numbers";
  const legend = field.shape.length === 0 && field.dtype === "int" ? "a whole number" : describeShape(field.shape);
  const container = h("fieldset", { class: "answer-field", dataset: { field: field.name } },
    h("legend", {}, h("code", { text: field.name }), ` — ${legend}${field.shape.length ? ` (${kind})` : ""}`),
    h("div", { class: "table-scroll" }, grid),
    h("p", { class: "field-message", id: messageId }),
    h("div", { class: "field-result", hidden: true }),
  );
  return { field, container, inputs, message: container.querySelector(".field-message") };
}

/** The answer as nested lists, or the problems found, each shown beside its field. */
function readAnswer(fieldViews) {
  const answer = {};
  let firstInvalid = null;
  for (const view of fieldViews) {
    const problems = [];
    const values = view.inputs.map((input) => {
      const parsed = parseEntry(input.value, view.field.dtype);
      if (parsed.error) {
        const where = positionName(input.dataset.index.split(",").filter(Boolean).map(Number), view.field.shape);
        problems.push(where ? `${where}: ${parsed.error}` : parsed.error);
        input.setAttribute("aria-invalid", "true");
        firstInvalid ??= input;
      } else {
        input.removeAttribute("aria-invalid");
      }
      return parsed.value;
    });
    view.message.textContent = problems.length ? `${problems.join("; ")}.` : "";
    answer[view.field.name] = nest(values, view.field.shape);
  }
  return { answer, firstInvalid };
}

const RATING_NAMES = { 1: "Again", 2: "Hard", 3: "Good", 4: "Easy" };

function misconceptionName(id) {
  return id.replace(/^[^.]*\./, "").replace(/[-_]/g, " ");
}

function recordedText(review) {
  const text = `Recorded as ${RATING_NAMES[review.rating]} for this card`;
  return review.hints_used ? `${text} (after a hint a review counts at most Hard).` : `${text}.`;
}

function gradeView(attempt, precisionNote) {
  const { grade } = attempt;
  const verdict = grade.correct ? "Correct" : grade.score > 0 ? "Partly correct" : "Not correct";
  return h("section", { class: `grade ${grade.correct ? "is-correct" : "is-wrong"}`, "aria-label": "Result" },
    h("h3", { text: `${verdict} (${Math.round(grade.score * 100)} %)` }),
    precisionNote ? h("p", { class: "precision-note" }, h("strong", { text: "Precision: " }), precisionNote) : null,
    grade.misconception
      ? h("div", { class: "misconception" },
          h("p", { class: "misconception-name" }, "Misconception: ", h("strong", { text: misconceptionName(grade.misconception) })),
          h("p", { class: "feedback", text: grade.feedback }),
        )
      : h("p", { class: "feedback", text: grade.feedback }),
    attempt.review ? h("p", { class: "recorded", text: recordedText(attempt.review) }) : null,
  );
}

function solutionView(steps) {
  return h("section", { class: "solution", "aria-label": "Worked solution" },
    h("h3", { text: "Worked solution" }),
    h("ol", { class: "steps" },
      steps.map((step) => h("li", {}, h("p", { class: "step-name" }, h("code", { text: step.name })), insertApiHtml(h("div", { class: "step-body api-html" }), step.html))),
    ),
  );
}

// A field's verdict: `status` from the API (older answers only say `correct`).
const VERDICTS = {
  right: { text: "✓ Right", classes: ["is-correct"] },
  right_given_your_values: { text: "✓ Right given your values", classes: ["is-correct", "is-carried"] },
  wrong: { text: "✗ Wrong", classes: ["is-wrong"] },
};

function markFields(fieldViews, grade) {
  for (const view of fieldViews) {
    const result = grade.fields[view.field.name];
    if (!result) continue;
    const status = result.status ?? (result.correct ? "right" : "wrong");
    const verdict = VERDICTS[status] ?? VERDICTS.wrong;
    const slot = view.container.querySelector(".field-result");
    view.container.classList.add(...verdict.classes);
    view.container.dataset.status = status;
    slot.hidden = false;
    slot.append(h("p", { class: "field-verdict", text: verdict.text }));
    if (status === "right_given_your_values") {
      slot.append(h("p", { class: "field-note", text: "Computed correctly from your own earlier values, so the earlier slip costs only once." }));
    }
    if (status === "wrong" && result.entries > 1) {
      slot.append(h("p", { class: "field-credit", text: `${result.entries_right} of ${result.entries} entries right` }));
    }
    if (status !== "right") {
      const label = status === "wrong" ? "Expected: " : "Reference (from the right earlier values): ";
      slot.append(h("div", { class: "expected" }, h("span", { text: label }), valueView(result.expected, { label: `expected ${view.field.name}` })));
    }
    for (const input of view.inputs) input.readOnly = true;
  }
}

/** The hints revealed so far, and a button for the next one (key h) while there is one. */
function hintsView(question) {
  const list = h("ol", { class: "hint-list" });
  const message = h("p", { class: "form-message hints-message", role: "alert" });
  const section = h("section", { class: "hints", "aria-label": "Hints" },
    h("h3", { text: "Hints" }),
    list,
    message,
  );
  const count = h("span", { class: "hints-left" });
  const button = h("button", { type: "button", class: "hint-button", "aria-keyshortcuts": "h" }, "Hint ", count, " ", h("kbd", { "aria-hidden": "true", text: "h" }));
  let shown = 0;
  let key = idempotencyKey(); // kept until a reveal succeeds, so a retried click reveals one hint

  function show(hints, total) {
    for (const hint of hints.slice(shown)) {
      list.append(h("li", { dataset: { number: hint.number } }, insertApiHtml(h("div", { class: "api-html" }), hint.html)));
    }
    shown = hints.length;
    section.hidden = shown === 0;
    const left = total - shown;
    count.textContent = `(${left} left)`;
    button.disabled = left <= 0;
    button.title = left > 0 ? `Reveal hint ${shown + 1} of ${total} (key h)` : "Every hint is shown";
  }
  show(question.hints ?? [], question.hints_total ?? 0);
  button.hidden = !question.hints_total;

  async function reveal() {
    if (button.hidden || button.disabled) return;
    button.disabled = true;
    message.textContent = "";
    try {
      const result = await post(`/questions/${encodeURIComponent(question.id)}/hints`, { idempotencyKey: key });
      key = idempotencyKey();
      show(result.hints, result.total);
      announce(`Hint ${result.hints.length} of ${result.total}: ${list.lastElementChild?.textContent ?? ""}`);
    } catch (error) {
      button.disabled = false;
      if (error instanceof ApiError && error.status === 409) {
        key = idempotencyKey();
        button.disabled = true;
      }
      message.textContent = describeError(error);
      section.hidden = false;
    }
  }
  button.addEventListener("click", reveal);
  return { section, button, reveal };
}

/** A "Report a problem" disclosure: a short note to the author about this question. */
function reportView(question) {
  const text = h("textarea", { rows: "3", maxlength: "1000", required: true });
  const send = h("button", { type: "submit", text: "Send report" });
  const formMessage = h("p", { class: "form-message", role: "alert" });
  const details = h("details", { class: "report" }, h("summary", { text: "Report a problem with this question" }));

  async function onSubmit(event) {
    event.preventDefault();
    const note = text.value.trim();
    if (note.length < 3) {
      setFieldMessage(text, "Say in a few words what is wrong (at least 3 characters).");
      text.focus();
      return;
    }
    setFieldMessage(text, "");
    formMessage.textContent = "";
    send.disabled = true;
    try {
      await post(`/questions/${encodeURIComponent(question.id)}/reports`, { json: { text: note } });
      const thanks = h("p", { class: "report-sent", role: "status", tabindex: "-1", text: "Thank you: your report was sent to the author." });
      form.replaceWith(thanks);
      thanks.focus();
    } catch (error) {
      send.disabled = false;
      if (error instanceof ApiError && error.field === "text") setFieldMessage(text, error.fieldMessage);
      else formMessage.textContent = describeError(error);
    }
  }

  const form = h("form", { class: "report-form stack", novalidate: true, on: { submit: onSubmit } },
    formField({ label: "What is wrong?", control: text, help: "Your last answer, the question's inputs and its seed are sent with it." }),
    formMessage,
    send,
  );
  details.append(form);
  return details;
}

/**
 * Render a question into `container`.
 * @param {HTMLElement} container
 * @param {object} question QuestionRead
 * @param {{onGraded?: (attempt: object) => void, submitAnswer?: (answer: object) => Promise<object>}} [options]
 *   `submitAnswer` sends the answer elsewhere (a mock interview) and resolves to `{grade, solution, review}`.
 * @returns {{focus: () => void}}
 */
export { gradeView, misconceptionName };

export function renderQuestion(container, question, { onGraded, submitAnswer } = {}) {
  const fieldViews = question.generator.answer_fields.map(answerFieldView);
  const submit = h("button", { type: "submit", class: "primary", text: "Check answer" });
  const formMessage = h("p", { class: "form-message", role: "alert" });
  const results = h("div", { class: "results" });
  const hints = hintsView(question);
  const actions = h("div", { class: "actions" }, submit, hints.button, h("span", { class: "hint", text: question.hints_total ? "Enter checks the answer · h shows a hint" : "Enter checks the answer" }));
  const key = idempotencyKey(); // one per question shown, so a resent answer is graded once
  let graded = false;

  async function onSubmit(event) {
    event.preventDefault();
    if (graded || submit.disabled) return;
    formMessage.textContent = "";
    const { answer, firstInvalid } = readAnswer(fieldViews);
    if (firstInvalid) {
      formMessage.textContent = "Some entries are not numbers; fix the ones marked and check again.";
      firstInvalid.focus();
      return;
    }
    submit.disabled = true;
    try {
      const attempt = submitAnswer
        ? await submitAnswer(answer)
        : await post(`/questions/${encodeURIComponent(question.id)}/answers`, { json: { answer }, idempotencyKey: key });
      graded = true;
      markFields(fieldViews, attempt.grade);
      actions.hidden = true;
      results.append(gradeView(attempt, question.precision_note), solutionView(attempt.solution));
      announce(attempt.grade.correct ? "Correct." : `Not correct. ${attempt.grade.feedback}`);
      onGraded?.(attempt);
    } catch (error) {
      submit.disabled = false;
      const named = error instanceof ApiError && error.status === 422 ? fieldViews.find((view) => error.detail.includes(`'${view.field.name}'`)) : null;
      if (named) named.message.textContent = describeError(error);
      formMessage.textContent = describeError(error);
    }
  }

  // h never belongs in a number, so in an answer box it asks for a hint instead of typing a letter.
  function onFormKey(event) {
    if ((event.key === "h" || event.key === "H") && !event.ctrlKey && !event.metaKey && !event.altKey && !graded) {
      event.preventDefault();
      hints.reveal();
    }
  }

  const form = h("form", { class: "answer-form", novalidate: true, dataset: { questionId: question.id }, on: { submit: onSubmit, keydown: onFormKey } },
    h("h3", { text: "Your answer" }),
    fieldViews.map((view) => view.container),
    formMessage,
    actions,
  );
  container.append(
    h("div", { class: "question" },
      h("p", { class: "question-title" }, h("span", { class: "tag", text: question.generator.topic }), ` ${question.generator.title}`),
      insertApiHtml(h("div", { class: "prompt api-html" }), question.prompt.html),
      inputsView(question.inputs),
      hints.section,
      form,
      results,
      reportView(question),
    ),
  );
  return {
    focus: () => fieldViews[0]?.inputs[0]?.focus(),
    /** Reveal the next hint (the page's h key); nothing once the answer is graded. */
    revealHint: () => (graded ? undefined : hints.reveal()),
    get graded() {
      return graded;
    },
  };
}
