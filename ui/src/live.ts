// The one live stream a page holds: WatchExperiment (or, for the list, WatchExperiments), a
// snapshot then every change. If the stream breaks (daemon restart, network), it reconnects
// and starts from a fresh snapshot, so nothing is missed; the page never polls.
import { launcher, manager, errorText } from "./api";
import type { WatchExperimentsResponse } from "./gen/dlkit/v1/launcher_pb";
import type { WatchExperimentResponse } from "./gen/dlkit/v1/manager_pb";

export function setConnection(text: string, ok: boolean): void {
  const el = document.getElementById("connection");
  if (!el) return;
  el.textContent = text;
  el.className = `connection ${ok ? "ok" : "bad"}`;
}

// Reads a server stream to its end, opening it again from a fresh snapshot after a break
// (daemon restart, network). The gateway's heartbeats (empty messages) are skipped.
async function follow<T>(
  open: () => AsyncIterable<T>,
  isHeartbeat: (msg: T) => boolean,
  signal: AbortSignal,
  onMessage: (msg: T) => void,
): Promise<void> {
  let delayMs = 500;
  while (!signal.aborted) {
    try {
      for await (const msg of open()) {
        if (isHeartbeat(msg)) continue;
        setConnection("live", true);
        delayMs = 500;
        onMessage(msg);
      }
      setConnection("ended", true);
      return;
    } catch (err) {
      if (signal.aborted) return;
      setConnection(`reconnecting: ${errorText(err)}`, false);
      await new Promise((r) => setTimeout(r, delayMs));
      delayMs = Math.min(delayMs * 2, 5000);
    }
  }
}

// One experiment; the stream closes normally when the experiment has ended.
export function watchExperiment(
  experimentId: string,
  includeMetrics: boolean,
  signal: AbortSignal,
  onMessage: (msg: WatchExperimentResponse) => void,
  omitSnapshotTrials = false,
): Promise<void> {
  return follow(() => manager.watchExperiment({ experimentId, includeMetrics, omitSnapshotTrials }, { signal }),
    (msg) => !msg.experiment && msg.trials.length === 0 && msg.metrics.length === 0 && !msg.snapshot,
    signal, onMessage);
}

// The list of experiments: every one, then changes and deletions.
export async function watchExperiments(signal: AbortSignal, onMessage: (msg: WatchExperimentsResponse) => void): Promise<void> {
  while (!signal.aborted) {
    await follow(() => launcher.watchExperiments({}, { signal }),
      (msg) => !msg.snapshot && msg.experiments.length === 0 && msg.deletedIds.length === 0,
      signal, onMessage);
    // This stream has no normal end: the daemon went away; come back when it does.
    if (!signal.aborted) await new Promise((r) => setTimeout(r, 1000));
  }
}
