// The dashboard end to end: a real dlkitd (gateway + daemon) running real Python trials,
// driven through the real UI in Debian's Chromium. Screenshots of every page go to
// $DLKIT_E2E_OUTPUT (default ui/test-output).
//
//   node ui/e2e/dashboard.test.mjs --bin bazel-bin   (after `bazel build` and `ui/build.sh`)
import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const binArg = process.argv.indexOf("--bin");
const bin = path.resolve(repo, binArg > 0 ? process.argv[binArg + 1] : "bazel-bin");
const dlkitd = path.join(bin, "services/daemon/dlkitd");
const dlctl = path.join(bin, "cli/dlctl");
const outDir = process.env.DLKIT_E2E_OUTPUT ?? path.join(repo, "ui/test-output");
fs.mkdirSync(outDir, { recursive: true });

let passed = 0, failed = 0;
let page;  // set once Chromium is up; failures are photographed
const results = [];
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    results.push(`PASS ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    failed++;
    results.push(`FAIL ${name}: ${err.stack ?? err}`);
    await page?.screenshot({ path: path.join(outDir, `failed-${failed}.png`), fullPage: true }).catch(() => {});
  }
  console.log(results[results.length - 1]);
}
function assert(cond, message) { if (!cond) throw new Error(message); }

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), "dlkit-ui-"));
const code = path.join(home, "code");
fs.mkdirSync(code);
fs.copyFileSync(path.join(here, "trial.py"), path.join(code, "trial.py"));
const rpcPort = await freePort();
const webPort = await freePort();
const env = { ...process.env, DLKIT_HOME: home, DLKIT_ADDRESS: `127.0.0.1:${rpcPort}` };
const daemon = spawn(dlkitd, [`--home=${home}`, `--address=127.0.0.1:${rpcPort}`, `--gateway_address=127.0.0.1:${webPort}`,
  `--ui_dir=${path.join(repo, "ui/dist")}`, "--grace_seconds=2"], { env, stdio: ["ignore", "ignore", fs.openSync(path.join(outDir, "dlkitd.log"), "w")] });
const base = `http://127.0.0.1:${webPort}`;
for (let i = 0; i < 100; i++) {
  try { await fetch(base + "/"); break; } catch { /* not up yet */ }
  await new Promise((r) => setTimeout(r, 100));
}

const context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), "dlkit-chromium-")), {
  executablePath: "/usr/bin/chromium", headless: true, acceptDownloads: true, viewport: { width: 1440, height: 900 },
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
page = context.pages()[0] ?? await context.newPage();
const consoleErrors = [];
page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
page.on("pageerror", (e) => consoleErrors.push(String(e)));
const shot = (name) => page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
const num = (text) => Number(String(text).split("/")[0].trim());

let experimentId = "";

await step("the dashboard lets in only a browser that opened the daemon's one-time login link", async () => {
  const anonymous = await fetch(`${base}/`);
  assert(anonymous.status === 401, `a request without the session cookie is refused (got ${anonymous.status})`);
  const status = JSON.parse(execFileSync(dlctl, ["daemon", "status", "--output", "json"], { env }).toString());
  assert(/\?login=[0-9a-f]{32}$/.test(status.dashboard), `dlctl daemon status prints a login link (${status.dashboard})`);
  const login = await fetch(status.dashboard, { redirect: "manual" });
  assert(login.status === 303, `the link logs in (${login.status})`);
  const cookie = login.headers.get("set-cookie");
  assert(/HttpOnly/.test(cookie) && /SameSite=Strict/.test(cookie), `the cookie is HttpOnly, SameSite=Strict: ${cookie}`);
  assert((await fetch(status.dashboard, { redirect: "manual" })).status === 401, "the link works once");
  // A state change carrying the cookie but no Origin (not the dashboard's page) is refused.
  const session = cookie.split(";")[0];
  const call = await fetch(`${base}/dlkit.v1.LauncherService/StopExperiment`, {
    method: "POST", headers: { "Content-Type": "application/grpc-web+proto", Cookie: session },
    body: new Uint8Array([0, 0, 0, 0, 0]) });
  const body = Buffer.from(await call.arrayBuffer()).toString("latin1");
  assert(/grpc-status:\s*7/.test(body), `PERMISSION_DENIED without Origin: ${body}`);
  const fresh = JSON.parse(execFileSync(dlctl, ["daemon", "status", "--output", "json"], { env }).toString());
  await page.goto(fresh.dashboard);
  assert(new URL(page.url()).search === "", `the code leaves the address bar (${page.url()})`);
});

await step("the form validates as you type and shows the problem beside its field", async () => {
  await page.goto(`${base}/#/new`);
  await page.fill("#f-command", "/usr/bin/python3 trial.py");
  await page.fill("#f-code-dir", code);
  await page.fill("#f-space", '{"x": {"_type": "uniform", "_value": [1, 0]}}');
  await page.waitForFunction(() => document.querySelector('[data-field="searchSpace"]')?.textContent?.includes("searchSpace.x"), null, { timeout: 10000 });
  await shot("new-experiment-invalid");
  await page.fill("#f-space", JSON.stringify({ x: { _type: "uniform", _value: [0, 1] }, width: { _type: "choice", _value: [8, 16, 32] } }));
  await page.fill("#f-name", "ui-e2e");
  await page.fill("#f-concurrency", "2");
  await page.fill("#f-max-trials", "6");
  await page.selectOption("#f-tuner", "Random");
  await page.fill("#f-tuner-args", '{"optimize_mode": "maximize", "seed": 3}');
  await page.waitForFunction(() => document.querySelector("#validation-status")?.textContent === "Valid.", null, { timeout: 10000 });
  assert((await page.textContent('[data-field="searchSpace"]')) === "", "the search-space error stays after the fix");
  await shot("new-experiment");
});

await step("an experiment created through the form runs", async () => {
  await page.click("#submit-experiment");
  await page.waitForURL(/#\/experiments\/[^/]+$/, { timeout: 15000 });
  experimentId = decodeURIComponent(page.url().split("/experiments/")[1]);
  await page.waitForSelector("#progress-text", { timeout: 10000 });
});

await step("the overview's progress and best value change while trials run, without reload", async () => {
  let navigations = 0;
  page.on("framenavigated", () => navigations++);
  const firstProgress = num(await page.textContent("#progress-text"));
  await page.waitForFunction((p) => Number(document.querySelector("#progress-text").textContent.split("/")[0]) > p, firstProgress, { timeout: 30000 });
  await page.waitForFunction(() => document.querySelector("#best-value").textContent !== "–", null, { timeout: 30000 });
  const best1 = await page.textContent("#best-value");
  const progress1 = num(await page.textContent("#progress-text"));
  assert(progress1 > firstProgress, `progress did not move (${firstProgress} -> ${progress1})`);
  assert(best1 !== "–", "no best value");
  assert(navigations === 0, `the page reloaded ${navigations} times`);
  await shot("experiment-overview");
});

await step("the list shows the experiment", async () => {
  await page.goto(`${base}/#/`);
  await page.waitForSelector("#experiment-table", { timeout: 10000 });
  const text = await page.textContent("#experiment-table");
  assert(text.includes("ui-e2e") && text.includes(experimentId), `list lacks the experiment: ${text}`);
  await shot("experiments");
});

let runningTrial = "";
await step("a trial's curves gain points live, and kill-trial ends it as KILLED", async () => {
  await page.goto(`${base}/#/experiments/${experimentId}/trials`);
  await page.waitForSelector("#trial-table", { timeout: 10000 });
  await shot("trials");
  // The table re-renders as trials change: locators retry where element handles go stale.
  const running = page.locator("#trial-table tr:has(.badge-running)").first();
  await running.waitFor({ timeout: 30000 });
  runningTrial = await running.getAttribute("data-trial");
  await page.locator(`#trial-table tr[data-trial="${runningTrial}"]`).click();
  await page.waitForSelector("#kill-trial", { timeout: 10000 });
  const points = async () => Number((await page.textContent(".card h3 >> text=/Intermediate results/")).match(/\((\d+) points\)/)?.[1] ?? -1);
  const before = await points();
  await page.waitForFunction((b) => {
    const h = [...document.querySelectorAll(".card h3")].find((e) => e.textContent.startsWith("Intermediate results"));
    return Number(h.textContent.match(/\((\d+) points\)/)?.[1] ?? -1) > b;
  }, before, { timeout: 15000 });
  assert((await points()) > before, "no new points");
  await page.waitForFunction(() => document.querySelector("#trial-log").textContent.includes("step"), null, { timeout: 10000 });
  await shot("trial-running");
  await page.click("#kill-trial");
  await page.waitForFunction(() => document.querySelector("#trial-status").textContent === "KILLED", null, { timeout: 15000 });
  await shot("trial-killed");
});

await step("stop and resume; the list follows the resumed run to its end without reload", async () => {
  await page.goto(`${base}/#/experiments/${experimentId}`);
  await page.click("#stop-experiment", { timeout: 15000 });
  await page.waitForSelector("#resume-experiment", { timeout: 15000 });
  assert((await page.textContent(".page-head h1")).includes("STOPPED"), "not STOPPED");
  await shot("experiment-stopped");
  await page.click("#resume-experiment");
  await page.waitForSelector("#stop-experiment", { timeout: 15000 });
  assert((await page.textContent(".page-head h1")).includes("RUNNING"), "not RUNNING after resume");
  await page.goto(`${base}/#/`);
  const row = `#experiment-table tr[data-experiment="${experimentId}"]`;
  await page.waitForSelector(row, { timeout: 10000 });
  let navigations = 0;
  const counter = () => navigations++;
  page.on("framenavigated", counter);
  const before = num(await page.textContent(`${row} .progress-count`));
  await page.waitForFunction(([sel, p]) => Number(document.querySelector(`${sel} .progress-count`).textContent.split("/")[0]) > p,
    [row, before], { timeout: 60000 });
  await page.waitForFunction((sel) => document.querySelector(sel).textContent.includes("DONE"), row, { timeout: 90000 });
  page.off("framenavigated", counter);
  assert(navigations === 0, `the list reloaded ${navigations} times`);
  await shot("experiments-done");
  await page.goto(`${base}/#/experiments/${experimentId}`);
  await page.waitForFunction(() => document.querySelector(".page-head h1").textContent.includes("DONE"), null, { timeout: 10000 });
  await shot("experiment-done");
});

await step("compare: curves, parallel coordinates and importance render", async () => {
  await page.goto(`${base}/#/experiments/${experimentId}/compare`);
  await page.waitForFunction(() => document.querySelectorAll("canvas").length >= 3, null, { timeout: 10000 });
  await page.waitForTimeout(500);
  await shot("compare");
});

await step("export downloads a file whose rows match `dlctl trials --output json`", async () => {
  await page.goto(`${base}/#/experiments/${experimentId}`);
  await page.waitForSelector("text=Export JSON");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("text=Export JSON")]);
  const exported = JSON.parse(fs.readFileSync(await download.path(), "utf8"));
  const cli = JSON.parse(execFileSync(dlctl, ["trials", experimentId, "--output", "json"], { env }).toString());
  assert(exported.length === cli.length && cli.length >= 6, `row counts differ: ${exported.length} vs ${cli.length}`);
  const byId = new Map(cli.map((t) => [t.id, t]));
  for (const row of exported) {
    const want = byId.get(row.id);
    assert(want, `exported trial ${row.id} unknown to dlctl`);
    for (const key of ["index", "status", "parameters", "final", "intermediate", "loss", "exit_code", "signal", "started", "ended", "reason", "attempt"]) {
      assert(JSON.stringify(row[key]) === JSON.stringify(want[key]), `trial ${row.id} ${key}: ${JSON.stringify(row[key])} vs ${JSON.stringify(want[key])}`);
    }
    assert(Math.abs(row.duration_s - want.duration_s) < 0.002, `trial ${row.id} duration_s differs`);
  }
  assert(exported.some((t) => t.id === runningTrial && t.status === "KILLED"), "the killed trial is not KILLED in the export");
});

await step("the pages logged no errors", async () => {
  assert(consoleErrors.length === 0, consoleErrors.join("\n"));
});

await context.close();
daemon.kill("SIGTERM");
await new Promise((r) => daemon.once("exit", r));
fs.writeFileSync(path.join(outDir, "results.txt"), results.join("\n") + "\n");
console.log(`\ndashboard e2e: ${passed} passed, ${failed} failed (screenshots in ${outDir})`);
process.exit(failed ? 1 : 0);
