import { expect, test } from "@playwright/test";
import { installFakeBackend } from "./fake-backend";

// Screens worth showing in the README are written to docs/screenshots when asked.
const shots = process.env.PARLEY_UPDATE_SCREENSHOTS === "1";
const shot = async (page: import("@playwright/test").Page, name: string) => {
  if (shots) await page.screenshot({ path: `../docs/screenshots/${name}.png` });
};

// The app on the fake backend, past vault creation.
const openWithNewVault = async (page: import("@playwright/test").Page) => {
  await page.addInitScript(installFakeBackend);
  await page.goto("/");
  await page.getByTestId("passphrase").fill("correct horse battery staple");
  await page.getByTestId("passphrase-again").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Create vault" }).click();
};

test("create a vault, add a product, send feedback, see it in the activity", async ({ page }) => {
  await page.addInitScript(installFakeBackend);
  await page.goto("/");

  // Create the vault: a weak passphrase is not accepted, a matching strong one is.
  await page.getByTestId("passphrase").fill("short");
  await expect(page.getByRole("button", { name: "Create vault" })).toBeDisabled();
  await page.getByTestId("passphrase").fill("correct horse battery staple");
  await page.getByTestId("passphrase-again").fill("correct horse battery staple");
  await expect(page.getByTestId("strength")).toHaveAttribute("data-score", "4");
  await shot(page, "create-vault");
  await page.getByRole("button", { name: "Create vault" }).click();

  // Add a product; it is listed with its warranty status.
  await page.getByTestId("add-product").click();
  await page.getByTestId("product-name").fill("Kettle K2");
  await page.getByLabel("Vendor").fill("Acme Kettles");
  await page.getByLabel("Serial").fill("SN-778");
  await page.getByTestId("product-warranty").fill("2030-05-01");
  await page.getByTestId("save-product").click();
  await expect(page.getByTestId("product-list")).toContainText("Kettle K2");
  await expect(page.getByTestId("product-list")).toContainText("Active");
  await expect(page.getByTestId("product-detail")).toContainText("SN-778");
  await shot(page, "products");

  // Give feedback from the product: score, text, preview of what leaves, send.
  await page.getByTestId("give-feedback").click();
  await page.getByTestId("score-9").click();
  await page.getByTestId("feedback-text").fill("Quiet, boils fast");
  await page.getByTestId("save-feedback").click();
  await expect(page.getByTestId("preview")).toContainText('"score": 9');
  await expect(page.getByTestId("preview")).toContainText("To Acme Kettles");
  await shot(page, "feedback-preview");
  await page.getByTestId("confirm-send").click();
  await expect(page.getByTestId("sent")).toContainText("Delivered to Acme Kettles (receipt verified)");
  await expect(page.getByTestId("feedback-list")).toContainText("Quiet, boils fast");

  // The activity timeline shows what left, and the log verifies.
  await page.getByTestId("nav-activity").click();
  await expect(page.getByTestId("timeline")).toContainText("Feedback delivered to Acme Kettles");
  await expect(page.getByTestId("reads")).toContainText("Your feedback was read by staff 3 (agent) in the console");
  await page.getByTestId("verify-log").click();
  await expect(page.getByTestId("log-intact")).toBeVisible();
  await shot(page, "activity");
});

test("cast an intent to two vendors, compare the offers side by side, accept one", async ({ page }) => {
  await openWithNewVault(page);

  await page.getByTestId("nav-intents").click();
  await page.getByLabel("What you want").fill("Espresso machine, dual boiler");
  await page.getByLabel("Budget").fill("900");
  await page.getByRole("button", { name: "Write intent" }).click();
  await expect(page.getByTestId("intent-detail")).toContainText("Espresso machine, dual boiler");
  await page.getByLabel("Acme Kettles").check();
  await page.getByLabel("Brew Shop").check();
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("preview")).toContainText("To Acme Kettles");
  await expect(page.getByTestId("preview")).toContainText("To Brew Shop");
  await page.getByTestId("confirm-send").click();

  const offers = page.getByTestId("offers");
  await expect(offers).toContainText("849.00 EUR");
  await expect(offers).toContainText("799.00 EUR");
  await shot(page, "intent-offers");
  await offers.locator(".offer", { hasText: "Brew Shop" }).getByRole("button", { name: "Accept" }).click();
  await expect(offers.locator(".offer", { hasText: "Brew Shop" })).toContainText("Accepted");
  await expect(page.getByTestId("intent-list")).toContainText("accepted");

  // The vendors screen shows the pinned key and what was exchanged.
  await page.getByTestId("nav-vendors").click();
  await page.getByTestId("vendor-list").getByRole("button", { name: "Brew Shop" }).click();
  await expect(page.getByTestId("fingerprint")).toHaveText("1525 2f49 7bcc cb8f b225 2d6a 2080 fc36");
  await shot(page, "vendors");
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
});
