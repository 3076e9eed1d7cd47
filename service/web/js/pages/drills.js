// Numeric drills: free practice on the question generators, outside the study schedule: pick one, answer a
// fresh instance (h reveals a hint), read the worked solution, ask for another.

import { describeError, get, post } from "../api.js";
import { h, isTyping, replace } from "../dom.js";
import { renderQuestion } from "../numeric.js";
import { href, navigate } from "../router.js";

function catalogView(generators) {
  const topics = new Map();
  for (const generator of generators) topics.set(generator.topic, [...(topics.get(generator.topic) ?? []), generator]);
  return h("div", { class: "catalog" },
    [...topics].map(([topic, items]) =>
      h("section", { class: "topic", "aria-labelledby": `topic-${topic}` },
        h("h2", { id: `topic-${topic}`, text: topic }),
        h("ul", { class: "link-list" },
          items.map((generator) => h("li", {}, h("a", { href: href("/drills", { generator: generator.id }), text: generator.title }))),
        ),
      ),
    ),
  );
}

export async function render(view, params) {
  if (!params.generator) {
    view.append(h("h1", { text: "Numeric drills" }), h("p", { text: "Numeric questions with worked solutions, outside your study schedule." }));
    try {
      view.append(catalogView((await get("/generators")).items));
    } catch (error) {
      view.append(h("p", { class: "error-box", role: "alert", text: describeError(error) }));
    }
    return;
  }

  const stage = h("div", { class: "stage" });
  const another = h("button", { type: "button", text: "New question", on: { click: () => navigate("/drills", { generator: params.generator, n: Date.now() }) } });
  view.append(
    h("div", { class: "study-header" }, h("h1", { text: "Numeric drills" }), h("a", { href: href("/drills"), text: "All generators" })),
    stage,
  );
  try {
    const question = await post(`/generators/${encodeURIComponent(params.generator)}/questions`);
    const rendered = renderQuestion(stage, question, {
      onGraded: () => {
        stage.append(h("div", { class: "actions" }, another));
        another.focus({ preventScroll: true });
      },
    });
    rendered.focus();
    // h anywhere on the page asks for a hint (in an answer box the question handles it itself).
    const onKey = (event) => {
      if (event.key !== "h" && event.key !== "H") return;
      if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event)) return;
      event.preventDefault();
      rendered.revealHint();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  } catch (error) {
    replace(stage, h("p", { class: "error-box", role: "alert", text: describeError(error) }), h("a", { href: href("/drills"), text: "Back to all generators" }));
  }
}
