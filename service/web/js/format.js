// Presentation only: numbers, nested arrays and dates as the person reads them.

const RELATIVE = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const UNITS = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** A number with at most six significant digits, without trailing zeros. */
export function formatNumber(value) {
  if (typeof value !== "number") return String(value);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

/** "in 3 hours (25 Nov 2026, 14:05)" for an ISO datetime. */
export function formatWhen(iso) {
  const date = new Date(iso);
  const seconds = (date.getTime() - Date.now()) / 1000;
  const [unit, size] = UNITS.find(([, length]) => Math.abs(seconds) >= length) ?? UNITS[UNITS.length - 1];
  return `${RELATIVE.format(Math.round(seconds / size), unit)} (${DATE_TIME.format(date)})`;
}

export function formatDateTime(iso) {
  return DATE_TIME.format(new Date(iso));
}

export function formatPercent(fraction) {
  return fraction === null || fraction === undefined ? "–" : `${Math.round(fraction * 1000) / 10} %`;
}

/** The shape of a nested list of numbers ([] for a number). */
export function shapeOf(value) {
  const shape = [];
  let level = value;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

/** "a number", "3 values", "a 4 × 2 matrix". */
export function describeShape(shape) {
  if (shape.length === 0) return "a number";
  if (shape.length === 1) return `${shape[0]} values`;
  if (shape.length === 2) return `a ${shape[0]} × ${shape[1]} matrix`;
  return `an array of shape ${shape.join(" × ")}`;
}
