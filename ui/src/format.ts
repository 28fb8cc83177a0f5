// Small helpers: building DOM, and the words and numbers the pages show.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import {
  Direction,
  ExperimentState,
  TrialState,
  type Experiment,
  type ParameterSet,
  type ParameterValue,
  type Trial,
} from "./gen/dlkit/v1/types_pb";

type Child = Node | string | number | null | undefined | false;

// h("div", {class: "card"}, "text", child...): an element with attributes and children.
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | number | EventListener | undefined> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(key.replace(/^on/, ""), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export const TRIAL_STATES: [TrialState, string][] = [
  [TrialState.WAITING, "WAITING"],
  [TrialState.RUNNING, "RUNNING"],
  [TrialState.SUCCEEDED, "SUCCEEDED"],
  [TrialState.FAILED, "FAILED"],
  [TrialState.EARLY_STOPPED, "EARLY_STOPPED"],
  [TrialState.KILLED, "KILLED"],
];

export function trialStateName(state: TrialState): string {
  return TRIAL_STATES.find(([s]) => s === state)?.[1] ?? "UNKNOWN";
}

export function experimentStateName(state: ExperimentState): string {
  switch (state) {
    case ExperimentState.EXPERIMENT_RUNNING: return "RUNNING";
    case ExperimentState.EXPERIMENT_DONE: return "DONE";
    case ExperimentState.EXPERIMENT_STOPPED: return "STOPPED";
    case ExperimentState.EXPERIMENT_FAILED: return "FAILED";
    default: return "UNKNOWN";
  }
}

export function badge(name: string): HTMLSpanElement {
  return h("span", { class: `badge badge-${name.toLowerCase()}` }, name.replace("_", " "));
}

export function isTerminal(state: TrialState): boolean {
  return state !== TrialState.WAITING && state !== TrialState.RUNNING && state !== TrialState.TRIAL_STATE_UNSPECIFIED;
}

export function toDate(ts: Timestamp | undefined): Date | undefined {
  if (!ts || (ts.seconds === 0n && ts.nanos === 0)) return undefined;
  return timestampDate(ts);
}

export function seconds(d: Duration | undefined): number {
  return d ? Number(d.seconds) + d.nanos / 1e9 : 0;
}

export function formatDuration(totalSeconds: number | undefined): string {
  if (totalSeconds === undefined || !isFinite(totalSeconds)) return "–";
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function formatTime(date: Date | undefined): string {
  return date ? date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" }) : "–";
}

export function formatMetric(value: number | undefined): string {
  if (value === undefined || !isFinite(value)) return "–";
  const a = Math.abs(value);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? value.toExponential(3) : value.toPrecision(5).replace(/\.?0+$/, "");
}

export function trialDurationSeconds(trial: Trial, now = Date.now()): number | undefined {
  const started = toDate(trial.started);
  if (!started) return undefined;
  const ended = toDate(trial.ended);
  return ((ended ? ended.getTime() : now) - started.getTime()) / 1000;
}

// Ended trials that count toward maxTrialNumber (not those a stop interrupted, nor retries).
export function doneCount(e: Experiment): number {
  return e.counts?.finished ?? 0;
}

export function maximizing(e: Experiment): boolean {
  return e.spec?.objective?.direction !== Direction.MINIMIZE;
}

export function metricName(e: Experiment): string {
  const m = e.spec?.objective?.metric;
  return m && m !== "default" ? m : "metric";
}

// A parameter value as the trial sees it (nested choices as objects with _name).
export function parameterJson(value: ParameterValue | undefined): unknown {
  const kind = value?.kind;
  switch (kind?.case) {
    case "doubleValue": return kind.value;
    case "intValue": return Number(kind.value);
    case "stringValue": return kind.value;
    case "boolValue": return kind.value;
    case "nested": return parametersJson(kind.value);
    default: return null;
  }
}

// Keys sorted, as dlctl writes them.
export function parametersJson(set: ParameterSet | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(set?.values ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = parameterJson(v);
  return out;
}

// Flat "a/b" keys for tables and charts.
export function flatParameters(set: ParameterSet | undefined, prefix = ""): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(set?.values ?? {})) {
    const key = prefix + k;
    const j = parameterJson(v);
    if (j !== null && typeof j === "object") {
      if (v.kind.case === "nested") Object.assign(out, flatParameters(v.kind.value, key + "/"));
    } else if (j !== null) {
      out[key] = j as number | string | boolean;
    }
  }
  return out;
}

export function formatParameter(value: number | string | boolean | undefined): string {
  if (value === undefined) return "–";
  return typeof value === "number" ? formatMetric(value) : String(value);
}

export function download(filename: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
