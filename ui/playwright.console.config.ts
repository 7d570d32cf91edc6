import { defineConfig } from "@playwright/test";

// The vendor console, served by a real `parley-vendor` (built by `cargo test`), with
// messages from real `parley` agents, in the distribution's Chromium (headless).
export default defineConfig({
  testDir: "tests/console",
  timeout: 90_000,
  retries: 0,
  workers: 1,
  reporter: [["list"]],
  outputDir: "../target/playwright-console",
  use: {
    browserName: "chromium",
    viewport: { width: 1280, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
});
