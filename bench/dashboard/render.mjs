// The dashboard at scale: an experiment of N finished trials with P intermediate results
// each (loaded through the Manager's API by load_trials), then in headless Chromium:
// time to first render of the overview (best-so-far chart drawn), of the trial table's
// first page, and to re-sort the table by the metric. Also the daemon's memory.
//
//   bazel build //services/daemon:dlkitd //bench:load_trials && ui/build.sh
//   node bench/dashboard/render.mjs                       # 100,000 trials x 20 points
//   node bench/dashboard/render.mjs --trials 5000         # quick look
//   node bench/dashboard/render.mjs --home /tmp/h         # keep (or reuse) the loaded home
import { chromium } from "../../ui/node_modules/playwright-core/index.mjs";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const arg = (name, fallback) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : fallback; };
const trials = Number(arg("trials", 100000));
const points = Number(arg("points", 20));
const repeats = Number(arg("repeat", 5));
const bin = path.resolve(repo, arg("bin", "bazel-bin"));
const home = arg("home", fs.mkdtempSync(path.join(os.tmpdir(), "dlkit-dash-bench-")));
fs.mkdirSync(home, { recursive: true });

const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
const rpcPort = await freePort(), webPort = await freePort();
const daemon = spawn(path.join(bin, "services/daemon/dlkitd"), [`--home=${home}`, `--address=127.0.0.1:${rpcPort}`,
  `--gateway_address=127.0.0.1:${webPort}`, `--ui_dir=${path.join(repo, "ui/dist")}`], { stdio: ["ignore", "ignore", "inherit"] });
const base = `http://127.0.0.1:${webPort}`;
for (let i = 0; i < 200; i++) {
  try { await fetch(base + "/"); break; } catch { /* starting */ }
  await new Promise((r) => setTimeout(r, 100));
}
const env = { ...process.env, DLKIT_ADDRESS: `127.0.0.1:${rpcPort}`, DLKIT_HOME: home };
const listed = JSON.parse(execFileSync(path.join(bin, "cli/dlctl"), ["list", "--output", "json"], { env }).toString());
let experiment = listed.find((e) => e.name === `dashboard-bench-${trials}`)?.id;
if (!experiment) {
  console.error(`loading ${trials} trials x ${points} points through the Manager's API…`);
  const t0 = Date.now();
  experiment = execFileSync(path.join(bin, "bench/load_trials"), [`--address=127.0.0.1:${rpcPort}`, `--trials=${trials}`, `--points=${points}`],
    { env, stdio: ["ignore", "pipe", "inherit"] }).toString().trim();
  console.error(`loaded in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

// What is really there (a load cut short leaves fewer): finished trials.
const loaded = JSON.parse(execFileSync(path.join(bin, "cli/dlctl"), ["list", "--output", "json"], { env }).toString())
  .find((e) => e.id === experiment)?.trials?.done ?? 0;

const memory = () => {
  const status = fs.readFileSync(`/proc/${daemon.pid}/status`, "utf8");
  const kb = (key) => Number(status.match(new RegExp(`${key}:\\s+(\\d+)`))[1]);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
};

const context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), "dlkit-chromium-")), {
  executablePath: "/usr/bin/chromium", headless: true, viewport: { width: 1440, height: 900 },
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
// Logged in once, with the one-time link the daemon's status carries (docs/security.md).
const login = JSON.parse(execFileSync(path.join(bin, "cli/dlctl"), ["daemon", "status", "--output", "json"], { env }).toString()).dashboard;
{ const page = await context.newPage(); await page.goto(login); await page.close(); }
const timings = { overview: [], table: [], resort: [] };
const url = `${base}/#/experiments/${experiment}`;
for (let r = 0; r < repeats; r++) {
  const page = await context.newPage();
  let t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector("#best-chart[data-drawn]", { timeout: 60000 });
  await page.waitForFunction(() => document.querySelector("#best-value")?.textContent !== "–");
  timings.overview.push(Date.now() - t0);
  await page.close();

  const tablePage = await context.newPage();
  t0 = Date.now();
  await tablePage.goto(`${url}/trials`);
  await tablePage.waitForFunction(() => document.querySelectorAll("#trial-table tbody tr").length === 50, null, { timeout: 60000 });
  timings.table.push(Date.now() - t0);
  t0 = Date.now();
  await tablePage.click("#trial-table th[data-sort-key='2']");
  await tablePage.waitForSelector("#trial-table[data-sort='2']", { timeout: 60000 });  // SORT_BY_FINAL drawn
  timings.resort.push(Date.now() - t0);
  if (r === 0) await tablePage.screenshot({ path: path.join(home, "trials-page.png") });
  await tablePage.close();
}
await context.close();
const mem = memory();
daemon.kill("SIGTERM");
await new Promise((r) => daemon.once("exit", r));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\ndashboard at ${loaded} finished trials x ${points} points, ${repeats} runs each (ms: median [min-max]); goal <= 1000 ms`);
for (const [name, xs] of Object.entries(timings)) {
  const m = median(xs);
  console.log(`${name.padEnd(10)} ${String(m).padStart(6)} [${Math.min(...xs)}-${Math.max(...xs)}]  ${m <= 1000 ? "met" : "MISSED"}`);
}
console.log(`dlkitd memory: ${mem.rss.toFixed(0)} MiB resident, ${mem.peak.toFixed(0)} MiB peak`);
console.log(`home kept at ${home} (pass --home ${home} to reuse the loaded experiment)`);
