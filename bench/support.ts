/** Shared pieces of the benchmarks: throwaway services, a bounded load loop, and the report. */
import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import pino from "pino";
import { loadConfig } from "../server/src/config";
import { createClinicOrm, createClinicRuntime } from "../server/src/app";
import { migrate } from "../server/src/platform/db";
import { startEmbeddedPostgres, startEmbeddedRedis } from "../server/src/platform/embedded";
import type { Runtime } from "../server/src/platform/runtime";
import { freePort } from "../tests/support/ports";
import type { CpuMeter, CpuPerOperation } from "./proc";

/** `BENCH_STATEMENTS=1`: PostgreSQL records its statements' times (pg_stat_statements) for `statementReport`. */
const STATEMENT_STATS = process.env.BENCH_STATEMENTS === "1";

/**
 * With `BENCH_STATEMENTS=1`, the statements PostgreSQL ran since the last call (most time first,
 * execution + planning, per operation), and a fresh count from here; otherwise nothing.
 */
export async function statementReport(databaseUrl: string, title: string, operations: number): Promise<string> {
  if (!STATEMENT_STATS) return "";
  const client = new pg.Client(databaseUrl);
  await client.connect();
  try {
    const { rows } = await client.query<{ calls: string; exec: number; plan: number; query: string }>(
      `select calls, total_exec_time as exec, total_plan_time as plan, regexp_replace(query, '\\s+', ' ', 'g') as query
         from pg_stat_statements where query not like '%pg_stat_statements%' order by total_exec_time + total_plan_time desc limit 12`,
    );
    await client.query("select pg_stat_statements_reset()");
    const lines = rows.map(
      (r) => `${String(r.calls).padStart(7)} calls ${((1000 * (r.exec + r.plan)) / operations).toFixed(0).padStart(6)} µs/op (plan ${((1000 * r.plan) / operations).toFixed(0)})  ${r.query.slice(0, 110)}`,
    );
    return `\nPostgreSQL statements, ${title} (${operations} operations):\n${lines.join("\n")}\n`;
  } finally {
    await client.end();
  }
}

/**
 * Embedded PostgreSQL (migrated) and Redis in a temporary directory, removed by `stop()`. Not
 * durable (no fsync, no AOF), as the figures in docs/performance.md were always taken: the benches
 * compare the code with its bare SQL on the same server, not this machine's disk.
 */
export async function startBenchServices() {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "clinic-live-bench-"));
  await fs.chmod(dir, 0o755);
  const pgOptions = { dataDir: path.join(dir, "pg"), port: await freePort(), database: "bench", durable: false };
  let postgres = await startEmbeddedPostgres(pgOptions);
  if (STATEMENT_STATS) {
    // pg_stat_statements must be preloaded: set it, then start the cluster again.
    const client = new pg.Client(postgres.url);
    await client.connect();
    await client.query("alter system set shared_preload_libraries = 'pg_stat_statements'");
    await client.query("alter system set pg_stat_statements.track_planning = on");
    await client.end();
    await postgres.stop();
    postgres = await startEmbeddedPostgres(pgOptions);
  }
  const redis = await startEmbeddedRedis({ dataDir: path.join(dir, "redis"), port: await freePort(), durable: false });
  const orm = await createClinicOrm(postgres.url);
  await migrate(orm);
  if (STATEMENT_STATS) await orm.em.fork().execute("create extension if not exists pg_stat_statements");
  await orm.close();
  return {
    databaseUrl: postgres.url,
    redisUrl: redis.url,
    async stop() {
      await redis.stop();
      await postgres.stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** What each process spent per operation, when the run was metered. */
  cpu?: CpuPerOperation;
}

/** The figures of `latencies` (ms, one per operation; sorted in place) taken over `seconds`, with the CPU `meter` counted since it started. */
export function latencyStats(latencies: number[], seconds: number, meter?: CpuMeter): LoadResult {
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { requests: latencies.length, seconds, perSecond: latencies.length / seconds, p50Ms: at(0.5), p99Ms: at(0.99), cpu: meter?.per(latencies.length) };
}

/** Sends exactly `requests` GETs over `concurrency` keep-alive connections; bounded in count. */
export async function load(url: string, requests: number, concurrency: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let issued = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      http
        .get(url, { agent }, (response) => {
          response.resume();
          response.on("end", () => {
            if (response.statusCode !== 200) reject(new Error(`HTTP ${response.statusCode} from ${url}`));
            latencies.push(performance.now() - started);
            resolve();
          });
        })
        .on("error", reject);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < requests) {
        issued++;
        await one();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return latencyStats(latencies, seconds);
}

/**
 * A JSON POST over node:http keep-alive connections (at most `connections` to one origin): the load
 * generators' client. Cheaper per request than `fetch` (undici with web streams), which matters when
 * the client shares the machine's cores with the server it measures.
 */
export function jsonClient(connections: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  return {
    post(url: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; text: string }> {
      const payload = JSON.stringify(body);
      return new Promise((resolve, reject) => {
        const request = http.request(
          url,
          { method: "POST", agent, headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(payload) } },
          (response) => {
            let text = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => (text += chunk));
            response.on("end", () => resolve({ status: response.statusCode!, text }));
            response.on("error", reject);
          },
        );
        request.on("error", reject);
        request.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}

export function report(title: string, rows: [string, LoadResult][], baseline: LoadResult): void {
  const lines = [`\n${title}`, "case".padEnd(34) + "req/s".padStart(10) + "p50 ms".padStart(10) + "p99 ms".padStart(10) + "  vs baseline"];
  for (const [name, result] of rows) {
    lines.push(
      name.padEnd(34) +
        result.perSecond.toFixed(0).padStart(10) +
        result.p50Ms.toFixed(2).padStart(10) +
        result.p99Ms.toFixed(2).padStart(10) +
        `  ${(result.perSecond / baseline.perSecond).toFixed(2)}× throughput`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

/**
 * An api-role runtime on the bench services with production settings, listening on loopback;
 * `beforeStart` may register routes first (as tests/support/harness.ts's does).
 */
export async function startBenchApi(
  services: { databaseUrl: string; redisUrl: string },
  env: Record<string, string> = {},
  beforeStart?: (runtime: Runtime) => void,
): Promise<{ runtime: Runtime; url: string }> {
  const config = loadConfig({
    NODE_ENV: "production",
    ROLE: "api",
    HOST: "127.0.0.1",
    PORT: "0",
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    PUBLIC_URL: "http://127.0.0.1",
    JWT_SECRET: "x".repeat(32),
    MIGRATE_ON_START: "false",
    DEMO_SEED: "false",
    LOG_LEVEL: "silent",
    // Benchmarks measure the pipeline, not the limiter's refusals.
    RATE_LIMIT_MAX: "100000000",
    ...env,
  });
  const runtime = await createClinicRuntime({ config, log: pino({ level: "silent" }), ...services });
  beforeStart?.(runtime);
  return { runtime, url: (await runtime.start())! };
}
