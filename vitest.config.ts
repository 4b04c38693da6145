import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "shared/src/**/*.test.ts", "server/src/**/*.test.ts"],
    // One PostgreSQL cluster and one Redis for the whole run; each file gets its own database and key prefix.
    globalSetup: ["tests/setup/global-setup.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default"],
  },
});
