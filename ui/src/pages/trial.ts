// One trial: parameters, status, exit code, curves that grow live, the log following live,
// and kill.
import { manager, errorText } from "../api";
import { chartBox, PALETTE } from "../charts";
import { MetricKind, type Measurement, type Trial } from "../gen/dlkit/v1/types_pb";
import { watchExperiment } from "../live";
import { badge, formatDuration, formatMetric, formatTime, h, isTerminal, parametersJson, toDate, trialDurationSeconds, trialStateName } from "../format";

const MAX_LOG_CHARS = 200_000;

export function renderTrial(root: HTMLElement, signal: AbortSignal, experimentId: string, trialId: string): void {
  const back = `#/experiments/${encodeURIComponent(experimentId)}/trials`;
  const head = h("div", { class: "page-head" }, h("h1", {}, `Trial ${trialId}`));
  const facts = h("section", { class: "card" });
  const params = h("section", { class: "card" });
  const curves = chartBox("Intermediate results", signal, 300);
  const losses = chartBox("Loss", signal, 300);
  const log = h("pre", { class: "log", id: "trial-log" }, "");
  const follow = h("input", { type: "checkbox", checked: true });
  root.append(h("a", { href: back, class: "small" }, "‹ all trials"), head, h("div", { class: "grid2" }, facts, params),
    h("div", { class: "grid2" }, curves.box, losses.box),
    h("section", { class: "card" }, h("div", { class: "row" }, h("h3", {}, "Log"), h("label", { class: "small" }, follow, " follow")), log));

  let trial: Trial | undefined;
  // Answers can arrive out of order (a kill's reply after the stream said KILLED): an ended
  // trial never runs again, so an older running state never replaces it.
  const setTrial = (t: Trial | undefined) => {
    if (t && !(trial && isTerminal(trial.state) && !isTerminal(t.state))) trial = t;
  };
  const intermediate: Measurement[] = [];
  const loss: Measurement[] = [];

  const drawCurves = () => {
    const opts = (data: Measurement[], name: string, color: string) => ({
      animation: false,
      grid: { left: 60, right: 20, top: 20, bottom: 45 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "value", name: "step", nameLocation: "middle", nameGap: 28, minInterval: 1 },
      yAxis: { type: "value", name, scale: true },
      series: [{ type: "line", name, data: data.map((m) => [Number(m.step), m.value]), color, showSymbol: data.length < 60 }],
    });
    void curves.chart.setOption(opts(intermediate, "value", PALETTE[0]), true);
    void losses.chart.setOption(opts(loss, "loss", PALETTE[1]), true);
    curves.box.querySelector("h3")!.textContent = `Intermediate results (${intermediate.length} points)`;
    losses.box.querySelector("h3")!.textContent = `Loss (${loss.length} points)`;
  };

  const drawFacts = () => {
    const t = trial;
    if (!t) return;
    const kill = h("button", { class: "danger", id: "kill-trial", disabled: isTerminal(t.state) }, "Kill trial");
    kill.addEventListener("click", async () => {
      kill.setAttribute("disabled", "");
      try {
        const r = await manager.killTrial({ experimentId, trialId });
        setTrial(r.trial);
        drawFacts();
      } catch (err) {
        alert(errorText(err));
      }
    });
    head.replaceChildren(h("h1", {}, `Trial #${t.index} `, h("span", { id: "trial-status" }, badge(trialStateName(t.state)))),
      h("div", { class: "actions" }, kill));
    const rows: [string, string][] = [
      ["id", t.id], ["final", t.hasFinal ? formatMetric(t.finalValue) : "–"],
      ["latest", t.hasLastIntermediate ? formatMetric(t.lastIntermediate) : "–"],
      ["exit code", isTerminal(t.state) ? String(t.exitCode) + (t.signal ? ` (signal ${t.signal})` : "") : "–"],
      ["reason", t.reason || "–"], ["started", formatTime(toDate(t.started))], ["ended", formatTime(toDate(t.ended))],
      ["duration", formatDuration(trialDurationSeconds(t))], ["attempt", String(t.attempt)],
    ];
    facts.replaceChildren(h("h3", {}, "Status"), h("table", { class: "kv" }, rows.map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v)))));
    params.replaceChildren(h("h3", {}, "Parameters"), h("pre", { class: "config" }, JSON.stringify(parametersJson(t.parameters), null, 2)));
  };

  const load = async () => {
    try {
      const r = await manager.getTrial({ experimentId, trialId }, { signal });
      setTrial(r.trial);
      intermediate.splice(0, intermediate.length, ...(trial?.intermediate ?? []));
      loss.splice(0, loss.length, ...(trial?.loss ?? []));
      drawFacts();
      drawCurves();
    } catch (err) {
      if (!signal.aborted) head.replaceChildren(h("div", { class: "error" }, `Cannot load trial ${trialId}: ${errorText(err)}`));
    }
  };

  // Metric events arrive on the experiment's one stream; this page keeps its trial's.
  void load().then(() => watchExperiment(experimentId, true, signal, (msg) => {
    if (msg.snapshot) { void load(); return; }
    let changed = false;
    for (const t of msg.trials) if (t.id === trialId) { setTrial(t); changed = true; }
    for (const m of msg.metrics) {
      if (m.trialId !== trialId || !m.measurement) continue;
      const series = m.kind === MetricKind.LOSS ? loss : m.kind === MetricKind.INTERMEDIATE ? intermediate : undefined;
      if (series && !series.some((x) => x.step === m.measurement!.step)) { series.push(m.measurement); changed = true; }
    }
    if (changed) { drawFacts(); drawCurves(); }
  }, true));

  // The log: from the start, then new lines as they are written.
  const decoder = new TextDecoder();
  void (async () => {
    let offset = 0n;
    for (let attempt = 0; attempt < 20 && !signal.aborted; attempt++) {
      try {
        for await (const chunk of manager.readTrialLog({ experimentId, trialId, offset, follow: true }, { signal })) {
          if (chunk.data.length === 0) continue;  // a heartbeat
          offset = chunk.nextOffset;
          let text = log.textContent + decoder.decode(chunk.data, { stream: true });
          if (text.length > MAX_LOG_CHARS) text = "…\n" + text.slice(text.length - MAX_LOG_CHARS);
          log.textContent = text;
          if (follow.checked) log.scrollTop = log.scrollHeight;
        }
        return;
      } catch (err) {
        if (signal.aborted) return;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  })();
}
