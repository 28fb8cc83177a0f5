// The dashboard: hash routes, one page at a time; leaving a page aborts its streams.
import "./style.css";
import { renderExperimentList } from "./pages/experiments";
import { renderExperiment } from "./pages/experiment";
import { renderTrial } from "./pages/trial";
import { renderNewExperiment } from "./pages/new";
import { h } from "./format";

let current: AbortController | undefined;

function route(): void {
  current?.abort();
  current = new AbortController();
  const app = document.getElementById("app")!;
  app.replaceChildren();
  const path = location.hash.replace(/^#/, "") || "/";
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const signal = current.signal;
  if (parts.length === 0) renderExperimentList(app, signal);
  else if (parts[0] === "new") renderNewExperiment(app, signal);
  else if (parts[0] === "experiments" && parts.length >= 4 && parts[2] === "trials") renderTrial(app, signal, parts[1], parts[3]);
  else if (parts[0] === "experiments" && parts.length >= 2) renderExperiment(app, signal, parts[1], parts[2] ?? "overview");
  else app.append(h("div", { class: "empty" }, `No page at ${path}. `, h("a", { href: "#/" }, "Go to the experiments.")));
}

window.addEventListener("hashchange", route);
route();
