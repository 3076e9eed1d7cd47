// A hash router: "#/cards?q=relu" -> the page registered for "/cards" with {q: "relu"}.
// Pages are modules loaded on first visit, so the first load carries only the page it shows.
// A page's `render(main, params)` may return a cleanup function, called before the next page renders.

const routes = new Map();
let fallbackPath = "/";
let beforeRender = () => null;
let cleanup = null;
let renderCount = 0;

/**
 * @param {string} path e.g. "/study"
 * @param {{load: () => Promise<{render: Function}>, title: string, requiresSession?: boolean}} page
 */
export function addRoute(path, page) {
  routes.set(path, page);
}

/** Where unknown paths go. */
export function setFallback(path) {
  fallbackPath = path;
}

/**
 * A hook run before each render: returns a hash to redirect to (e.g. the sign-in page), or null.
 * @param {(path: string, page: object, params: object) => string | null} hook
 */
export function setGuard(hook) {
  beforeRender = hook;
}

export function parseHash(hash = window.location.hash) {
  const [path, queryString = ""] = hash.replace(/^#/, "").split("?");
  return { path: path || "/", params: Object.fromEntries(new URLSearchParams(queryString)) };
}

/** A hash for `path` with `params` (empty values left out). */
export function href(path, params = {}) {
  const query = new URLSearchParams(
    Object.entries(params).filter(([, value]) => value !== null && value !== undefined && value !== ""),
  ).toString();
  return `#${path}${query ? `?${query}` : ""}`;
}

export function navigate(path, params = {}, { replace = false } = {}) {
  const target = href(path, params);
  if (target === window.location.hash) {
    renderCurrent();
  } else if (replace) {
    window.history.replaceState(null, "", target);
    renderCurrent();
  } else {
    window.location.hash = target;
  }
}

/** Render the page on screen again, with its parameters. */
export function reload() {
  renderCurrent();
}

/** The path of the page on screen. */
export function currentPath() {
  return parseHash().path;
}

async function renderCurrent() {
  const { path, params } = parseHash();
  const page = routes.get(path);
  if (!page) {
    navigate(fallbackPath, {}, { replace: true });
    return;
  }
  const redirect = beforeRender(path, page, params);
  if (redirect) {
    window.history.replaceState(null, "", redirect);
    renderCurrent();
    return;
  }
  const thisRender = ++renderCount;
  const module = await page.load();
  if (thisRender !== renderCount) return; // another navigation started while this module loaded
  if (cleanup) cleanup();
  cleanup = null;
  // Each render gets its own view: a render still awaiting the API when the person moves on writes
  // into a detached view, never over the next page.
  const view = document.createElement("div");
  view.className = "view";
  document.getElementById("main").replaceChildren(view);
  document.title = `${page.title} · dlquiz`;
  document.dispatchEvent(new CustomEvent("route", { detail: { path } }));
  const pageCleanup = (await module.render(view, params)) ?? null;
  if (thisRender !== renderCount) {
    if (pageCleanup) pageCleanup();
    return;
  }
  cleanup = pageCleanup;
  const heading = view.querySelector("h1");
  if (heading && !view.contains(document.activeElement)) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

export function startRouter() {
  window.addEventListener("hashchange", renderCurrent);
  renderCurrent();
}
