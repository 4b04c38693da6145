import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "shared/src/**/*.test.ts", "server/src/**/*.test.ts"],
    // Browser tests (tests/e2e) need Debian's chromium (`.ci/run` installs it; CHROMIUM_PATH may name
    // another): without one they fail saying so, rather than being left out.
    // One PostgreSQL cluster and one Redis for the whole run; each file gets its own database and key prefix.
    globalSetup: ["tests/setup/global-setup.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default"],
  },
});
