// The vendor console in a real browser: a real `parley-vendor`, people's messages sent
// by real `parley` agents, staff working the case to a closed loop.
import { expect, test, type Page } from "@playwright/test";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const here = dirname(fileURLToPath(import.meta.url));
const bin = (name: string) => resolve(here, "../../../target/debug", name);
const shots = process.env.PARLEY_UPDATE_SCREENSHOTS === "1";
const shot = async (page: Page, name: string) => {
  if (shots) await page.screenshot({ path: resolve(here, `../../../docs/screenshots/${name}.png`), fullPage: true });
};

const PASSWORD = "a long staff password";
const MARKER = "LID-LEAKS-ONTO-THE-COUNTER-5e2";
const work = mkdtempSync(join(tmpdir(), "parley-console-"));
const data = join(work, "vendor");
let server: ChildProcess;
let base = "";

const vendor = (...args: string[]) =>
  execFileSync(bin("parley-vendor"), ["--data", data, ...args], {
    env: { ...process.env, PARLEY_STAFF_PASSWORD: PASSWORD, PARLEY_LOG: "warn" },
    encoding: "utf8",
  });
const person = (...args: string[]) =>
  execFileSync(bin("parley"), args, {
    env: { ...process.env, PARLEY_VAULT: join(work, "vault"), PARLEY_PASSPHRASE: "correct horse battery staple", PARLEY_INSECURE_KDF: "1" },
    encoding: "utf8",
  }).trim();

test.beforeAll(async () => {
  vendor("init", "--name", "Acme Kettles", "--agreements", "SD-BASE,SD-BASE-DP,PDC-INTENT");
  vendor("staff", "add", "ana@acme.example", "--role", "admin");
  vendor("staff", "add", "ben@acme.example", "--role", "agent");
  vendor("staff", "add", "cy@acme.example", "--role", "viewer");
  server = spawn(bin("parley-vendor"), ["--data", data, "serve", "--listen", "127.0.0.1:0"], {
    env: { ...process.env, PARLEY_LOG: "warn" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  base = await new Promise<string>((ok) => createInterface({ input: server.stdout! }).once("line", (l) => ok(l.trim())));

  person("init");
  person("vendor", "add", "--url", base);
  person("consent", "grant", "--vendor", "Acme Kettles", "--purpose", "improvement", "--categories", "feedback,product", "--retention-days", "30");
  const kettle = person("product", "add", "--name", "Kettle K2", "--model", "K2", "--vendor", "Acme Kettles");
  const unhappy = person("feedback", "add", "--product", kettle, "--score", "2", "--text", `${MARKER}: the lid leaks`);
  person("feedback", "send", unhappy);
  const happy = person("feedback", "add", "--product", kettle, "--score", "9", "--text", "Boils fast");
  person("feedback", "send", happy);
});

test.afterAll(() => {
  server?.kill();
});

const signIn = async (page: Page, email: string, password = PASSWORD) => {
  await page.goto(`${base}/console/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
};
const signOut = async (page: Page) => page.getByRole("button", { name: "Sign out" }).click();

test("a support team closes a detractor's loop, and the person's revocation leaves no trace", async ({ page, browser }) => {
  // A wrong password says so.
  await signIn(page, "ana@acme.example", "not the password");
  await expect(page.getByTestId("sign-in-error")).toHaveText("Wrong email or password.");

  // The admin sees the detractor's alert and gives the case to an agent.
  await signIn(page, "ana@acme.example");
  await expect(page.getByTestId("who")).toContainText("ana@acme.example · admin");
  await expect(page.getByTestId("open-alerts")).toHaveText("1");
  await expect(page.getByTestId("alerts")).toContainText("Detractor (feedback 0–6)");
  await shot(page, "console-dashboard");
  await page.getByTestId("alerts").getByRole("link").first().click();
  await expect(page.getByTestId("case-title")).toContainText(MARKER);
  await expect(page.getByTestId("consent")).toContainText("Agreed under SD-BASE for improvement");
  await page.getByTestId("assignee").selectOption("ben@acme.example");
  await page.getByTestId("case-form").getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("case-owner")).toHaveText("ben@acme.example");
  const caseUrl = page.url();
  await signOut(page);

  // The agent replies; it waits to be pulled.
  await signIn(page, "ben@acme.example");
  await page.goto(caseUrl);
  await page.getByLabel("Reply to the person").fill("We are sorry: a new lid is on its way, free of charge.");
  await page.getByRole("button", { name: "Sign and send reply" }).click();
  await expect(page.getByTestId("not-pulled")).toBeVisible();
  await expect(page.getByTestId("case-state")).toHaveText("waiting");

  // The person's sync brings the reply home; the case shows it pulled, the loop closed.
  person("sync");
  expect(person("inbox")).toContain("a new lid is on its way");
  await page.reload();
  await expect(page.getByTestId("pulled")).toContainText("pulled by the person");
  await shot(page, "console-case");
  await page.goto(`${base}/console/`);
  await expect(page.getByTestId("open-alerts")).toHaveText("0");
  await expect(page.getByTestId("loops-7")).toHaveText("100%");

  // NPS over time shows both scores.
  await page.goto(`${base}/console/nps`);
  await expect(page.getByTestId("nps-chart")).toContainText("NPS 0 from 2 responses");
  await expect(page.getByTestId("nps-table")).toContainText("2");
  await shot(page, "console-nps");

  // Without the CSRF token, a write is refused even for the agent.
  const caseId = decodeURIComponent(caseUrl.split("/console/cases/")[1]);
  const noToken = await page.request.post(`${base}/console/api/cases/${encodeURIComponent(caseId)}/notes`, { data: { text: "sneaky" } });
  expect(noToken.status()).toBe(403);
  expect((await noToken.json()).type).toBe("urn:parley:problem:csrf");
  await signOut(page);

  // A viewer is not offered the reply, and the API says 403.
  const viewer = await browser.newPage();
  await signIn(viewer, "cy@acme.example");
  await viewer.goto(caseUrl);
  await expect(viewer.getByTestId("thread")).toBeVisible();
  await expect(viewer.getByTestId("reply-form")).toHaveCount(0);
  const me = await (await viewer.request.get(`${base}/console/api/me`)).json();
  const refused = await viewer.request.post(`${base}/console/api/cases/${encodeURIComponent(caseId)}/reply`, {
    data: { text: "I am only a viewer" },
    headers: { "x-csrf-token": me.csrfToken },
  });
  expect(refused.status()).toBe(403);
  expect((await refused.json()).type).toBe("urn:parley:problem:forbidden");

  // The person revokes: the case's text is gone from the page, the API and the database.
  const consent = JSON.parse(person("consent", "list", "--json"))[0].id;
  person("consent", "revoke", consent);
  await viewer.goto(caseUrl);
  await expect(viewer.getByTestId("deleted-stub")).toContainText("deleted");
  expect(await viewer.content()).not.toContain(MARKER);
  const api = await viewer.request.get(`${base}/console/api/cases/${encodeURIComponent(caseId)}`);
  expect(await api.text()).not.toContain(MARKER);
  for (const file of ["vendor.db", "vendor.db-wal"]) {
    const path = join(data, file);
    if (existsSync(path)) expect(readFileSync(path).includes(MARKER)).toBe(false);
  }

  // Repeated failures are throttled (this address has failed once already).
  const other = await browser.newPage();
  for (let i = 0; i < 4; i++) {
    await signIn(other, "ben@acme.example", "guessing");
    await expect(other.getByTestId("sign-in-error")).toHaveText("Wrong email or password.");
  }
  await signIn(other, "ben@acme.example");
  await expect(other.getByTestId("sign-in-error")).toContainText("Too many failed sign-ins");
});
