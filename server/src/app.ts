/**
 * The composition root: the platform's runtime with this product's modules and demo seed. `main.ts`,
 * the CLI, the tests and the benchmarks build from here; the platform itself names no module.
 */
import type { Logger } from "pino";
import type { Config } from "./config";
import { createOrm } from "./platform/db";
import { createRuntime, type Runtime } from "./platform/runtime";
import { moduleEntities, modules } from "./modules";
import { seedDemo } from "./seed/demo";

/** The ORM over every table (the CLI and tests that need only the database). */
export const createClinicOrm = (databaseUrl: string, options: { poolMax?: number; migrationsPath?: string } = {}) =>
  createOrm(databaseUrl, { ...options, entities: moduleEntities() });

export function createClinicRuntime(options: { config: Config; log: Logger; databaseUrl: string; redisUrl: string }): Promise<Runtime> {
  return createRuntime({
    ...options,
    modules,
    entities: moduleEntities(),
    async seed(em, log) {
      const { created } = await seedDemo(em, { production: options.config.isProduction });
      if (created > 0) log.info({ created }, "seeded the demo clinic");
    },
  });
}
