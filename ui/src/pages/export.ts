// Export of every trial, in the shapes `dlctl trials --output json` and `dlctl export
// --format csv` write, so files from either place compare row for row.
import { manager, errorText } from "../api";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Experiment, Measurement, Trial } from "../gen/dlkit/v1/types_pb";
import { download, flatParameters, isTerminal, parametersJson, toDate, trialDurationSeconds, trialStateName } from "../format";

// Milliseconds cut (not rounded) from the nanoseconds, as dlctl prints them.
function iso(ts: Timestamp | undefined): string | null {
  if (!toDate(ts)) return null;
  return new Date(Number(ts!.seconds) * 1000 + Math.floor(ts!.nanos / 1e6)).toISOString();
}

function series(ms: Measurement[]): number[] {
  return ms.map((m) => m.value);
}

export function trialJson(t: Trial): Record<string, unknown> {
  const duration = trialDurationSeconds(t);
  return {
    id: t.id,
    index: Number(t.index),
    status: trialStateName(t.state),
    parameters: parametersJson(t.parameters),
    final: t.hasFinal ? t.finalValue : null,
    intermediate: series(t.intermediate),
    loss: series(t.loss),
    exit_code: isTerminal(t.state) ? t.exitCode : null,
    signal: t.signal !== 0 ? t.signal : null,
    started: iso(t.started),
    ended: iso(t.ended),
    duration_s: duration ?? null,
    reason: t.reason,
    attempt: t.attempt,
  };
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

async function allTrials(experimentId: string): Promise<Trial[]> {
  const out: Trial[] = [];
  let pageToken = "";
  do {
    const r = await manager.listTrials({ experimentId, pageSize: 1000, pageToken, includeSeries: true });
    out.push(...r.trials);
    pageToken = r.nextPageToken;
  } while (pageToken);
  return out;
}

export async function exportTrials(experimentId: string, e: Experiment, format: "csv" | "json"): Promise<void> {
  try {
    const trials = await allTrials(experimentId);
    const base = `${e.spec?.name || "experiment"}-${experimentId}-trials`;
    if (format === "json") {
      download(`${base}.json`, JSON.stringify(trials.map(trialJson), null, 2) + "\n", "application/json");
      return;
    }
    const spaceNames = (e.spec?.searchSpace?.parameters ?? []).map((p) => p.name);
    const flat = trials.map((t) => flatParameters(t.parameters));
    const extra = [...new Set(flat.flatMap((f) => Object.keys(f)))].filter((k) => !spaceNames.includes(k)).sort();
    const columns = [...spaceNames.filter((n) => flat.some((f) => n in f)), ...extra];
    const lines = [["id", "index", "status", ...columns, "final", "exit_code", "started", "ended", "duration_s"].join(",")];
    trials.forEach((t, i) => {
      const j = trialJson(t);
      lines.push([t.id, String(t.index), String(j.status), ...columns.map((c) => (flat[i][c] === undefined ? "" : String(flat[i][c]))),
        t.hasFinal ? String(t.finalValue) : "", j.exit_code === null ? "" : String(j.exit_code), j.started ?? "", j.ended ?? "",
        j.duration_s === null ? "" : String(j.duration_s)].map((f) => csvField(String(f))).join(","));
    });
    download(`${base}.csv`, lines.join("\n") + "\n", "text/csv");
  } catch (err) {
    alert(`Export failed: ${errorText(err)}`);
  }
}
