// Start the app: the navigation, the routes and their pages, the sign-in guard and the error banner.

import { describeError, post } from "./api.js";
import { h, replace, showBanner } from "./dom.js";
import { addRoute, currentPath, href, navigate, reload, setFallback, setGuard, startRouter } from "./router.js";
import { currentSession, forgetSession, onSessionChange } from "./session.js";

const PAGES = [
  { path: "/decks", title: "Decks", nav: true, load: () => import("./pages/decks.js") },
  { path: "/study", title: "Study", nav: true, requiresSession: true, load: () => import("./pages/study.js") },
  { path: "/cards", title: "Cards", nav: true, load: () => import("./pages/cards.js") },
  { path: "/mock", title: "Mock interview", nav: true, requiresSession: true, load: () => import("./pages/mock.js") },
  { path: "/drills", title: "Drills", nav: true, requiresSession: true, load: () => import("./pages/drills.js") },
  { path: "/readiness", title: "Readiness", nav: true, requiresSession: true, load: () => import("./pages/readiness.js") },
  { path: "/stats", title: "Stats", nav: true, requiresSession: true, load: () => import("./pages/stats.js") },
  { path: "/settings", title: "Settings", nav: true, requiresSession: true, load: () => import("./pages/settings.js") },
  { path: "/login", title: "Sign in", load: () => import("./pages/account.js") },
  { path: "/register", title: "Create an account", load: () => import("./pages/account.js") },
];

function renderNav() {
  const session = currentSession();
  const here = currentPath();
  const links = PAGES.filter((page) => page.nav).map((page) =>
    h("li", {}, h("a", { href: href(page.path), "aria-current": page.path === here ? "page" : false, text: page.title })),
  );
  const account = session
    ? [
        h("li", { class: "nav-user" }, h("span", { text: session.username })),
        h("li", {}, h("button", { type: "button", class: "link-button", on: { click: signOut }, text: "Sign out" })),
      ]
    : [h("li", {}, h("a", { href: href("/login"), "aria-current": here === "/login" ? "page" : false, text: "Sign in" }))];
  replace(document.getElementById("nav"), links, account);
}

async function signOut() {
  const session = currentSession();
  // The session ends in the page first, so requests still in flight under its token are abandoned
  // (once it is revoked, their 401s would land on the page being left) and no new one uses it.
  forgetSession({ signingOut: true });
  if (session) {
    try {
      await post("/auth/logout", { token: session.token });
    } catch {
      // A token that is already revoked or expired needs no revoking.
    }
  }
  navigate("/login", { message: "signed-out" });
}

function installErrorBanner() {
  window.addEventListener("unhandledrejection", (event) => showBanner(describeError(event.reason)));
  window.addEventListener("error", (event) => showBanner(describeError(event.error ?? event.message)));
  document.addEventListener("route", () => showBanner(null));
}

for (const page of PAGES) addRoute(page.path, page);
setFallback("/decks");
setGuard((path, page) => {
  if (page.requiresSession && !currentSession()) return href("/login", { next: path === "/login" ? "" : window.location.hash });
  return null;
});
// The token the page was drawn with. Requests of a session that ends or is replaced never settle
// (api.js), so every such change below redraws the page or leaves it, except signing in, which
// starts from the sign-in page and leaves it by itself.
let drawnToken = currentSession()?.token ?? null;
onSessionChange(({ signingOut }) => {
  const session = currentSession();
  const previous = drawnToken;
  drawnToken = session?.token ?? null;
  renderNav();
  const path = currentPath();
  const onAccountPage = path === "/login" || path === "/register";
  if (session) {
    // Another account signed in in another tab: the page shows the new one's data.
    if (previous !== null && previous !== session.token && !onAccountPage) reload();
    return;
  }
  if (signingOut) return; // signOut() goes to the sign-in page once the token is revoked
  // A session that ended (signed out in another tab, or a token the API refused) leaves the pages that
  // need one for the sign-in page, and redraws the others without what the account showed.
  const page = PAGES.find((candidate) => candidate.path === path);
  if (page?.requiresSession) navigate("/login", { next: window.location.hash, message: "expired" });
  else if (!onAccountPage) reload();
});
document.addEventListener("route", renderNav);
installErrorBanner();
renderNav();
startRouter();
