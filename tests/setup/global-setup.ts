/**
 * Starts one embedded PostgreSQL and one Redis for the test run (or uses DATABASE_URL / REDIS_URL
 * when given), and migrates a template database that every test file clones. When the run includes
 * browser tests, builds the web app once for all of them.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { build } from "vite";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres, startEmbeddedRedis, type EmbeddedService } from "../../server/src/platform/embedded";
import { createClinicOrm } from "../../server/src/app";
import { migrate } from "../../server/src/platform/db";
import { freePort } from "../support/ports";

export const TEMPLATE_DATABASE = "clinic_template";

declare module "vitest" {
  export interface ProvidedContext {
    /** A URL of the cluster's maintenance database, for creating per-file databases. */
    adminDatabaseUrl: string;
    redisUrl: string;
    templateDatabase: string;
    /** The web app built for this run's browser tests; "" when the run has none. */
    webDistDir: string;
  }
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Browser tests drive the built web app (tests/support/browser.ts). */
const isBrowserTest = (file: string) => file.endsWith(".e2e.test.ts");

async function buildWeb(outDir: string): Promise<void> {
  await build({
    root: path.join(root, "web"),
    configFile: path.join(root, "web/vite.config.ts"),
    logLevel: "error",
    build: { outDir, emptyOutDir: true },
  });
}

export default async function setup(project: TestProject) {
  const started: EmbeddedService[] = [];
  // World-traversable, because as root PostgreSQL runs as the `postgres` user.
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), "clinic-live-test-"));
  await fs.chmod(workDir, 0o755);
  // One build for every browser test file (they only read it), made while the services start. The
  // files of this run are known by now; a run without browser tests builds nothing.
  const webDistDir = project.vitest.state.getPaths().some(isBrowserTest) ? path.join(workDir, "web") : "";
  const webBuilt = webDistDir ? buildWeb(webDistDir) : Promise.resolve();
  webBuilt.catch(() => undefined); // awaited below; this only keeps an early failure elsewhere from leaving it unhandled

  let adminDatabaseUrl = process.env.DATABASE_URL;
  if (!adminDatabaseUrl) {
    const postgres = await startEmbeddedPostgres({
      dataDir: path.join(workDir, "pg"),
      port: await freePort(),
      database: "postgres",
      // A throw-away cluster: skipping fsync is speed, not risk. `npm start` never passes this.
      durable: false,
    });
    started.push(postgres);
    adminDatabaseUrl = postgres.url;
  }
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    // Nothing outlives the run, so nothing is written to disk.
    const redis = await startEmbeddedRedis({ dataDir: path.join(workDir, "redis"), port: await freePort(), durable: false });
    started.push(redis);
    redisUrl = redis.url;
  }

  const admin = new pg.Client({ connectionString: adminDatabaseUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE}`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();
  const templateUrl = new URL(adminDatabaseUrl);
  templateUrl.pathname = `/${TEMPLATE_DATABASE}`;
  const orm = await createClinicOrm(templateUrl.toString());
  await migrate(orm);
  await orm.close();

  await webBuilt;
  project.provide("adminDatabaseUrl", adminDatabaseUrl);
  project.provide("redisUrl", redisUrl);
  project.provide("templateDatabase", TEMPLATE_DATABASE);
  project.provide("webDistDir", webDistDir);

  return async () => {
    for (const service of started.reverse()) await service.stop();
    await fs.rm(workDir, { recursive: true, force: true });
  };
}
