// ECharts, sized to its box and disposed with its page.
// Only the parts the pages use: a third of the full bundle, so pages draw sooner.
import * as echarts from "echarts/core";
import { BarChart, LineChart, ParallelChart, ScatterChart } from "echarts/charts";
import { GridComponent, LegendComponent, ParallelComponent, TitleComponent, TooltipComponent, VisualMapComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, ParallelChart, ScatterChart, GridComponent, LegendComponent, ParallelComponent,
  TitleComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);
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
