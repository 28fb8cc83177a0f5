// New experiment: a form, or a dlkit-tune.json pasted or uploaded. Every change is checked
// by the daemon with the same loader as `dlctl submit`; each problem shows beside the field
// whose key it names.
import { launcher, errorText } from "../api";
import { h } from "../format";

const TUNERS = ["TPE", "Random", "GridSearch", "Anneal", "Evolution", "GP", "CMAES", "Sobol", "Hyperband", "BOHB"];
const ASSESSORS = ["", "Medianstop", "ASHA", "Curvefitting"];
const STARTER_SPACE = {
  lr: { _type: "loguniform", _value: [0.0001, 0.1] },
  batch_size: { _type: "choice", _value: [16, 32, 64] },
};

interface Field {
  key: string;           // the config key its problems are reported under
  input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  error: HTMLElement;
  row: HTMLElement;
}

export function renderNewExperiment(root: HTMLElement, signal: AbortSignal): void {
  const fields: Field[] = [];
  const field = (key: string, label: string, input: Field["input"], hint = "") => {
    const error = h("div", { class: "field-error", "data-field": key });
    const row = h("label", { class: "field" }, h("span", {}, label), input, hint ? h("span", { class: "hint" }, hint) : null, error);
    fields.push({ key, input, error, row });
    return row;
  };
  const name = h("input", { id: "f-name", value: "my-experiment" });
  const command = h("input", { id: "f-command", value: "/usr/bin/python3 train.py" });
  const codeDir = h("input", { id: "f-code-dir", placeholder: "/home/me/project (absolute, or relative to your home)" });
  const tuner = h("select", { id: "f-tuner" }, TUNERS.map((t) => h("option", { value: t }, t)));
  const tunerArgs = h("textarea", { id: "f-tuner-args", rows: 2 }, '{"optimize_mode": "maximize"}');
  const assessor = h("select", { id: "f-assessor" }, ASSESSORS.map((a) => h("option", { value: a }, a || "none")));
  const concurrency = h("input", { id: "f-concurrency", type: "number", min: 1, value: 1 });
  const maxTrials = h("input", { id: "f-max-trials", type: "number", min: 0, value: 10 });
  const maxDuration = h("input", { id: "f-max-duration", value: "1h" });
  const space = h("textarea", { id: "f-space", rows: 10, spellcheck: "false" }, JSON.stringify(STARTER_SPACE, null, 2));
  const general = h("div", { class: "field-error", id: "general-errors" });
  const warnings = h("div", { class: "small muted", id: "warnings" });
  const status = h("div", { class: "small", id: "validation-status" });
  const submit = h("button", { id: "submit-experiment" }, "Submit experiment");
  const paste = h("textarea", { id: "f-paste", rows: 6, placeholder: "Paste a dlkit-tune.json here…", spellcheck: "false" });
  const upload = h("input", { type: "file", accept: ".json,application/json" });

  root.append(h("div", { class: "page-head" }, h("h1", {}, "New experiment")),
    h("div", { class: "grid2" },
      h("section", { class: "card form" },
        field("experimentName", "Name", name),
        field("trialCommand", "Trial command", command, "run in the code directory, once per trial"),
        field("trialCodeDirectory", "Code directory", codeDir),
        field("tuner", "Tuner", tuner), field("tuner.classArgs", "Tuner arguments (JSON)", tunerArgs),
        field("assessor", "Early stopping", assessor),
        h("div", { class: "form-row" }, field("trialConcurrency", "Concurrent trials", concurrency),
          field("maxTrialNumber", "Max trials", maxTrials), field("maxExperimentDuration", "Max duration", maxDuration, "e.g. 30m, 2h")),
        field("searchSpace", "Search space (NNI format)", space),
        general, warnings, h("div", { class: "row" }, submit, status)),
      h("section", { class: "card" }, h("h3", {}, "Or start from a dlkit-tune.json"), paste, upload,
        h("p", { class: "small muted" }, "The file fills the form; anything the form has no field for is kept as written."))));

  let extra: Record<string, unknown> = {};  // keys of a pasted config the form has no field for

  const config = (): { text?: string; local: [string, string][] } => {
    const local: [string, string][] = [];
    const parse = (key: string, text: string) => {
      try { return JSON.parse(text); } catch (e) { local.push([key, `not valid JSON: ${(e as Error).message}`]); return undefined; }
    };
    const searchSpace = parse("searchSpace", space.value);
    const classArgs = tunerArgs.value.trim() ? parse("tuner.classArgs", tunerArgs.value) : {};
    if (local.length) return { local };
    const c: Record<string, unknown> = {
      ...extra,
      experimentName: name.value, trialCommand: command.value, trialCodeDirectory: codeDir.value || ".",
      trialConcurrency: Number(concurrency.value), maxTrialNumber: Number(maxTrials.value),
      tuner: { name: tuner.value, classArgs }, searchSpace,
    };
    if (maxDuration.value.trim()) c.maxExperimentDuration = maxDuration.value.trim();
    if (assessor.value) c.assessor = { name: assessor.value, classArgs: (extra.assessor as { classArgs?: unknown })?.classArgs ?? {} };
    else delete c.assessor;
    return { text: JSON.stringify(c, null, 2), local };
  };

  // Problems come one per line as "path: message"; the longest field key that prefixes the
  // path takes it.
  const show = (problems: [string, string][]) => {
    for (const f of fields) { f.error.textContent = ""; f.row.classList.remove("invalid"); }
    general.textContent = "";
    for (const [path, message] of problems) {
      const owner = fields.filter((f) => path === f.key || path.startsWith(f.key + ".") || path.startsWith(f.key + "["))
        .sort((a, b) => b.key.length - a.key.length)[0];
      const text = `${path}: ${message}`;
      if (owner) { owner.error.textContent += (owner.error.textContent ? "\n" : "") + text; owner.row.classList.add("invalid"); }
      else general.textContent += (general.textContent ? "\n" : "") + text;
    }
  };

  const splitProblems = (message: string): [string, string][] =>
    message.split("\n").filter((l) => l.trim()).map((line) => {
      const i = line.indexOf(": ");
      return i > 0 && !line.slice(0, i).includes(" ") ? [line.slice(0, i), line.slice(i + 2)] : ["", line];
    });

  let generation = 0;
  const validate = async (): Promise<boolean> => {
    const mine = ++generation;
    const { text, local } = config();
    if (!text) { show(local); status.textContent = "Fix the fields marked in red."; return false; }
    status.textContent = "Checking…";
    try {
      const r = await launcher.validateExperiment({ configJson: text }, { signal });
      if (mine !== generation) return false;
      show([]);
      warnings.textContent = r.warnings.map((w) => `warning: ${w}`).join("\n");
      status.className = "small ok";
      status.textContent = "Valid.";
      return true;
    } catch (err) {
      if (mine !== generation || signal.aborted) return false;
      show(splitProblems(errorText(err)));
      status.className = "small error";
      status.textContent = "Not valid yet.";
      return false;
    }
  };

  let timer: number | undefined;
  const schedule = () => { clearTimeout(timer); timer = window.setTimeout(() => void validate(), 250); };
  for (const f of fields) f.input.addEventListener("input", schedule);
  for (const f of fields) f.input.addEventListener("change", schedule);
  signal.addEventListener("abort", () => clearTimeout(timer));

  const fill = (text: string) => {
    let c: Record<string, unknown>;
    try { c = JSON.parse(text); } catch (e) { show([["", `the pasted file is not valid JSON: ${(e as Error).message}`]]); return; }
    const take = (key: string) => { const v = c[key]; delete c[key]; return v; };
    const str = (v: unknown, fallback: string) => (v === undefined ? fallback : String(v));
    name.value = str(take("experimentName"), name.value);
    command.value = str(take("trialCommand"), command.value);
    codeDir.value = str(take("trialCodeDirectory"), codeDir.value);
    concurrency.value = str(take("trialConcurrency"), concurrency.value);
    maxTrials.value = str(take("maxTrialNumber"), maxTrials.value);
    maxDuration.value = str(take("maxExperimentDuration"), "");
    const s = take("searchSpace");
    if (s !== undefined) space.value = JSON.stringify(s, null, 2);
    const t = take("tuner") as { name?: string; classArgs?: unknown } | undefined;
    if (t?.name) tuner.value = t.name;
    if (t?.classArgs !== undefined) tunerArgs.value = JSON.stringify(t.classArgs);
    const a = c.assessor as { name?: string } | undefined;
    assessor.value = a?.name ?? "";
    extra = c;
    void validate();
  };
  paste.addEventListener("input", () => { if (paste.value.trim()) fill(paste.value); });
  upload.addEventListener("change", async () => { const file = upload.files?.[0]; if (file) fill(await file.text()); });

  submit.addEventListener("click", async () => {
    if (!(await validate())) return;
    submit.setAttribute("disabled", "");
    try {
      const r = await launcher.submitExperiment({ configJson: config().text!, requestId: crypto.randomUUID() });
      location.hash = `#/experiments/${encodeURIComponent(r.experiment!.id)}`;
    } catch (err) {
      show(splitProblems(errorText(err)));
      status.className = "small error";
      status.textContent = "Not submitted.";
    } finally {
      submit.removeAttribute("disabled");
    }
  });
  void validate();
}
