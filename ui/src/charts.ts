// ECharts, sized to its box and disposed with its page.
import * as echarts from "echarts";
import { h } from "./format";

export type Chart = echarts.ECharts;

export function chartBox(title: string, signal: AbortSignal, height = 280): { box: HTMLElement; chart: Chart } {
  const area = h("div", { class: "chart", style: `height:${height}px` });
  const box = h("section", { class: "card" }, h("h3", {}, title), area);
  const chart = echarts.init(area, undefined, { renderer: "canvas" });
  const observer = new ResizeObserver(() => chart.resize());
  observer.observe(area);
  signal.addEventListener("abort", () => {
    observer.disconnect();
    chart.dispose();
  });
  return { box, chart };
}

export const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d"];
