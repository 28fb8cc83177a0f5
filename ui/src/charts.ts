// Charts sized to their box and disposed with their page. ECharts is the biggest part of the
// app, so it loads as a chunk of its own, asked for as the app starts: the browser compiles
// it while the page's first calls are on the wire, instead of before they are made.
import type { EChartsCoreOption } from "echarts/core";
import { h } from "./format";

const echarts = import("./echarts_setup");

export interface Chart {
  // Resolves once the chart is drawn with `option`.
  setOption(option: EChartsCoreOption, notMerge?: boolean): Promise<void>;
}

export function chartBox(title: string, signal: AbortSignal, height = 280): { box: HTMLElement; chart: Chart } {
  const area = h("div", { class: "chart", style: `height:${height}px` });
  const box = h("section", { class: "card" }, h("h3", {}, title), area);
  const ready = echarts.then(({ init }) => {
    if (signal.aborted) return undefined;
    const chart = init(area);
    const observer = new ResizeObserver(() => chart.resize());
    observer.observe(area);
    signal.addEventListener("abort", () => {
      observer.disconnect();
      chart.dispose();
    });
    return chart;
  });
  // Calls made before ECharts is here are applied in order once it is.
  const chart: Chart = { setOption: (option, notMerge) => ready.then((c) => { c?.setOption(option, notMerge); }) };
  return { box, chart };
}

export const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d"];
