import { execFileSync } from "node:child_process";
import { defineConfig } from "vitest/config";

// Browser tests (tests/e2e) run when a chromium is installed (or CHROMIUM_PATH names one).
function hasChromium(): boolean {
  if (process.env.CHROMIUM_PATH) return true;
  try {
    execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "shared/src/**/*.test.ts", "server/src/**/*.test.ts"],
    exclude: ["**/node_modules/**", ...(hasChromium() ? [] : ["tests/e2e/**"])],
    // One PostgreSQL cluster and one Redis for the whole run; each file gets its own database and key prefix.
    globalSetup: ["tests/setup/global-setup.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default"],
  },
});
