// ECharts with only the parts the pages use (a third of the full library). Loaded as a
// chunk of its own by charts.ts.
import * as echarts from "echarts/core";
import { BarChart, LineChart, ParallelChart, ScatterChart } from "echarts/charts";
import { GridComponent, LegendComponent, ParallelComponent, TitleComponent, TooltipComponent, VisualMapComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, ParallelChart, ScatterChart, GridComponent, LegendComponent, ParallelComponent,
  TitleComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

export const init = (area: HTMLElement): echarts.ECharts => echarts.init(area, undefined, { renderer: "canvas" });
