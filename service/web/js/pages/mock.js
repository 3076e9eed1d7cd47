// A mock interview: a timed, mixed set of questions drawn by the API toward weak cards. A conceptual
// question is answered aloud (or in notes), then the answer is revealed as a checklist of its key points
// and the candidate ticks what they covered; a numeric question is graded by the verifier. The timer runs
// here, the deadline is the server's: when a question's time runs out it is sent as skipped, and the API
// refuses answers after the interview's deadline. The end report comes from GET /mock-interviews/{id}.
// Keys: Space reveals the answer, Enter submits the ticks or checks a numeric answer, Space goes on.

import { ApiError, describeError, get, idempotencyKey, post } from "../api.js";
import { announce, formField, h, insertApiHtml, isTyping, replace, scrollBox } from "../dom.js";
import { formatPercent } from "../format.js";
import { misconceptionName, renderQuestion } from "../numeric.js";
import { href, navigate } from "../router.js";

const RATING_NAMES = { 1: "Again", 2: "Hard", 3: "Good", 4: "Easy" };

function clock(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function side(label, html, extraClass) {
  return h("section", { class: `card-side ${extraClass}`, "aria-label": label }, insertApiHtml(h("div", { class: "api-html" }), html));
}

function startView(view) {
  const length = h("input", { type: "number", min: "1", max: "30", step: "1", value: "10", inputmode: "numeric" });
  const seconds = h("input", { type: "number", min: "15", max: "900", step: "15", value: "120", inputmode: "numeric" });
  const status = h("p", { class: "form-message", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary", text: "Start the interview" });
  async function onSubmit(event) {
    event.preventDefault();
    submit.disabled = true;
    status.textContent = "";
    try {
      const interview = await post("/mock-interviews", { json: { length: Number(length.value), seconds_per_question: Number(seconds.value) } });
      navigate("/mock", { id: interview.id });
    } catch (error) {
      submit.disabled = false;
      status.textContent = describeError(error);
    }
  }
  view.append(
    h("h1", { text: "Mock interview" }),
    h("p", { text: "A timed set of questions across all decks, weighted toward the cards you find hard: explain conceptual answers aloud (or type notes), then tick the key points you covered; work numeric ones out and enter the result. Misses go back into your review queue." }),
    h("form", { class: "settings-form mock-start", novalidate: true, on: { submit: onSubmit } },
      formField({ label: "Questions", control: length, help: "From 1 to 30." }),
      formField({ label: "Seconds per question", control: seconds, help: "From 15 to 900; two minutes is typical." }),
      status,
      h("div", { class: "actions" }, submit),
    ),
  );
  length.focus();
}

function reportView(interview) {
  const report = interview.report;
  const rows = interview.questions.map((question, index) => {
    const result = question.result;
    const verdict = !result ? "not answered" : result.skipped ? "time ran out" : result.correct ? "covered" : "missed";
    return h("tr", {},
      h("th", { scope: "row", text: String(index + 1) }),
      h("td", { text: question.topic }),
      h("td", { text: question.kind }),
      h("td", { text: result ? formatPercent(result.score) : "—" }),
      h("td", { text: report.seconds_per_question[index] == null ? "—" : `${Math.round(report.seconds_per_question[index])} s` }),
      h("td", { text: verdict }),
    );
  });
  return h("section", { class: "mock-report", "aria-labelledby": "report-title" },
    h("h2", { id: "report-title", tabindex: "-1", text: `Report: ${formatPercent(report.score)} overall` }),
    h("p", { text: `${report.answered} of ${interview.length} questions answered.` }),
    scrollBox(h("div", { class: "table-scroll" },
      h("table", { class: "data-table mock-topics" },
        h("caption", { text: "Score per topic" }),
        h("thead", {}, h("tr", {}, ["Topic", "Questions", "Answered", "Score"].map((text) => h("th", { scope: "col", text })))),
        h("tbody", {}, report.topics.map((topic) => h("tr", {},
          h("th", { scope: "row", text: topic.topic }),
          h("td", { text: String(topic.questions) }),
          h("td", { text: String(topic.answered) }),
          h("td", { text: formatPercent(topic.score) }),
        ))),
      ),
    )),
    scrollBox(h("div", { class: "table-scroll" },
      h("table", { class: "data-table mock-questions" },
        h("caption", { text: "Time per question" }),
        h("thead", {}, h("tr", {}, ["#", "Topic", "Kind", "Score", "Time", "Result"].map((text) => h("th", { scope: "col", text })))),
        h("tbody", {}, rows),
      ),
    )),
    h("h3", { text: "Misconceptions named" }),
    report.misconceptions.length
      ? h("ul", { class: "mock-misconceptions" }, report.misconceptions.map((item) =>
          h("li", {}, h("strong", { text: misconceptionName(item.id) }), ` (question ${item.position + 1}): ${item.feedback}`)))
      : h("p", { text: "None." }),
    h("h3", { text: "Back into your review queue" }),
    report.reviews.length
      ? h("ul", { class: "mock-reviews" }, report.reviews.map((item) =>
          h("li", {}, h("code", { text: item.card_id }), ` rated ${RATING_NAMES[item.rating]}`)))
      : h("p", { text: "Nothing: no question was missed." }),
    report.misconceptions.length
      ? h("p", {}, "Each misconception gets a remediation drill in ", h("a", { href: href("/study"), text: "Study" }), " about ten minutes from now.")
      : null,
    h("div", { class: "actions" }, h("a", { class: "button", href: href("/mock"), text: "Start another" })),
  );
}

export async function render(view, params) {
  if (!params.id) {
    startView(view);
    return;
  }
  const timer = h("p", { class: "mock-timer", role: "timer", "aria-live": "off", "aria-label": "Time left for this question" });
  const progress = h("p", { class: "mock-progress" });
  const stage = h("div", { class: "stage" });
  const notice = h("p", { class: "notice", role: "status" });
  const finishButton = h("button", { type: "button", text: "Finish now", on: { click: () => finish() } });
  view.append(
    h("div", { class: "study-header" }, h("h1", { text: "Mock interview" }), finishButton),
    h("div", { class: "mock-bar" }, progress, timer),
    notice,
    stage,
    h("p", { class: "keys-help" }, h("kbd", { text: "Space" }), " reveal the answer · ", h("kbd", { text: "Enter" }), " submit · ", h("kbd", { text: "Space" }), " next question"),
  );

  let interview;
  let index = 0;
  let state = "loading"; // "question" | "revealed" | "answered" | "report" | "error"
  let tick = null;
  let busy = false;
  let onReveal = null;
  let onSubmitTicks = null;
  let answerKey = null; // one per question shown, so a resent answer is recorded once

  function setState(next) {
    state = next;
    stage.dataset.state = next;
  }

  function stopTimer() {
    clearInterval(tick);
    tick = null;
  }

  function startTimer(onTimeUp) {
    stopTimer();
    const ends = Date.now() + interview.seconds_per_question * 1000;
    let warned = false;
    const update = () => {
      const left = (ends - Date.now()) / 1000;
      timer.textContent = `${clock(left)} left`;
      timer.classList.toggle("is-low", left <= 15);
      if (left <= 15 && !warned) {
        warned = true;
        announce("15 seconds left.");
      }
      if (left <= 0) {
        stopTimer();
        onTimeUp();
      }
    };
    update();
    tick = setInterval(update, 250);
  }

  async function sendAnswer(body) {
    return post(`/mock-interviews/${encodeURIComponent(interview.id)}/answers`, { json: { position: index, ...body }, idempotencyKey: answerKey });
  }

  function goOn() {
    index += 1;
    if (index >= interview.questions.length) showReport();
    else showQuestion();
  }

  function nextButton() {
    const last = index + 1 >= interview.questions.length;
    const button = h("button", { type: "button", class: "primary mock-next", "aria-keyshortcuts": "Space", on: { click: () => goOn() } }, last ? "See the report " : "Next question ", h("kbd", { text: "Space" }));
    stage.append(h("div", { class: "actions" }, button));
    button.focus({ preventScroll: true });
  }

  async function skip() {
    if (busy || state === "answered") return;
    busy = true;
    try {
      await sendAnswer({ skipped: true });
      setState("answered");
      notice.textContent = "Time is up for this question: it counts as missed.";
      stage.querySelectorAll("button, input, textarea").forEach((control) => { control.disabled = true; });
      nextButton();
    } catch (error) {
      handleError(error);
    } finally {
      busy = false;
    }
  }

  function handleError(error) {
    if (error instanceof ApiError && error.status === 409) {
      notice.textContent = `${describeError(error)} Showing the report.`;
      showReport();
    } else {
      notice.textContent = describeError(error);
    }
  }

  function showQuestion() {
    const question = interview.questions[index];
    notice.textContent = "";
    progress.textContent = `Question ${index + 1} of ${interview.questions.length} · ${question.topic}`;
    setState("question");
    answerKey = idempotencyKey();
    onReveal = null;
    onSubmitTicks = null;
    const article = h("article", { class: `card mock-card kind-${question.kind}`, dataset: { position: String(question.position), cardId: question.card.id } },
      side("Question", question.card.front.html, "front"),
    );
    replace(stage, article);
    if (question.kind === "numeric") {
      const holder = h("div", { class: "question-holder" });
      article.append(holder);
      const rendered = renderQuestion(holder, question.question, {
        submitAnswer: async (answer) => {
          const answered = await sendAnswer({ answer });
          return { grade: answered.result.grade, solution: answered.result.solution, review: answered.result.review_rating ? { rating: answered.result.review_rating } : null };
        },
        onGraded: () => {
          stopTimer();
          setState("answered");
          nextButton();
        },
      });
      rendered.focus();
      startTimer(() => { if (!rendered.graded) skip(); });
      return;
    }
    const notes = h("textarea", { rows: "4", class: "mock-notes" });
    const reveal = h("button", { type: "button", class: "primary", "aria-keyshortcuts": "Space", on: { click: () => onReveal() } }, "Reveal the answer ", h("kbd", { text: "Space" }));
    article.append(
      formField({ label: "Your notes (optional; answering aloud is fine)", control: notes }),
      h("div", { class: "actions" }, reveal),
    );
    onReveal = () => {
      if (state !== "question") return;
      setState("revealed");
      reveal.parentElement.remove();
      const boxes = question.key_points.map((point, i) => h("input", { type: "checkbox", id: `key-point-${i}`, value: String(i) }));
      const submit = h("button", { type: "submit", class: "primary", text: "Submit what I covered" });
      const form = h("form", { class: "key-points", on: { submit: (event) => { event.preventDefault(); onSubmitTicks(); } } },
        h("fieldset", {},
          h("legend", { text: "Tick the key points you covered" }),
          h("ul", { class: "checklist" }, question.key_points.map((point, i) => h("li", {}, boxes[i], " ", h("label", { for: `key-point-${i}`, text: point })))),
        ),
        h("div", { class: "actions" }, submit, h("span", { class: "hint", text: "Enter submits" })),
      );
      const answer = side("Answer", question.card.back.html, "back");
      article.append(answer, form);
      (boxes[0] ?? submit).focus({ preventScroll: true });
      onSubmitTicks = async () => {
        if (busy || state !== "revealed") return;
        busy = true;
        submit.disabled = true;
        try {
          const covered = boxes.filter((box) => box.checked).map((box) => Number(box.value));
          const answered = await sendAnswer({ covered });
          stopTimer();
          setState("answered");
          for (const box of boxes) box.disabled = true;
          form.querySelector(".actions").remove();
          const result = answered.result;
          form.append(h("p", { class: `mock-verdict ${result.correct ? "is-correct" : "is-wrong"}`, text: `${covered.length} of ${question.key_points.length} key points covered${result.review_rating ? ": back into your queue as Again." : "."}` }));
          announce(`${covered.length} of ${question.key_points.length} key points covered.`);
          nextButton();
        } catch (error) {
          submit.disabled = false;
          handleError(error);
        } finally {
          busy = false;
        }
      };
    };
    reveal.focus();
    startTimer(() => { if (state === "question") skip(); });
  }

  async function showReport() {
    stopTimer();
    setState("loading");
    try {
      interview = await get(`/mock-interviews/${encodeURIComponent(interview.id)}`);
      if (!interview.report) interview = await post(`/mock-interviews/${encodeURIComponent(interview.id)}/finish`);
    } catch (error) {
      setState("error");
      replace(stage, h("p", { class: "error-box", role: "alert", text: describeError(error) }));
      return;
    }
    finishButton.hidden = true;
    timer.textContent = "";
    progress.textContent = "Finished";
    replace(stage, reportView(interview));
    setState("report");
    stage.querySelector("#report-title").focus();
  }

  async function finish() {
    if (!interview || state === "report") return;
    showReport();
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    // Enter on a ticked (or unticked) key point submits the checklist, as it would in a text field.
    if (event.key === "Enter" && state === "revealed" && event.target instanceof HTMLInputElement && event.target.type === "checkbox") {
      event.preventDefault();
      onSubmitTicks?.();
      return;
    }
    if (isTyping(event)) return;
    const onControl = event.target instanceof HTMLElement && event.target.closest("button, a, summary");
    if (event.key !== " " || onControl) return;
    if (state === "question" && onReveal) {
      event.preventDefault();
      onReveal();
    } else if (state === "answered") {
      event.preventDefault();
      goOn();
    }
  }

  try {
    interview = await get(`/mock-interviews/${encodeURIComponent(params.id)}`);
  } catch (error) {
    setState("error");
    replace(stage, h("p", { class: "error-box", role: "alert", text: describeError(error) }), h("a", { href: href("/mock"), text: "Start a mock interview" }));
    return;
  }
  index = interview.questions.findIndex((question) => !question.result);
  if (interview.report || index < 0) showReport();
  else showQuestion();
  document.addEventListener("keydown", onKey);
  return () => {
    document.removeEventListener("keydown", onKey);
    stopTimer();
  };
}
