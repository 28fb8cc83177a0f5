// The experiments list: name, status, progress, best metric, start, duration; search. It
// follows WatchExperiments, so new experiments and their progress appear without a reload.
import { watchExperiments } from "../live";
import type { Experiment } from "../gen/dlkit/v1/types_pb";
import {
  badge, doneCount, experimentStateName, formatDuration, formatMetric, formatTime, h, seconds, toDate,
} from "../format";

export function renderExperimentList(root: HTMLElement, signal: AbortSignal): void {
  const search = h("input", { type: "search", placeholder: "Search by name or id", class: "search", "aria-label": "search experiments" });
  const body = h("div", {}, h("p", { class: "muted" }, "Loading experiments…"));
  root.append(
    h("div", { class: "page-head" }, h("h1", {}, "Experiments"), h("div", { class: "actions" }, search,
      h("a", { class: "button", href: "#/new" }, "New experiment"))),
    body,
  );
  let experiments: Experiment[] = [];

  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const shown = experiments.filter((e) => !q || e.id.toLowerCase().includes(q) || (e.spec?.name ?? "").toLowerCase().includes(q));
    if (experiments.length === 0) {
      body.replaceChildren(h("div", { class: "empty" }, "No experiments yet. ",
        h("a", { href: "#/new" }, "Start one"), " here, or run ", h("code", {}, "dlctl submit"), " in a folder with a dlkit-tune.json."));
      return;
    }
    const rows = shown.map((e) => {
      const max = e.spec?.maxTrialNumber ?? 0;
      const done = doneCount(e);
      const pct = max > 0 ? Math.min(100, (100 * done) / max) : 0;
      const link = `#/experiments/${encodeURIComponent(e.id)}`;
      return h("tr", { class: "clickable", "data-experiment": e.id, onclick: () => (location.hash = link) },
        h("td", {}, h("a", { href: link }, e.spec?.name || "(unnamed)"), h("div", { class: "muted small" }, e.id)),
        h("td", {}, badge(experimentStateName(e.state))),
        h("td", {}, h("div", { class: "progress", title: `${done} of ${max || "∞"} trials done` },
          h("div", { class: "bar", style: `width:${pct}%` })), h("div", { class: "small progress-count" }, `${done} / ${max || "∞"}`)),
        h("td", { class: "num" }, e.hasBest ? formatMetric(e.bestValue) : "–"),
        h("td", {}, formatTime(toDate(e.created))),
        h("td", { class: "num" }, formatDuration(seconds(e.elapsed))));
    });
    body.replaceChildren(shown.length === 0 ? h("div", { class: "empty" }, `No experiment matches “${search.value}”.`) :
      h("table", { class: "table", id: "experiment-table" },
        h("thead", {}, h("tr", {}, ["Name", "Status", "Progress", "Best", "Started", "Duration"].map((c) => h("th", {}, c)))),
        h("tbody", {}, rows)));
  };

  // Live: a snapshot, then each change and deletion as the daemon reports it.
  const byId = new Map<string, Experiment>();
  void watchExperiments(signal, (msg) => {
    if (msg.snapshot) byId.clear();
    for (const e of msg.experiments) byId.set(e.id, e);
    for (const id of msg.deletedIds) byId.delete(id);
    experiments = [...byId.values()].sort((a, b) => Number((b.created?.seconds ?? 0n) - (a.created?.seconds ?? 0n)));
    draw();
  });
  search.addEventListener("input", draw);
}
