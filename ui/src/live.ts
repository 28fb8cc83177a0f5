// The one live stream a page holds: WatchExperiment, a snapshot then every change. If the
// stream breaks (daemon restart, network), it reconnects and starts from a fresh snapshot,
// so nothing is missed; the page never polls.
import { manager, errorText } from "./api";
import type { WatchExperimentResponse } from "./gen/dlkit/v1/manager_pb";

export function setConnection(text: string, ok: boolean): void {
  const el = document.getElementById("connection");
  if (!el) return;
  el.textContent = text;
  el.className = `connection ${ok ? "ok" : "bad"}`;
}

export async function watchExperiment(
  experimentId: string,
  includeMetrics: boolean,
  signal: AbortSignal,
  onMessage: (msg: WatchExperimentResponse) => void,
  omitSnapshotTrials = false,
): Promise<void> {
  let delayMs = 500;
  while (!signal.aborted) {
    try {
      for await (const msg of manager.watchExperiment({ experimentId, includeMetrics, omitSnapshotTrials }, { signal })) {
        // The gateway keeps idle streams open with empty messages.
        if (!msg.experiment && msg.trials.length === 0 && msg.metrics.length === 0 && !msg.snapshot) continue;
        setConnection("live", true);
        delayMs = 500;
        onMessage(msg);
      }
      setConnection("ended", true);
      return;  // the experiment ended: the stream closes normally
    } catch (err) {
      if (signal.aborted) return;
      setConnection(`reconnecting: ${errorText(err)}`, false);
      await new Promise((r) => setTimeout(r, delayMs));
      delayMs = Math.min(delayMs * 2, 5000);
    }
  }
}
