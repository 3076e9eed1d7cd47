// The signed-in user's token, kept in localStorage so a reload stays signed in. Signing out (or any
// 401 from the API) forgets it; listeners hear about every change through the "session" event.

const STORAGE_KEY = "dlquiz.session";
const events = new EventTarget();

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

export function saveSession({ token, username, expiresAt }) {
  localStorage.setItem(STORAGE_KEY, JSON.stringify({ token, username, expiresAt }));
  events.dispatchEvent(new Event("session"));
}

export function forgetSession() {
  const hadSession = localStorage.getItem(STORAGE_KEY) !== null;
  localStorage.removeItem(STORAGE_KEY);
  if (hadSession) events.dispatchEvent(new Event("session"));
}

/** Call `listener` whenever the session starts or ends (in this tab or another). */
export function onSessionChange(listener) {
  events.addEventListener("session", listener);
  window.addEventListener("storage", (event) => {
    if (event.key === STORAGE_KEY || event.key === null) listener();
  });
}
