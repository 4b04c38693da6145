/**
 * What the processes of a bench cost, from /proc: CPU ticks (utime + stime) and memory of a process,
 * of PostgreSQL's postmaster with its backends, and the CPU each process spends per operation. On
 * this two-core machine the server, PostgreSQL, Redis and the load generator share the cores, so a
 * route's rate is bounded by the CPU all of them spend on it, not by one process alone.
 */
import fs from "node:fs";
import { Redis } from "ioredis";
import pg from "pg";

const CLOCK_TICKS_PER_SECOND = 100;

export function procStat(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/** Busy and total ticks of the whole machine (all cores), from /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  const [, ...fields] = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  const ticks = fields.map(Number);
  const idle = ticks[3]! + ticks[4]!;
  const total = ticks.slice(0, 8).reduce((sum, n) => sum + n, 0);
  return { busy: total - idle, total };
}

export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
  return { rssMiB: kib("VmRSS") / 1024, peakMiB: kib("VmHWM") / 1024 };
}

/** Ticks by pid of `root` and, with `children`, every process whose parent it is. */
export function sampleTicks(root: number, children = false): Map<number, number> {
  const sample = new Map<number, number>();
  const own = procStat(root);
  if (own) sample.set(root, own.ticks);
  if (children) {
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = procStat(Number(entry));
      if (stat?.ppid === root) sample.set(Number(entry), stat.ticks);
    }
  }
  return sample;
}

/** CPU milliseconds between two samples (processes that appeared count from zero). */
function cpuMs(before: Map<number, number>, after: Map<number, number>): number {
  let ticks = 0;
  for (const [pid, end] of after) ticks += end - (before.get(pid) ?? 0);
  return (1000 * ticks) / CLOCK_TICKS_PER_SECOND;
}

/** % of one core between two samples. */
export function cpuPercent(before: Map<number, number>, after: Map<number, number>, seconds: number): number {
  return cpuMs(before, after) / 10 / seconds;
}

/** The pids of the PostgreSQL postmaster (whose children are the backends) and of redis-server behind two URLs. */
export async function servicePids(services: { databaseUrl: string; redisUrl: string }): Promise<{ postmaster: number; redis: number }> {
  const client = new pg.Client(services.databaseUrl);
  await client.connect();
  const backend = (await client.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
  // Read while the backend lives: it exits with the connection.
  const postmaster = procStat(backend)!.ppid;
  await client.end();
  const redis = new Redis(services.redisUrl);
  const redisPid = Number(/process_id:(\d+)/.exec(await redis.info("server"))?.[1]);
  redis.disconnect();
  return { postmaster, redis: redisPid };
}

/** CPU milliseconds per operation: this process (the server and the load generator when run in process), PostgreSQL, Redis. */
export interface CpuPerOperation {
  benchMs: number;
  postgresMs: number;
  redisMs: number;
}

/**
 * Starts counting the CPU of this process, PostgreSQL (postmaster and backends) and Redis; `per(n)`
 * divides what they spent since among `n` operations. Ticks are 10 ms: count thousands of operations.
 */
export interface CpuMeter {
  per(operations: number): CpuPerOperation;
}

export function cpuMeter(pids: { postmaster: number; redis: number }): CpuMeter {
  const bench = process.cpuUsage();
  const postgres = sampleTicks(pids.postmaster, true);
  const redis = sampleTicks(pids.redis);
  return {
    per(operations) {
      const used = process.cpuUsage(bench);
      return {
        benchMs: (used.user + used.system) / 1000 / operations,
        postgresMs: cpuMs(postgres, sampleTicks(pids.postmaster, true)) / operations,
        redisMs: cpuMs(redis, sampleTicks(pids.redis)) / operations,
      };
    },
  };
}

/** One line of a CPU-per-operation table: each process's ms and their sum. */
export function cpuLine(name: string, cpu: CpuPerOperation, width = 44): string {
  const total = cpu.benchMs + cpu.postgresMs + cpu.redisMs;
  return name.padEnd(width) + [cpu.benchMs, cpu.postgresMs, cpu.redisMs, total].map((ms) => ms.toFixed(2).padStart(10)).join("");
}

export const cpuHeader = (width = 44) => "CPU ms per operation".padEnd(width) + ["this proc.", "postgres", "redis", "total"].map((h) => h.padStart(10)).join("");

const totalMs = (cpu: CpuPerOperation) => cpu.benchMs + cpu.postgresMs + cpu.redisMs;

/**
 * The bound CPU puts on a route's ratio: when the machine's cores are the limit, its rate can be at
 * most (the baseline's CPU per operation ÷ the route's) × the baseline's rate.
 */
export function cpuBound(name: string, route: CpuPerOperation, baseline: CpuPerOperation): string {
  return `${name} spends ${totalMs(route).toFixed(2)} ms of CPU per operation across processes, its bare SQL ${totalMs(baseline).toFixed(2)}: at equal CPU at most ${(totalMs(baseline) / totalMs(route)).toFixed(2)}× its rate`;
}
