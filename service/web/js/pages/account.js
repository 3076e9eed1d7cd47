// Sign in and create an account: the API's token is kept by session.js; every API error lands beside
// the field it names, or above the form.

import { ApiError, describeError, post } from "../api.js";
import { formField, h, setFieldMessage } from "../dom.js";
import { currentPath, href } from "../router.js";
import { saveSession } from "../session.js";

const NOTICES = {
  "signed-out": "You are signed out.",
  expired: "Your session has ended. Sign in again to continue.",
};

async function signIn(username, password) {
  // Without any token the page may still hold: signing in is not a request of the old session.
  const token = await post("/auth/token", { form: { username, password }, token: null });
  saveSession({ token: token.access_token, username: username.toLowerCase(), expiresAt: token.expires_at });
}

export function render(view, params) {
  const registering = currentPath() === "/register";
  const username = h("input", { name: "username", autocomplete: "username", required: true, autocapitalize: "none", spellcheck: "false" });
  const password = h("input", {
    name: "password",
    type: "password",
    required: true,
    autocomplete: registering ? "new-password" : "current-password",
  });
  const formMessage = h("p", { class: "form-message", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary", text: registering ? "Create account" : "Sign in" });
  const fields = { username, password };

  async function onSubmit(event) {
    event.preventDefault();
    for (const control of Object.values(fields)) setFieldMessage(control, "");
    formMessage.textContent = "";
    submit.disabled = true;
    try {
      if (registering) await post("/auth/register", { json: { username: username.value, password: password.value }, token: null });
      await signIn(username.value, password.value);
      const next = params.next && params.next.startsWith("#/") ? params.next : href("/decks");
      window.location.hash = next;
    } catch (error) {
      const control = error instanceof ApiError ? fields[error.field] ?? (error.status === 409 ? username : null) : null;
      if (control) {
        setFieldMessage(control, error.field ? error.fieldMessage : describeError(error));
        control.focus();
      } else {
        formMessage.textContent = describeError(error);
      }
    } finally {
      submit.disabled = false;
    }
  }

  const notice = NOTICES[params.message];
  view.append(
    h("section", { class: "narrow" },
      h("h1", { text: registering ? "Create an account" : "Sign in" }),
      notice ? h("p", { class: "notice", role: "status", text: notice }) : null,
      h("form", { class: "stack", novalidate: true, on: { submit: onSubmit } },
        formField({ label: "Username", control: username }),
        formField({ label: "Password", control: password }),
        formMessage,
        submit,
      ),
      registering
        ? h("p", {}, "Already have an account? ", h("a", { href: href("/login", { next: params.next }), text: "Sign in" }))
        : h("p", {}, "New here? ", h("a", { href: href("/register", { next: params.next }), text: "Create an account" })),
    ),
  );
  username.focus();
}
