// The scheduler settings of the signed-in user. The API validates every value; a refused one is shown
// beside its field with the API's message.

import { ApiError, describeError, get, patch } from "../api.js";
import { formField, h, setFieldMessage } from "../dom.js";
import { optimizerSection, workloadSection } from "./fsrs_tools.js";

const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

const FIELDS = [
  {
    name: "desired_retention",
    label: "Desired retention",
    help: "The chance of still knowing a card when it comes due, as a fraction (0.90 = 90 %). Higher means shorter intervals and more reviews.",
    control: () => h("input", { type: "number", step: "0.01", inputmode: "decimal" }),
  },
  {
    name: "new_cards_per_day",
    label: "New cards per day",
    help: "How many cards you have never seen are introduced each day.",
    control: () => h("input", { type: "number", step: "1", inputmode: "numeric" }),
  },
  {
    name: "maximum_interval",
    label: "Maximum interval (days)",
    help: "The longest a card may wait before it is shown again.",
    control: () => h("input", { type: "number", step: "1", inputmode: "numeric" }),
  },
  {
    name: "timezone",
    label: "Time zone",
    help: "Your days, and so the daily limits, follow this time zone.",
    control: () => h("select", {}),
  },
  {
    name: "day_start_hour",
    label: "New day starts at",
    help: "When your study day starts: reviews before this hour count for the day before.",
    control: () => h("select", {}, Array.from({ length: 24 }, (_, hour) => h("option", { value: hour, text: `${String(hour).padStart(2, "0")}:00` }))),
  },
  {
    name: "calculator",
    label: "Calculator",
    help: "Off is whiteboard mode: numeric questions use numbers you can work by hand and list any values like e^1.2 they need.",
    control: () => h("input", { type: "checkbox" }),
  },
  {
    name: "interview_date",
    label: "Interview date",
    help: "Optional. Until this day the study queue brings forward cards you would forget by then and spreads new cards over the days left. Leave empty for none.",
    control: () => h("input", { type: "date" }),
  },
  {
    name: "target_retention_on_the_day",
    label: "Recall wanted on the day",
    help: "The predicted recall to reach on the interview date, as a fraction (0.90 = 90 %), above 0.5 and below 0.99.",
    control: () => h("input", { type: "number", step: "0.01", inputmode: "decimal" }),
  },
  {
    name: "daily_cap",
    label: "Daily review cap",
    help: "Most reviews a day the interview plan may ask for. Leave empty for the default: your median forecast day × 1.5.",
    control: () => h("input", { type: "number", step: "1", inputmode: "numeric" }),
  },
  {
    name: "load_balancing",
    label: "Load balancing",
    help: "Put each review on the least busy day that fsrs's interval allows.",
    control: () => h("select", {}, h("option", { value: "false", text: "Off" }), h("option", { value: "true", text: "On" })),
  },
  {
    name: "easy_days",
    label: "Easy days",
    help: "With load balancing on, these weekdays get fewer reviews. Select several with Ctrl or Shift (Space in the list).",
    control: () => h("select", { multiple: true, size: 7 }, WEEKDAYS.map((day, index) => h("option", { value: index, text: day }))),
  },
];

function timeZoneOptions(select, current) {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const names = [...new Set(["UTC", current, ...zones])].filter(Boolean).sort();
  select.replaceChildren(...names.map((zone) => h("option", { value: zone, text: zone })));
}

function readValue(field, control) {
  if (field.name === "timezone") return control.value;
  if (control.type === "checkbox") return control.checked;
  if (field.name === "load_balancing") return control.value === "true";
  if (field.name === "easy_days") return [...control.selectedOptions].map((option) => Number(option.value));
  if (field.name === "interview_date") return control.value === "" ? null : control.value;
  return control.value.trim() === "" ? null : Number(control.value);
}

export async function render(view) {
  view.append(h("h1", { text: "Settings" }));
  let saved;
  try {
    saved = await get("/me/settings");
  } catch (error) {
    view.append(h("p", { class: "error-box", role: "alert", text: describeError(error) }));
    return;
  }
  const controls = new Map(FIELDS.map((field) => [field.name, field.control()]));
  timeZoneOptions(controls.get("timezone"), saved.timezone);
  const deviceZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const status = h("p", { class: "form-message", role: "status" });
  const submit = h("button", { type: "submit", class: "primary", text: "Save settings" });

  function fill(values) {
    for (const [name, control] of controls) {
      if (control.type === "checkbox") control.checked = Boolean(values[name]);
      else if (name === "easy_days") {
        for (const option of control.options) option.selected = values.easy_days.includes(Number(option.value));
      } else {
        control.value = values[name] === null ? "" : String(values[name]);
      }
    }
  }

  async function onSubmit(event) {
    event.preventDefault();
    status.textContent = "";
    const changes = {};
    for (const field of FIELDS) {
      const control = controls.get(field.name);
      setFieldMessage(control, "");
      const value = readValue(field, control);
      if (JSON.stringify(value) !== JSON.stringify(saved[field.name])) changes[field.name] = value;
    }
    if (Object.keys(changes).length === 0) {
      status.textContent = "Nothing changed.";
      return;
    }
    submit.disabled = true;
    try {
      saved = await patch("/me/settings", { json: changes });
      fill(saved);
      status.textContent = "Settings saved.";
    } catch (error) {
      const control = error instanceof ApiError ? controls.get(error.field) : null;
      if (control) {
        setFieldMessage(control, error.fieldMessage);
        control.focus();
        status.textContent = "Not saved: see the marked field.";
      } else {
        status.textContent = `Not saved: ${describeError(error)}`;
      }
    } finally {
      submit.disabled = false;
    }
  }

  const useDeviceZone = h("button", {
    type: "button",
    class: "link-button",
    text: `Use this device's time zone (${deviceZone})`,
    on: {
      click: () => {
        controls.get("timezone").value = deviceZone;
      },
    },
  });
  view.append(
    h("form", { class: "stack settings", novalidate: true, on: { submit: onSubmit } },
      FIELDS.map((field) => [
        formField({ label: field.label, control: controls.get(field.name), help: field.help }),
        field.name === "timezone" ? h("p", { class: "field-extra" }, useDeviceZone) : null,
      ]),
      status,
      submit,
    ),
  );
  fill(saved);
  const workload = workloadSection();
  view.append(optimizerSection(() => workload.refresh()), workload.section);
}
