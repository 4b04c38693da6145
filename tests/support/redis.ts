import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { startEmbeddedRedis, type EmbeddedService } from "../../server/src/platform/embedded";
import { freePort } from "./ports";

/**
 * A redis-server of a test's own, for tests that stop, freeze, flush or kill Redis (on the run's
 * shared server that would take every other file's keys too). It keeps its port across restarts,
 * so clients reconnect to the same address, and keeps nothing across them (no persistence).
 */
export class OwnRedis {
  private server?: EmbeddedService;
  private constructor(
    private readonly dataDir: string,
    private readonly port: number,
  ) {}

  /** Its port and data directory; nothing runs until `start`. */
  static async prepare(): Promise<OwnRedis> {
    return new OwnRedis(await fs.mkdtemp(path.join(os.tmpdir(), "clinic-live-redis-")), await freePort());
  }

  /** Prepared and started. */
  static async started(): Promise<OwnRedis> {
    const redis = await OwnRedis.prepare();
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it, empty (after a stop: the outage lost whatever Redis held). */
  async start(): Promise<void> {
    this.server = await startEmbeddedRedis({ dataDir: this.dataDir, port: this.port, durable: false });
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
  }

  /** `kill -9`: gone at once, with whatever it held (a crash; nothing persisted). */
  async kill(): Promise<void> {
    process.kill(await this.pid(), "SIGKILL");
    await this.stop();
  }

  /** Stops it and starts it again on the same port, empty. */
  async restartEmpty(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Its process id (to freeze it: a Redis that keeps the connection open and never answers). */
  async pid(): Promise<number> {
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await client.connect();
      return Number(/process_id:(\d+)/.exec(await client.info("server"))![1]);
    } finally {
      client.disconnect();
    }
  }

  async close(): Promise<void> {
    await this.stop();
    await fs.rm(this.dataDir, { recursive: true, force: true });
  }
}
