// One experiment: Overview (status, limits, progress, charts, config), Trials (server-side
// table) and Compare (curves, parallel coordinates, importance). One WatchExperiment stream
// keeps all of it current.
import { launcher, manager, errorText } from "../api";
import { chartBox, PALETTE } from "../charts";
import { TrialSortKey, type GetExperimentChartsResponse, type WatchExperimentResponse } from "../gen/dlkit/v1/manager_pb";
import { ExperimentState, TrialState, type Experiment, type Trial } from "../gen/dlkit/v1/types_pb";
import { setConnection, watchExperiment } from "../live";
import {
  badge, doneCount, experimentStateName, flatParameters, formatDuration, formatMetric, formatParameter,
  formatTime, h, isTerminal, maximizing, metricName, seconds, toDate, trialDurationSeconds, trialStateName,
  TRIAL_STATES,
} from "../format";
import { exportTrials } from "./export";
import { addTrialForm } from "./add_trial";

interface State {
  experiment?: Experiment;
}

// Called with each message of the page's stream (after `state` took it in).
type Listener = (msg: WatchExperimentResponse) => void;

export function renderExperiment(root: HTMLElement, signal: AbortSignal, id: string, tab: string): void {
  const state: State = {};
  const head = h("div", { class: "page-head" }, h("h1", {}, "Experiment"), h("span", { class: "muted" }, id));
  const tabs = h("nav", { class: "tabs" },
    ["overview", "trials", "compare"].map((t) => h("a", { href: `#/experiments/${encodeURIComponent(id)}/${t}`, class: t === tab ? "active" : "" },
      t[0].toUpperCase() + t.slice(1))));
  const content = h("div", {});
  root.append(head, tabs, content);

  const listeners: Listener[] = [];
  const onChange = (fn: Listener) => listeners.push(fn);
  if (tab === "trials") renderTrialsTab(content, signal, id, state, onChange);
  else if (tab === "compare") renderCompareTab(content, signal, id, state, onChange);
  else renderOverviewTab(content, signal, id, state, onChange);

  const drawHead = () => {
    const e = state.experiment;
    if (!e) return;
    const running = e.state === ExperimentState.EXPERIMENT_RUNNING;
    const action = h("button", { class: running ? "danger" : "", id: running ? "stop-experiment" : "resume-experiment" }, running ? "Stop" : "Resume");
    action.addEventListener("click", async () => {
      action.setAttribute("disabled", "");
      try {
        if (running) await launcher.stopExperiment({ experimentId: id });
        else await launcher.resumeExperiment({ experimentId: id });
      } catch (err) {
        alert(errorText(err));
      } finally {
        action.removeAttribute("disabled");
      }
    });
    head.replaceChildren(
      h("div", {}, h("h1", {}, e.spec?.name || "(unnamed)", " ", badge(experimentStateName(e.state))),
        h("div", { class: "muted small" }, e.id, e.reason ? ` · ${e.reason}` : "")),
      h("div", { class: "actions" }, action,
        h("button", { class: "secondary", onclick: () => exportTrials(id, e, "csv") }, "Export CSV"),
        h("button", { class: "secondary", onclick: () => exportTrials(id, e, "json") }, "Export JSON")));
  };

  // Trials are not in the snapshot: tables page through ListTrials, charts come reduced
  // from GetExperimentCharts, so 100,000 trials cost the page what 1,000 would.
  void watchExperiment(id, false, signal, (msg) => {
    if (msg.experiment) state.experiment = msg.experiment;
    drawHead();
    for (const fn of listeners) fn(msg);
  }, true);
}

// ---- Overview ---------------------------------------------------------------------------

// Runs `load` now and again after trials change, at most once per `gapMs`.
function throttled(signal: AbortSignal, gapMs: number, load: () => Promise<void>): () => void {
  let running = false, pending = false, last = 0, timer: number | undefined;
  const run = async () => {
    if (running) { pending = true; return; }
    running = true;
    last = Date.now();
    try { await load(); } finally {
      running = false;
      if (pending && !signal.aborted) { pending = false; schedule(); }
    }
  };
  const schedule = () => {
    if (timer !== undefined || signal.aborted) return;
    timer = window.setTimeout(() => { timer = undefined; void run(); }, Math.max(0, last + gapMs - Date.now()));
  };
  signal.addEventListener("abort", () => clearTimeout(timer));
  return schedule;
}

async function loadCharts(id: string, signal: AbortSignal, maxPoints: number, omitSample = false): Promise<GetExperimentChartsResponse | undefined> {
  try {
    return await manager.getExperimentCharts({ experimentId: id, maxPoints, omitSample }, { signal });
  } catch (err) {
    if (!signal.aborted) setConnection(`charts: ${errorText(err)}`, false);
    return undefined;
  }
}

function renderOverviewTab(root: HTMLElement, signal: AbortSignal, id: string, state: State, onChange: (fn: Listener) => void): void {
  const cards = h("div", { class: "cards" });
  const limits = h("section", { class: "card" });
  const best = chartBox("Best so far", signal);
  best.box.id = "best-chart";
  const durations = chartBox("Trial durations", signal, 240);
  const config = h("section", { class: "card wide" });
  root.append(cards, h("div", { class: "grid2" }, best.box, durations.box), h("div", { class: "grid2" }, limits, config));
  let limitsDrawn = false;
  // The charts' data is asked for at once, alongside the stream, and drawn when both the
  // data and the experiment (its metric's name and direction) are here.
  let charts: GetExperimentChartsResponse | undefined;
  const drawCharts = () => {
    if (!charts || !state.experiment) return;
    void Promise.all([drawBestChart(best.chart, state.experiment, charts), drawDurationChart(durations.chart, charts)])
      .then(() => { best.box.dataset.drawn = String(Number(best.box.dataset.drawn ?? 0) + 1); });  // for tests and benchmarks
  };
  const refreshCharts = throttled(signal, 1000, async () => {
    // 150 duration bars: more would be narrower than a pixel on a laptop screen, and slower to draw.
    charts = (await loadCharts(id, signal, 150, true)) ?? charts;
    drawCharts();
  });
  refreshCharts();

  onChange((msg) => {
    const e = state.experiment;
    if (!e) return;
    if (msg.snapshot && charts && best.box.dataset.drawn === undefined) drawCharts();
    else if (msg.snapshot || msg.trials.some((t) => isTerminal(t.state) || toDate(t.started))) refreshCharts();
    const max = e.spec?.maxTrialNumber ?? 0;
    const done = doneCount(e);
    const c = e.counts!;
    const limit = seconds(e.spec?.maxExperimentDuration);
    cards.replaceChildren(
      card("Progress", h("div", { id: "progress-text", class: "big" }, `${done} / ${max || "∞"}`),
        h("div", { class: "progress" }, h("div", { class: "bar", style: `width:${max ? Math.min(100, (100 * done) / max) : 0}%` })),
        h("div", { class: "small muted" }, `${c.running} running · ${c.waiting} waiting`)),
      card(`Best ${metricName(e)} (${maximizing(e) ? "max" : "min"})`,
        h("div", { id: "best-value", class: "big" }, e.hasBest ? formatMetric(e.bestValue) : "–"),
        e.bestTrialId ? h("a", { class: "small", href: `#/experiments/${encodeURIComponent(id)}/trials/${encodeURIComponent(e.bestTrialId)}` }, `trial ${e.bestTrialId}`) : null),
      card("Elapsed", h("div", { class: "big" }, formatDuration(seconds(e.elapsed))),
        h("div", { class: "small muted" }, limit ? `limit ${formatDuration(limit)}` : "no time limit")),
      card("Trials", h("div", { class: "small" }, `${c.succeeded} succeeded · ${c.failed} failed`),
        h("div", { class: "small" }, `${c.earlyStopped} early-stopped · ${c.killed} killed`),
        h("div", { class: "small muted" }, `started ${formatTime(toDate(e.created))}`)),
    );
    if (!limitsDrawn) {
      limitsDrawn = true;
      drawLimits(limits, id, e);
      drawConfig(config, e);
    }
  });
}

function card(title: string, ...children: (Node | null)[]): HTMLElement {
  return h("section", { class: "card stat" }, h("h3", {}, title), ...children);
}

function drawLimits(box: HTMLElement, id: string, e: Experiment): void {
  const concurrency = h("input", { type: "number", min: 1, value: e.spec?.trialConcurrency ?? 1, id: "limit-concurrency" });
  const maxTrials = h("input", { type: "number", min: 0, value: e.spec?.maxTrialNumber ?? 0, id: "limit-max-trials" });
  const maxMinutes = h("input", { type: "number", min: 0, value: Math.round(seconds(e.spec?.maxExperimentDuration) / 60), id: "limit-max-minutes" });
  const message = h("div", { class: "small" });
  const save = h("button", {}, "Update limits");
  save.addEventListener("click", async () => {
    try {
      const minutes = Number(maxMinutes.value);
      const response = await manager.updateExperiment({
        experimentId: id,
        trialConcurrency: Number(concurrency.value),
        maxTrialNumber: Number(maxTrials.value),
        maxExperimentDuration: minutes > 0 ? { seconds: BigInt(Math.round(minutes * 60)), nanos: 0 } : undefined,
      });
      message.className = "small ok";
      message.textContent = `Saved: concurrency ${response.experiment?.spec?.trialConcurrency}, max trials ${response.experiment?.spec?.maxTrialNumber || "∞"}.`;
    } catch (err) {
      message.className = "small error";
      message.textContent = errorText(err);
    }
  });
  box.replaceChildren(h("h3", {}, "Limits"),
    h("label", {}, "Concurrent trials", concurrency),
    h("label", {}, "Max trials (0 = no limit)", maxTrials),
    h("label", {}, "Max duration, minutes (0 = keep)", maxMinutes),
    save, message);
}

function drawConfig(box: HTMLElement, e: Experiment): void {
  let text = e.spec?.sourceConfig ?? "";
  try {
    text = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    /* YAML or plain text: shown as written */
  }
  const tuner = e.spec?.tuner?.name || "TPE";
  const assessor = e.spec?.assessor?.name || "none";
  box.replaceChildren(h("h3", {}, "Configuration"),
    h("div", { class: "small" }, `tuner ${tuner} · assessor ${assessor} · concurrency ${e.spec?.trialConcurrency}`),
    h("div", { class: "small muted" }, e.spec?.trialCommand ?? "", " in ", e.spec?.trialCodeDirectory ?? ""),
    h("pre", { class: "config" }, text || "(no config text stored)"));
}

function drawBestChart(chart: import("../charts").Chart, e: Experiment, charts: GetExperimentChartsResponse): Promise<void> {
  const line = charts.bestSoFar.map((p) => [p.seconds / 60, p.value, `#${p.trialIndex}`]);
  return chart.setOption({
    animation: false,
    grid: { left: 60, right: 20, top: 30, bottom: 45 },
    tooltip: { trigger: "axis", formatter: (items: { data: [number, number, string] }[]) => {
      const [m, v, t] = items[0].data;
      return `${formatMetric(v)} (trial ${t}) at ${formatDuration(m * 60)}`;
    } },
    title: { text: `${charts.finished} finished trials`, right: 10, top: 0, textStyle: { fontSize: 11, color: "#6b7280", fontWeight: "normal" } },
    xAxis: { type: "value", name: "minutes since start", nameLocation: "middle", nameGap: 28 },
    yAxis: { type: "value", name: `best ${metricName(e)}`, scale: true },
    series: [{ name: "best so far", type: "line", step: "end", data: line, showSymbol: line.length < 100, lineStyle: { width: 2 }, color: PALETTE[0] }],
  }, true);
}

const STATE_COLORS: Record<string, string> = { SUCCEEDED: "#16a34a", FAILED: "#dc2626", KILLED: "#4b5563", EARLY_STOPPED: "#ca8a04", RUNNING: "#2563eb", WAITING: "#9ca3af" };

function drawDurationChart(chart: import("../charts").Chart, charts: GetExperimentChartsResponse): Promise<void> {
  const buckets = charts.durations;
  const label = (b: (typeof buckets)[number]) => (b.firstIndex === b.lastIndex ? `${b.firstIndex}` : `${b.firstIndex}–${b.lastIndex}`);
  return chart.setOption({
    animation: false,
    grid: { left: 60, right: 20, top: 30, bottom: 45 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", name: buckets.some((b) => b.trials > 1) ? "trials # (mean per group)" : "trial #", nameLocation: "middle", nameGap: 28, data: buckets.map(label) },
    yAxis: { type: "value", name: "seconds" },
    series: [{ type: "bar", data: buckets.map((b) => ({ value: Number(b.meanSeconds.toFixed(3)),
      itemStyle: { color: b.trials === 1 ? STATE_COLORS[trialStateName(b.state)] ?? PALETTE[0] : PALETTE[0] } })) }],
  }, true);
}

// ---- Trials -----------------------------------------------------------------------------

const PAGE_SIZE = 50;
export const selectedForCompare = new Set<string>();

function renderTrialsTab(root: HTMLElement, signal: AbortSignal, id: string, state: State, onChange: (fn: Listener) => void): void {
  let sort = TrialSortKey.SORT_BY_INDEX;
  let reverse = false;
  let pageTokens = [""];
  let page = 0;
  const states = new Set<TrialState>();
  const filters = h("div", { class: "filters" }, h("span", { class: "muted small" }, "Status:"),
    TRIAL_STATES.map(([s, name]) => {
      const box = h("input", { type: "checkbox", value: name });
      box.addEventListener("change", () => {
        if (box.checked) states.add(s); else states.delete(s);
        pageTokens = [""]; page = 0; void load();
      });
      return h("label", { class: "chip" }, box, name.replace("_", " "));
    }));
  // Ranges: a metric range and one parameter range (or list of values), applied by the server.
  const metricMin = h("input", { type: "number", step: "any", placeholder: "min", id: "filter-metric-min", class: "narrow" });
  const metricMax = h("input", { type: "number", step: "any", placeholder: "max", id: "filter-metric-max", class: "narrow" });
  const paramName = h("select", { id: "filter-param" }, h("option", { value: "" }, "parameter…"));
  const paramMin = h("input", { type: "number", step: "any", placeholder: "min", id: "filter-param-min", class: "narrow" });
  const paramMax = h("input", { type: "number", step: "any", placeholder: "max", id: "filter-param-max", class: "narrow" });
  const paramValues = h("input", { placeholder: "or values: a, b", id: "filter-param-values", class: "narrow" });
  const ranges = h("div", { class: "filters" }, h("span", { class: "muted small" }, "Metric:"), metricMin, metricMax,
    h("span", { class: "muted small" }, "Parameter:"), paramName, paramMin, paramMax, paramValues);
  for (const input of [metricMin, metricMax, paramName, paramMin, paramMax, paramValues]) {
    input.addEventListener("change", () => { pageTokens = [""]; page = 0; void load(); });
  }
  const num = (input: HTMLInputElement) => (input.value.trim() === "" ? undefined : Number(input.value));
  const parameterFilters = () => {
    if (!paramName.value) return [];
    const oneOf = paramValues.value.split(",").map((v) => v.trim()).filter(Boolean);
    return [{ name: paramName.value, min: num(paramMin), max: num(paramMax), oneOf }];
  };
  const tableBox = h("div", { class: "table-box" });
  const pager = h("div", { class: "pager" });
  const addBox = h("div", {});
  root.append(filters, ranges, tableBox, pager, addBox);

  let loading = false;
  let again = false;
  const load = async () => {
    if (loading) { again = true; return; }
    loading = true;
    try {
      const response = await manager.listTrials({
        experimentId: id, sort, reverse, states: [...states], pageSize: PAGE_SIZE, pageToken: pageTokens[page],
        parameterFilters: parameterFilters(), finalMin: num(metricMin), finalMax: num(metricMax),
      }, { signal });
      pageTokens[page + 1] = response.nextPageToken;
      draw(response.trials, response.total);
    } catch (err) {
      if (!signal.aborted) tableBox.replaceChildren(h("div", { class: "error" }, `Cannot list trials: ${errorText(err)}`));
    } finally {
      loading = false;
      if (again) { again = false; void load(); }
    }
  };

  const header = (label: string, key?: TrialSortKey) => {
    if (key === undefined) return h("th", {}, label);
    const arrow = sort === key ? (reverse ? " ▲" : " ▼") : "";
    return h("th", { class: "sortable", "data-sort-key": String(key), onclick: () => {
      if (sort === key) reverse = !reverse; else { sort = key; reverse = false; }
      pageTokens = [""]; page = 0; void load();
    } }, label + arrow);
  };

  const draw = (trials: Trial[], total: number) => {
    const e = state.experiment;
    const paramNames = (e?.spec?.searchSpace?.parameters ?? []).map((p) => p.name);
    const extra = new Set<string>();
    for (const t of trials) for (const k of Object.keys(flatParameters(t.parameters))) if (!paramNames.includes(k)) extra.add(k);
    const columns = [...paramNames.filter((n) => trials.some((t) => n in flatParameters(t.parameters)) || trials.length === 0), ...extra];
    if (trials.length === 0) {
      const filtered = states.size || metricMin.value || metricMax.value || paramName.value;
      tableBox.replaceChildren(h("div", { class: "empty" }, filtered ? "No trial matches the filters." : "No trials yet: they appear here as the tuner proposes them."));
    } else {
      tableBox.replaceChildren(h("table", { class: "table", id: "trial-table", "data-sort": String(sort), "data-reverse": String(reverse) },
        h("thead", {}, h("tr", {}, h("th", {}, ""), header("#", TrialSortKey.SORT_BY_INDEX), h("th", {}, "Status"),
          header(e ? metricName(e) : "metric", TrialSortKey.SORT_BY_FINAL), h("th", {}, "Latest"),
          header("Duration", TrialSortKey.SORT_BY_DURATION), header("Started", TrialSortKey.SORT_BY_STARTED),
          columns.map((c) => h("th", {}, c)))),
        h("tbody", {}, trials.map((t) => {
          const flat = flatParameters(t.parameters);
          const link = `#/experiments/${encodeURIComponent(id)}/trials/${encodeURIComponent(t.id)}`;
          const pick = h("input", { type: "checkbox", title: "compare", checked: selectedForCompare.has(t.id) });
          pick.addEventListener("click", (ev) => ev.stopPropagation());
          pick.addEventListener("change", () => { if (pick.checked) selectedForCompare.add(t.id); else selectedForCompare.delete(t.id); });
          return h("tr", { class: "clickable", "data-trial": t.id, onclick: () => (location.hash = link) },
            h("td", {}, pick), h("td", { class: "num" }, String(t.index)), h("td", {}, badge(trialStateName(t.state))),
            h("td", { class: "num metric" }, t.hasFinal ? formatMetric(t.finalValue) : "–"),
            h("td", { class: "num" }, t.hasLastIntermediate ? formatMetric(t.lastIntermediate) : "–"),
            h("td", { class: "num" }, formatDuration(trialDurationSeconds(t))),
            h("td", {}, formatTime(toDate(t.started))),
            columns.map((c) => h("td", { class: "num" }, formatParameter(flat[c]))));
        }))));
    }
    const prev = h("button", { class: "secondary", disabled: page === 0 }, "‹ Previous");
    const next = h("button", { class: "secondary", disabled: !pageTokens[page + 1] }, "Next ›");
    prev.addEventListener("click", () => { page--; void load(); });
    next.addEventListener("click", () => { page++; void load(); });
    const compare = h("a", { class: "button secondary", href: `#/experiments/${encodeURIComponent(id)}/compare` }, "Compare selected");
    pager.replaceChildren(prev, h("span", { class: "small" }, `page ${page + 1} of ${Math.max(1, Math.ceil(total / PAGE_SIZE))} · ${total} trials`), next, compare);
  };

  // A trial that changed re-fetches the page (at most once a second), never on a timer.
  const reload = throttled(signal, 1000, load);
  onChange((msg) => {
    const e = state.experiment;
    if (e && addBox.childElementCount === 0) {
      void load();  // the metric's name is known now
      addBox.append(addTrialForm(id, e));
      paramName.append(...(e.spec?.searchSpace?.parameters ?? []).map((p) => h("option", { value: p.name }, p.name)));
    }
    if (msg.snapshot || msg.trials.length > 0) reload();  // a new snapshot: changes may have been missed
  });
  void load();
}

// ---- Compare ----------------------------------------------------------------------------

function renderCompareTab(root: HTMLElement, signal: AbortSignal, id: string, state: State, onChange: (fn: Listener) => void): void {
  const curves = chartBox("Intermediate results of the selected trials", signal, 320);
  const parallel = chartBox("Parameters against the metric", signal, 360);
  const importance = chartBox("Parameter importance (|rank correlation| with the metric)", signal, 260);
  const note = h("p", { class: "muted small" });
  root.append(note, curves.box, parallel.box, importance.box);

  const loadCurves = async (sample: Trial[]) => {
    let ids = [...selectedForCompare];
    if (ids.length === 0) {
      ids = sample.slice(0, 5).map((t) => t.id);  // the sample starts with the best
      note.textContent = "No trials selected on the Trials tab: showing the 5 best.";
    } else {
      note.textContent = `${ids.length} trials selected on the Trials tab.`;
    }
    const trials = await Promise.all(ids.slice(0, 12).map((trialId) => manager.getTrial({ experimentId: id, trialId }, { signal }).then((r) => r.trial!)));
    void curves.chart.setOption({
      animation: false,
      grid: { left: 60, right: 20, top: 40, bottom: 45 },
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      xAxis: { type: "value", name: "step", nameLocation: "middle", nameGap: 28 },
      yAxis: { type: "value", name: state.experiment ? metricName(state.experiment) : "metric", scale: true },
      series: trials.map((t, i) => ({ name: `#${t.index}`, type: "line", showSymbol: false, color: PALETTE[i % PALETTE.length],
        data: t.intermediate.map((m) => [Number(m.step), m.value]) })),
    }, true);
  };

  let curvesDrawn = false;
  const refresh = throttled(signal, 2000, async () => {
    const charts = await loadCharts(id, signal, MAX_PARALLEL_LINES);
    const e = state.experiment;
    if (!charts || !e) return;
    parallel.box.querySelector("h3")!.textContent = charts.sample.length < charts.finished
      ? `Parameters against the metric (${charts.sample.length} of ${charts.finished} finished trials: the best tenth and an even spread)`
      : `Parameters against the metric (all ${charts.finished} finished trials)`;
    if (!curvesDrawn) { curvesDrawn = true; void loadCurves(charts.sample); }
    drawParallel(parallel.chart, importance.chart, e, charts.sample);
  });
  onChange((msg) => {
    if (msg.snapshot || msg.trials.some((t) => t.hasFinal)) refresh();
  });
}

const MAX_PARALLEL_LINES = 2000;

// `finished`: the server's sample (already reduced to MAX_PARALLEL_LINES).
function drawParallel(chart: import("../charts").Chart, importanceChart: import("../charts").Chart, e: Experiment, finished: Trial[]): void {
  const rows = finished.map((t) => flatParameters(t.parameters));
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const categorical = names.map((n) => rows.some((r) => r[n] !== undefined && typeof r[n] !== "number"));
  const categories = names.map((n, i) => (categorical[i] ? [...new Set(rows.map((r) => String(r[n] ?? "–")))] : []));
  const dims = [...names.map((n, i) => (categorical[i] ? { dim: i, name: n, type: "category", data: categories[i] } : { dim: i, name: n })),
    { dim: names.length, name: metricName(e) }];
  const values = finished.map((t) => t.finalValue);
  const lo = Math.min(...values), hi = Math.max(...values);
  void chart.setOption({
    animation: false,
    parallelAxis: dims,
    parallel: { left: 60, right: 90, top: 40, bottom: 30 },
    visualMap: { min: isFinite(lo) ? lo : 0, max: isFinite(hi) ? hi : 1, dimension: names.length, calculable: true, right: 0, top: 30,
      inRange: { color: maximizing(e) ? ["#cbd5e1", "#2563eb"] : ["#2563eb", "#cbd5e1"] } },
    series: [{ type: "parallel", lineStyle: { width: 1, opacity: 0.6 },
      data: rows.map((r, i) => [...names.map((n, j) => (categorical[j] ? String(r[n] ?? "–") : r[n] ?? null)), values[i]]) }],
  }, true);

  const importance = names.map((n, j) => {
    const xs = rows.map((r) => (categorical[j] ? categories[j].indexOf(String(r[n] ?? "–")) : Number(r[n] ?? NaN)));
    return Math.abs(rankCorrelation(xs, values));
  });
  const order = names.map((_, i) => i).sort((a, b) => importance[a] - importance[b]);
  void importanceChart.setOption({
    animation: false,
    grid: { left: 120, right: 30, top: 10, bottom: 40 },
    xAxis: { type: "value", min: 0, max: 1, name: "|Spearman ρ|", nameLocation: "middle", nameGap: 26 },
    yAxis: { type: "category", data: order.map((i) => names[i]) },
    series: [{ type: "bar", data: order.map((i) => Number(importance[i].toFixed(3))), color: PALETTE[0] }],
  }, true);
}

function ranks(xs: number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}

// Spearman's rank correlation; 0 when either side is constant or missing.
export function rankCorrelation(xs: number[], ys: number[]): number {
  const pairs = xs.map((x, i) => [x, ys[i]]).filter(([x, y]) => isFinite(x) && isFinite(y));
  if (pairs.length < 3) return 0;
  const rx = ranks(pairs.map((p) => p[0])), ry = ranks(pairs.map((p) => p[1]));
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const mx = mean(rx), my = mean(ry);
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < rx.length; i++) { sxy += (rx[i] - mx) * (ry[i] - my); sxx += (rx[i] - mx) ** 2; syy += (ry[i] - my) ** 2; }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

export { isTerminal };
