// Building the page: every text goes in through textContent; `insertApiHtml` is the one place that
// uses innerHTML, and only for the API fields the API renders and escapes itself (card sides, question
// prompts, solution steps).

/**
 * Create an element.
 * @param {string} tag
 * @param {object} [props] `class`, `text`, `html` is not accepted; `on` maps events to handlers;
 *   `dataset` sets data-*; anything else is an attribute (false/null/undefined are skipped).
 * @param {...(Node|string|null|undefined|false|Array)} children
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === "class") element.className = value;
    else if (key === "text") element.textContent = String(value);
    else if (key === "on") for (const [event, handler] of Object.entries(value)) element.addEventListener(event, handler);
    else if (key === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
  return parent;
}

/**
 * A container holding HTML the API rendered from markdown and escaped (CardSide.html, Prompt.html,
 * StepRead.html): the only trusted HTML on the page.
 */
export function insertApiHtml(element, apiHtml) {
  element.innerHTML = apiHtml;
  return scrollBox(element);
}

// A box that scrolls sideways (a wide formula or matrix on a phone) must be reachable by keyboard to be
// scrolled: it becomes a tab stop while it overflows, unless it holds controls of its own.
const overflowWatcher = new ResizeObserver((entries) => {
  for (const { target } of entries) {
    const overflowing = target.scrollWidth > target.clientWidth + 1;
    const hasControls = target.querySelector("a, button, input, select, textarea, [tabindex]") !== null;
    if (overflowing && !hasControls) target.tabIndex = 0;
    else if (target.getAttribute("tabindex") === "0") target.removeAttribute("tabindex");
  }
});

/** Mark `element` as a sideways-scrolling box (class "scroll-x") kept reachable by keyboard. */
export function scrollBox(element) {
  element.classList.add("scroll-x");
  overflowWatcher.observe(element);
  return element;
}

/** Say something to screen readers without moving focus. */
export function announce(message) {
  const status = document.getElementById("status");
  status.textContent = "";
  // A fresh text node after a tick, so the same message twice is announced twice.
  setTimeout(() => {
    status.textContent = message;
  }, 30);
}

let uniqueCounter = 0;
/** An id unique on this page, for label/aria wiring. */
export function uniqueId(prefix) {
  uniqueCounter += 1;
  return `${prefix}-${uniqueCounter}`;
}

/** Whether a key event was typed into a text control (where shortcuts must not fire). */
export function isTyping(event) {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

/** A labelled form field: label, control, and a message slot wired with aria-describedby. */
export function formField({ label, control, help }) {
  const id = control.id || uniqueId("field");
  control.id = id;
  const messageId = `${id}-message`;
  const helpId = help ? `${id}-help` : null;
  control.setAttribute("aria-describedby", [helpId, messageId].filter(Boolean).join(" "));
  return h(
    "div",
    { class: "form-field" },
    h("label", { for: id, text: label }),
    control,
    help ? h("p", { class: "help", id: helpId, text: help }) : null,
    h("p", { class: "field-message", id: messageId }),
  );
}

/** Show (or clear, with "") the message beside a control made by `formField`. */
export function setFieldMessage(control, message) {
  const slot = document.getElementById(`${control.id}-message`);
  if (slot) slot.textContent = message;
  if (message) control.setAttribute("aria-invalid", "true");
  else control.removeAttribute("aria-invalid");
}

/** Show a message above the page (an error the page could not place anywhere better); null hides it. */
export function showBanner(message) {
  const banner = document.getElementById("banner");
  banner.hidden = !message;
  banner.textContent = message ?? "";
}
