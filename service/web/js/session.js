// The signed-in user's token, kept in localStorage so a reload stays signed in. Signing out (or any
// 401 from the API) forgets it; listeners hear about every change through the "session" event.
//
// Each session also has an AbortSignal (`sessionSignal`) that fires when it ends or is replaced, here
// or in another tab. api.js sends every request made with the session's token under that signal and
// drops the outcome of the ones still in flight when it fires: a page being left for the sign-in page
// never shows the 401 its old requests get once the token is revoked.

const STORAGE_KEY = "dlquiz.session";
const events = new EventTarget();
let scope = new AbortController();

/** @returns {{token: string, username: string, expiresAt: string} | null} */
export function currentSession() {
  let stored;
  try {
    stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null");
  } catch {
    stored = null;
  }
  if (!stored || typeof stored.token !== "string") return null;
  if (stored.expiresAt && Date.parse(stored.expiresAt) <= Date.now()) {
    forgetSession();
    return null;
  }
  return stored;
}

/** Aborted when the session now current ends or is replaced. */
export function sessionSignal() {
  return scope.signal;
}

/** @param {{signingOut?: boolean}} detail */
function changed(detail) {
  scope.abort();
  scope = new AbortController();
  events.dispatchEvent(new CustomEvent("session", { detail }));
}

export function saveSession({ token, username, expiresAt }) {
  localStorage.setItem(STORAGE_KEY, JSON.stringify({ token, username, expiresAt }));
  changed({ signingOut: false });
}

/**
 * End the session in this page.
 * @param {{signingOut?: boolean}} [options] signingOut: the person signed out, and the caller takes the
 *   page to the sign-in page itself (listeners then only redraw what shows the account)
 */
export function forgetSession({ signingOut = false } = {}) {
  const hadSession = localStorage.getItem(STORAGE_KEY) !== null;
  localStorage.removeItem(STORAGE_KEY);
  if (hadSession) changed({ signingOut });
}

// Another tab signed in or out (a `storage` event never reaches the tab that made the change).
window.addEventListener("storage", (event) => {
  if (event.key === STORAGE_KEY || event.key === null) changed({ signingOut: false });
});

/**
 * Call `listener({signingOut})` whenever the session starts, ends or is replaced (in this tab or another).
 * @param {(change: {signingOut: boolean}) => void} listener
 */
export function onSessionChange(listener) {
  events.addEventListener("session", (event) => listener(event.detail));
}
