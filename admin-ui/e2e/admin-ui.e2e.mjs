// The admin page end to end in a real Chromium (Debian's, driven by playwright-core), against the
// real app. Run by runtime-worker/tests/admin_ui_browser.rs, which starts the app and a worker,
// makes a dead job and passes everything in the environment:
//   HX_BASE_URL, HX_CHROMIUM, HX_OUTPUT (screenshots), HX_ADMIN_TOKEN, HX_EXPIRED_TOKEN,
//   HX_FORGED_TOKEN (admin-shaped, wrong signature), HX_DEAD_JOB (its id).
// Exits non-zero with the failed step's message; prints one line per step that passed.
import { chromium } from "playwright-core";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const env = process.env;
const base = env.HX_BASE_URL;
const output = env.HX_OUTPUT;
mkdirSync(output, { recursive: true });
for (const old of readdirSync(output).filter((name) => name.endsWith(".png"))) {
  rmSync(join(output, old)); // a stale "failed-…" picture must not outlive the run that made it
}

const browser = await chromium.launch({ executablePath: env.HX_CHROMIUM, args: ["--no-sandbox"] });
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
const page = await context.newPage();
page.setDefaultTimeout(15000);
const consoleErrors = [];
page.on("console", (message) => {
  // A refused request is logged by the browser itself ("Failed to load resource: … 401"): the
  // steps below cause some on purpose. Anything else logged as an error is the app's fault.
  if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
    consoleErrors.push(message.text());
  }
});
page.on("pageerror", (error) => consoleErrors.push(String(error)));

let failures = 0;
async function step(name, body) {
  try {
    await body();
    console.log(`ok   ${name}`);
  } catch (error) {
    failures += 1;
    console.log(`FAIL ${name}: ${error.stack ?? error}`);
    await page.screenshot({ path: join(output, `failed-${name.replace(/\W+/g, "-")}.png`), fullPage: true }).catch(() => {});
  }
}
function expect(condition, message) {
  if (!condition) throw new Error(message);
}
const shot = (name) => page.screenshot({ path: join(output, `${name}.png`), fullPage: true });
const nav = (label) => page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: label }).click();

let firstSecret = "";

await step("signs in by the link, and the token leaves the address bar", async () => {
  await page.goto(`${base}/admin-ui/#token=${env.HX_ADMIN_TOKEN}`);
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  expect(!page.url().includes("token="), `the token is still in the address: ${page.url()}`);
  const stored = await page.evaluate(() => sessionStorage.getItem("hexaspin.admin-token"));
  expect(stored === env.HX_ADMIN_TOKEN, "the token is kept in sessionStorage");
  const expiry = await page.getByTestId("token-expiry").getAttribute("datetime");
  expect(expiry && new Date(expiry) > new Date(), `the expiry shown is ${expiry}`);
  await page.getByTestId("readiness").filter({ hasText: "ready" }).waitFor();
  await shot("overview");
});

await step("creates a key: the secret is shown once and is gone after a reload", async () => {
  await nav("Keys");
  await page.getByRole("heading", { name: "API keys" }).waitFor();
  await page.getByRole("button", { name: "New key" }).click();
  const form = page.getByRole("form", { name: "New key" });
  await form.getByLabel("Name").fill("browser key");
  await form.getByLabel("Owner").fill("acme");
  await form.getByLabel("Rate per second").fill("5");
  await form.getByLabel("Burst").fill("10");
  await form.getByRole("button", { name: "Create key" }).click();
  const secret = page.getByTestId("secret");
  await secret.waitFor();
  firstSecret = (await secret.textContent()) ?? "";
  expect(firstSecret.startsWith("hx_"), `the secret is ${firstSecret}`);
  await page.getByRole("button", { name: "Copy" }).click();
  await page.getByRole("button", { name: "Copied" }).waitFor();
  await page.getByRole("link", { name: "browser key" }).waitFor();
  await shot("keys-created");
  await page.reload();
  await page.getByRole("link", { name: "browser key" }).waitFor();
  expect((await page.getByTestId("secret").count()) === 0, "the secret is still shown after a reload");
  expect(!(await page.content()).includes(firstSecret), "the secret is in the page after a reload");
  await shot("keys");
});

await step("edits the key's limits", async () => {
  await page.getByRole("link", { name: "browser key" }).click();
  await page.getByRole("heading", { name: /browser key/ }).waitFor();
  const form = page.getByRole("form", { name: "Edit key" });
  await form.getByLabel("Burst").fill("20");
  await form.getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  await page.getByText("5 / 20").waitFor();
  await shot("key-detail");
});

await step("rotates the key: a new secret, shown once", async () => {
  await page.getByLabel("Old secret stays valid for (seconds)").fill("60");
  await page.getByRole("button", { name: "Rotate secret" }).click();
  const secret = page.getByTestId("secret");
  await secret.waitFor();
  const rotated = (await secret.textContent()) ?? "";
  expect(rotated.startsWith("hx_") && rotated !== firstSecret, "rotation shows a new secret");
  await page.getByRole("button", { name: "I have stored it" }).click();
  expect((await page.getByTestId("secret").count()) === 0, "dismissed");
});

await step("revokes the key after a confirmation", async () => {
  await page.getByRole("button", { name: "Revoke…" }).click();
  await page.getByRole("button", { name: "Yes, revoke browser key" }).click();
  await page.getByRole("heading", { name: /browser key/ }).getByText("revoked").waitFor();
});

await step("the audit log lists what was done, newest first", async () => {
  await nav("Audit");
  await page.getByRole("heading", { name: "Audit log" }).waitFor();
  const actions = await page.locator("tbody tr td:nth-child(3)").allTextContents();
  const ours = actions.filter((a) => a.startsWith("api_key."));
  expect(
    JSON.stringify(ours.slice(0, 4)) === JSON.stringify(["api_key.revoked", "api_key.rotated", "api_key.updated", "api_key.created"]),
    `actions: ${actions}`,
  );
  await shot("audit");
});

await step("a dead job is retried from the queues page and succeeds", async () => {
  await nav("Queues");
  await page.getByRole("heading", { name: "Queues" }).waitFor();
  await page.getByTestId("depths").getByRole("rowheader", { name: "dead" }).waitFor();
  await page.getByRole("button", { name: env.HX_DEAD_JOB }).click();
  await page.getByRole("heading", { name: env.HX_DEAD_JOB }).waitFor();
  await page.getByText("asked to retry").waitFor();
  await shot("queues-dead-job");
  await page.getByRole("button", { name: "Retry job" }).click();
  await page.getByRole("status").filter({ hasText: "Retried" }).waitFor();
  await page.getByLabel("State").selectOption("succeeded");
  await page.getByRole("button", { name: env.HX_DEAD_JOB }).waitFor({ timeout: 30000 });
  await shot("queues");
});

await step("the overview counts the job that ran", async () => {
  await nav("Overview");
  // Polled from here: waitForFunction would evaluate a string in the page, which its CSP forbids.
  const deadline = Date.now() + 20000;
  let succeeded = 0;
  while (!(succeeded > 0) && Date.now() < deadline) {
    succeeded = Number(await page.getByTestId("jobs-succeeded").textContent());
    if (!(succeeded > 0)) await page.waitForTimeout(500);
  }
  expect(succeeded > 0, "the overview never showed a succeeded job");
  await page.waitForTimeout(5500); // a second sample, for the chart
  await shot("overview-after-job");
});

await step("a finished job is deleted from the queues page", async () => {
  await nav("Queues");
  await page.getByLabel("State").selectOption("succeeded");
  await page.getByRole("button", { name: env.HX_DEAD_JOB }).click();
  await page.getByRole("button", { name: "Delete job" }).click();
  await page.getByRole("status").filter({ hasText: "Deleted." }).waitFor();
  await page.getByText("No succeeded jobs.").waitFor();
});

await step("every input is labelled and the pages are keyboard reachable with a visible focus", async () => {
  for (const label of ["Keys", "Audit", "Queues", "Overview"]) {
    await nav(label);
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll("input, select, textarea")]
        .filter((el) => el.labels.length === 0 && !el.getAttribute("aria-label"))
        .map((el) => el.outerHTML),
    );
    expect(unlabelled.length === 0, `${label}: unlabelled ${unlabelled}`);
  }
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  const focus = await page.evaluate(() => {
    const el = document.activeElement;
    return el ? { tag: el.tagName, outline: getComputedStyle(el).outlineStyle } : null;
  });
  expect(focus && focus.tag === "A" && focus.outline !== "none", `focus: ${JSON.stringify(focus)}`);
});

await step("fits a 390 px wide screen", async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  for (const label of ["Keys", "Queues", "Overview"]) {
    await nav(label);
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow <= 1, `${label} overflows by ${overflow}px`);
    await shot(`narrow-${label.toLowerCase()}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
});

await step("a token the API refuses (401) returns to sign-in", async () => {
  await page.evaluate((token) => sessionStorage.setItem("hexaspin.admin-token", token), env.HX_FORGED_TOKEN);
  await page.goto(`${base}/admin-ui/keys`);
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  await page.getByRole("alert").filter({ hasText: "invalid_token" }).waitFor();
});

await step("an expired token lands on sign-in", async () => {
  await page.evaluate((token) => sessionStorage.setItem("hexaspin.admin-token", token), env.HX_EXPIRED_TOKEN);
  await page.goto(`${base}/admin-ui/`);
  await page.getByRole("alert").filter({ hasText: "expired" }).waitFor();
  await shot("sign-in-expired");
  await page.getByLabel("Admin token (JWT)").fill(env.HX_ADMIN_TOKEN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
});

await step("nothing was logged as an error in the console", async () => {
  expect(consoleErrors.length === 0, `console errors: ${consoleErrors.join(" | ")}`);
});

await browser.close();
if (failures > 0) {
  console.log(`${failures} step(s) failed; screenshots in ${output}`);
  process.exit(1);
}
console.log(`all steps passed; screenshots in ${output}`);
