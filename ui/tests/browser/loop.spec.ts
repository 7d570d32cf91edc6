import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { installFakeBackend } from "./fake-backend";

// Screens worth showing in the README are written to docs/screenshots when asked.
const shots = process.env.PARLEY_UPDATE_SCREENSHOTS === "1";
const shot = async (page: Page, name: string) => {
  if (shots) await page.screenshot({ path: `../docs/screenshots/${name}.png` });
};

/** axe-core on the page as it is now: no serious or critical violation (WCAG 2.1 AA). */
const accessible = async (page: Page, state: string) => {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), `axe on ${state}`).toEqual([]);
};

// The app on the fake backend, past vault creation.
const openWithNewVault = async (page: Page) => {
  await page.addInitScript(installFakeBackend);
  await page.goto("/");
  await page.getByTestId("passphrase").fill("correct horse battery staple");
  await page.getByTestId("passphrase-again").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Create vault" }).click();
  await expect(page.getByTestId("nav-products")).toBeVisible();
};

const addKettle = async (page: Page) => {
  await page.getByTestId("add-product").click();
  await page.getByTestId("product-name").fill("Kettle K2");
  await page.getByLabel("Vendor").fill("Acme Kettles");
  await page.getByLabel("Serial").fill("SN-778");
  await page.getByTestId("product-warranty").fill("2030-05-01");
  await page.getByTestId("save-product").click();
  await expect(page.getByTestId("product-list")).toContainText("Kettle K2");
};

test("feedback without a consent: asked in words, allowed and sent; the reply under the feedback and in the Inbox", async ({ page }) => {
  await page.addInitScript(installFakeBackend);
  await page.goto("/");

  // Create the vault: a weak passphrase is not accepted, a matching strong one is.
  await page.getByTestId("passphrase").fill("short");
  await expect(page.getByRole("button", { name: "Create vault" })).toBeDisabled();
  await accessible(page, "the welcome screen");
  await page.getByTestId("passphrase").fill("correct horse battery staple");
  await page.getByTestId("passphrase-again").fill("correct horse battery staple");
  await expect(page.getByTestId("strength")).toHaveAttribute("data-score", "4");
  await shot(page, "create-vault");
  await page.getByRole("button", { name: "Create vault" }).click();

  // A product, listed with its warranty; rows open from the keyboard.
  await addKettle(page);
  await expect(page.getByTestId("product-list")).toContainText("Active");
  await expect(page.getByTestId("product-detail")).toContainText("SN-778");
  await page.getByTestId("product-list").locator("tbody tr").first().focus();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("product-detail")).toContainText("Kettle K2");
  await accessible(page, "products");
  await shot(page, "products");

  // Feedback from the product; the score chosen with the arrow keys.
  await page.getByTestId("give-feedback").click();
  await page.getByTestId("score-0").focus();
  for (let i = 0; i < 9; i++) await page.keyboard.press("ArrowRight");
  await expect(page.getByTestId("score-9")).toHaveAttribute("aria-checked", "true");
  await expect(page.getByTestId("score-9")).toBeFocused();
  await page.getByTestId("feedback-text").fill("Quiet, boils fast");
  await accessible(page, "the feedback form");
  await page.getByTestId("save-feedback").click();

  // No consent covers it: the sheet asks in a sentence, with the roster id behind Details.
  const sheet = page.getByTestId("consent-sheet");
  await expect(sheet).toContainText("Let Acme Kettles receive my feedback and the product it is about, for 1 year?");
  await expect(sheet.getByText("SD-BASE")).toBeHidden();
  await accessible(page, "the consent sheet");
  await shot(page, "consent-sheet");
  await page.getByTestId("allow-and-send").click();
  await expect(sheet).toBeHidden();
  await expect(page.getByTestId("sent")).toContainText("Delivered to Acme Kettles (receipt verified)");
  await expect(page.getByTestId("feedback-list")).toContainText("Quiet, boils fast");
  await expect(page.locator("body")).not.toContainText("parley consent");

  // The vendor replies: the sync says so beside its button, the Inbox counts it, the
  // reply shows under the feedback it answers (seen there) and in the Inbox.
  await page.getByTestId("nav-products").click();
  await page.getByTestId("sync-now").click();
  await expect(page.getByTestId("sync-result")).toContainText("1 new in your Inbox");
  await expect(page.getByTestId("unread-count")).toHaveText("1");
  await page.getByTestId("nav-feedback").click();
  await expect(page.getByTestId("feedback-reply")).toContainText("Acme Kettles replied: Thank you! A descaler is on its way.");
  await expect(page.getByTestId("unread-count")).toBeHidden();
  await page.getByTestId("nav-inbox").click();
  await expect(page.getByTestId("inbox")).toContainText("Acme Kettles replied about Kettle K2");
  await accessible(page, "the inbox");
  await shot(page, "inbox");
  await page.getByRole("button", { name: "Open your feedback about Kettle K2" }).click();
  await expect(page.getByTestId("feedback-item")).toContainText("Thank you! A descaler is on its way.");

  // What I've shared: each message once, in words, under the consent it went with.
  await page.getByTestId("nav-activity").click();
  const feedbackShared = page.getByTestId("shared-message").filter({ hasText: "Your feedback" });
  await expect(feedbackShared).toHaveCount(1);
  await expect(feedbackShared).toContainText("Your score: 9 out of 10");
  await expect(feedbackShared).toContainText("Kettle K2");
  await expect(page.getByTestId("shared")).not.toContainText("ConsentGrant");
  await expect(page.getByTestId("reads")).toContainText("Your feedback was read by staff 3 (agent) in the console");
  await page.getByTestId("verify-log").click();
  await expect(page.getByTestId("log-intact")).toBeVisible();
  await expect(page.getByTestId("timeline")).toContainText("Feedback delivered to Acme Kettles");
  await accessible(page, "what I've shared");
  await shot(page, "activity");

  // Consents read as sentences; withdrawing asks in the app's own dialog.
  await page.getByTestId("nav-consents").click();
  await expect(page.getByTestId("consent-list")).toContainText("Acme Kettles may receive my opinions and scores");
  await page.getByRole("button", { name: "Withdraw" }).click();
  const dialog = page.getByTestId("dialog");
  await expect(dialog).toContainText("Withdraw your consent from Acme Kettles?");
  await accessible(page, "the withdraw dialog");
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("consent-list")).toContainText("agreed");
  await page.getByRole("button", { name: "Withdraw" }).click();
  await page.getByTestId("dialog-reason").fill("Moving house");
  await page.getByTestId("dialog-confirm").click();
  await expect(page.getByTestId("consent-list")).toContainText("withdrawn");
  await expect(page.getByTestId("consent-list")).toContainText("signed that it deleted 1 message");
  await accessible(page, "consents");

  for (const screen of ["support", "vendors", "settings", "intents"]) {
    await page.getByTestId(`nav-${screen}`).click();
    await accessible(page, screen);
  }
});

test("a draft is edited before it leaves, and deleting one asks first", async ({ page }) => {
  await openWithNewVault(page);
  await addKettle(page);
  await page.getByTestId("give-feedback").click();
  await page.getByTestId("score-3").click();
  await page.getByTestId("feedback-text").fill("Too loud");
  await page.getByTestId("save-feedback").click();
  await page.getByTestId("sheet-decline").click();
  await expect(page.getByTestId("feedback-item")).toContainText("Draft: not sent yet.");
  await page.getByTestId("feedback-item").getByRole("button", { name: "Edit" }).click();
  await page.getByTestId("feedback-text").fill("A little loud, but fast");
  await page.getByTestId("save-feedback").click();
  await page.getByTestId("sheet-decline").click();
  await expect(page.getByTestId("feedback-item")).toContainText("A little loud, but fast");
  await page.getByTestId("feedback-item").getByRole("button", { name: "Delete" }).click();
  await page.getByTestId("dialog-cancel").click();
  await expect(page.getByTestId("feedback-item")).toHaveCount(1);
  await page.getByTestId("feedback-item").getByRole("button", { name: "Delete" }).click();
  await page.getByTestId("dialog-confirm").click();
  await expect(page.getByTestId("feedback-item")).toHaveCount(0);

  // A consent given by hand for feedback alone: the form says the vendor would not know
  // which product it is about, and offers to include it.
  await page.getByTestId("nav-consents").click();
  await page.getByText("Give a consent yourself").click();
  await page.getByTestId("consent-vendor").selectOption({ label: "Acme Kettles" });
  await page.getByTestId("grant").click();
  await expect(page.getByTestId("grant-result")).toContainText("Acme Kettles agreed");
  await page.getByTestId("nav-products").click();
  await page.getByTestId("product-list").getByText("Kettle K2").click();
  await page.getByTestId("give-feedback").click();
  await expect(page.getByTestId("form-product-left-out")).toContainText("will not know which product it is about");
  await page.getByRole("button", { name: "Include the product's details" }).click();
  await expect(page.getByTestId("consent-sheet")).toContainText("Let Acme Kettles receive my feedback and the product it is about");
  await page.getByTestId("allow-and-send").click();
  await expect(page.getByTestId("form-product-left-out")).toBeHidden();

  // A product is edited in place.
  await page.getByTestId("nav-products").click();
  await page.getByTestId("product-list").getByText("Kettle K2").click();
  await page.getByTestId("edit-product").click();
  await page.getByTestId("product-name").fill("Kettle K2 Pro");
  await page.getByTestId("save-product").click();
  await expect(page.getByTestId("product-saved")).toHaveText("Changes saved.");
  await expect(page.getByTestId("product-detail")).toContainText("Kettle K2 Pro");
});

test("cast an intent to two vendors, compare the offers side by side, accept one after saying what happens", async ({ page }) => {
  await openWithNewVault(page);

  await page.getByTestId("nav-intents").click();
  await page.getByLabel("What you want").fill("Espresso machine, dual boiler");
  await page.getByLabel("Budget").fill("900");
  await page.getByRole("button", { name: "Write intent" }).click();
  await expect(page.getByTestId("intent-detail")).toContainText("Espresso machine, dual boiler");
  await page.getByLabel("Acme Kettles").check();
  await page.getByLabel("Brew Shop").check();
  // One consent asked per vendor, then the intent goes to both.
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("consent-sheet")).toContainText("Let Acme Kettles receive what I want to buy, for 1 year?");
  await page.getByTestId("allow-and-send").click();
  await expect(page.getByTestId("consent-sheet")).toContainText("Let Brew Shop receive what I want to buy, for 1 year?");
  await page.getByTestId("allow-and-send").click();

  const offers = page.getByTestId("offers");
  await expect(offers).toContainText("849.00 EUR");
  await expect(offers).toContainText("799.00 EUR");
  await accessible(page, "intents with offers");
  await shot(page, "intent-offers");
  await offers.locator(".offer", { hasText: "Brew Shop" }).getByRole("button", { name: "Accept" }).click();
  await expect(page.getByTestId("dialog")).toContainText("Accept Brew Shop's offer at 799.00 EUR?");
  await expect(page.getByTestId("dialog")).toContainText("its updates (shipped, delivered) arrive in your Inbox");
  await accessible(page, "the accept dialog");
  await page.getByTestId("dialog-confirm").click();
  await expect(offers.locator(".offer", { hasText: "Brew Shop" })).toContainText("Accepted");
  await expect(page.getByTestId("intent-list")).toContainText("Offer accepted");

  // A second intent's preview: what leaves, in words, with the JSON behind Technical details.
  await page.getByLabel("What you want").fill("Milk jug");
  await page.getByRole("button", { name: "Write intent" }).click();
  await page.getByLabel("Acme Kettles").check();
  await page.getByRole("button", { name: "Preview" }).click();
  const preview = page.getByTestId("preview");
  await expect(preview.getByTestId("preview-fields")).toContainText("What you wantMilk jug");
  await expect(preview.locator("pre")).toBeHidden();
  await preview.evaluate((e) => e.scrollIntoView({ block: "start" }));
  await shot(page, "preview");
  await preview.getByText("Technical details").click();
  await expect(preview.locator("pre")).toContainText('"type": "Intent"');
  await accessible(page, "an intent's preview");

  // The vendors screen shows the pinned key and what was exchanged, without jargon.
  await page.getByTestId("nav-vendors").click();
  await page.getByTestId("vendor-list").getByRole("button", { name: "Brew Shop" }).click();
  await expect(page.getByTestId("fingerprint")).toHaveText("1525 2f49 7bcc cb8f b225 2d6a 2080 fc36");
  await expect(page.getByTestId("my-did")).toBeHidden();
  await accessible(page, "a vendor");
  await shot(page, "vendors");
});

test("a support request asks for its consent the same way; the unlock screen is accessible too", async ({ page }) => {
  await openWithNewVault(page);
  await addKettle(page);
  await page.getByRole("button", { name: "Ask for help" }).click();
  await page.getByLabel("Subject").fill("It leaks");
  await page.getByLabel("What is wrong").fill("Water under the base after each boil");
  await page.getByRole("button", { name: "Save and preview" }).click();
  await expect(page.getByTestId("consent-sheet")).toContainText(
    "Let Acme Kettles receive my request for help and the product it is about, for 1 year?",
  );
  await expect(page.getByTestId("consent-sheet")).toContainText("only to help you with what you own");
  await accessible(page, "the support consent sheet");
  await page.getByTestId("allow-and-send").click();
  await expect(page.getByTestId("sent")).toContainText("Delivered to Acme Kettles (receipt verified)");
  await expect(page.getByTestId("support-thread")).toContainText("It leaks");
  await expect(page.getByTestId("support-thread")).toContainText("Sent");
  await accessible(page, "support with a request");

  await page.getByTestId("lock").click();
  await expect(page.getByTestId("unlock-form")).toBeVisible();
  await accessible(page, "the unlock screen");
  await page.getByTestId("passphrase").fill("not it");
  await page.getByRole("button", { name: "Unlock" }).click();
  await expect(page.getByTestId("wrong-passphrase")).toBeVisible();
  await accessible(page, "a wrong passphrase");
  await page.getByTestId("passphrase").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Unlock" }).click();
  await expect(page.getByTestId("nav-inbox")).toBeVisible();
});

test("every screen fits 1024×700 and keeps the navigation in view", async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  await openWithNewVault(page);
  await addKettle(page);
  for (const screen of ["inbox", "products", "intents", "feedback", "support", "vendors", "consents", "activity", "settings"]) {
    await page.getByTestId(`nav-${screen}`).click();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${screen} overflows sideways`).toBeLessThanOrEqual(0);
    await page.mouse.wheel(0, 2000);
    await expect(page.getByTestId("lock")).toBeInViewport();
  }
});

test("export a backup to a file chosen in the file dialog", async ({ page }) => {
  await openWithNewVault(page);
  await page.getByTestId("nav-settings").click();

  // Cancelling the dialog leaves the field as it was; choosing a file fills it in.
  await page.getByRole("button", { name: "Choose a backup…" }).click();
  await expect(page.getByLabel("File")).toHaveValue("");
  await page.getByRole("button", { name: "Choose where to save…" }).click();
  await expect(page.getByLabel("File")).toHaveValue("/home/ana/parley-backup.pbk");
  await page.getByLabel("Backup passphrase", { exact: true }).fill("1234");
  await page.getByLabel("Backup passphrase again").fill("1234");
  await expect(page.getByRole("button", { name: "Export" })).toBeDisabled();
  await page.getByLabel("Backup passphrase", { exact: true }).fill("another long passphrase");
  await expect(page.getByRole("button", { name: "Export" })).toBeDisabled();
  await page.getByLabel("Backup passphrase again").fill("another long passphrase");
  await page.getByRole("button", { name: "Export" }).click();
  await expect(page.getByTestId("backup-result")).toHaveText("Backup written to /home/ana/parley-backup.pbk.");
  await accessible(page, "settings after a backup");
});
