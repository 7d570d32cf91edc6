import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The desktop app loads the built files from disk: no dev server, no remote content.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: { target: "es2021", outDir: "dist", emptyOutDir: true, sourcemap: false },
  // Vitest: component and logic tests in a simulated DOM.
  test: {
    environment: "jsdom",
    include: ["tests/unit/**/*.test.ts"],
  },
  resolve: process.env.VITEST ? { conditions: ["browser"] } : undefined,
});
