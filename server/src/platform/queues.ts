import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { closeRedis, createRedis, logConnectionErrors, withTimeout } from "./redis";

/** One queue per kind of work; modules add theirs here as they arrive. */
export const queueNames = ["maintenance", "booking", "notifications", "reminders"] as const;
export type QueueName = (typeof queueNames)[number];

export interface JobDefinition<Data = unknown> {
  queue: QueueName;
  /** BullMQ job names and ids may not contain `:`. */
  name: string;
  process(data: Data, job: Job<Data>): Promise<unknown>;
  /**
   * Repeats while any worker runs (a BullMQ job scheduler with a stable id, so many workers make one
   * schedule): every `everyMs`, or on a cron `pattern` (UTC).
   */
  repeat?: { everyMs: number } | { pattern: string };
  /**
   * Also run once, at once, whenever a worker starts: the database sweeps that rebuild what a
   * Redis data loss took (lapsed holds, ended offers, reminder jobs), so a restart reconciles first.
   */
  runAtStart?: boolean;
}

export interface Queues {
  get(name: QueueName): Queue;
  /**
   * `get(name).addBulk(jobs)` within the command timeout, for request paths: rejects rather than
   * waits while Redis is unreachable (its caller leaves the jobs to a relay or retry that reads
   * PostgreSQL).
   */
  addBulk(name: QueueName, jobs: Parameters<Queue["addBulk"]>[0]): Promise<void>;
  all(): Queue[];
  close(): Promise<void>;
}

/**
 * The queues jobs are added through. Their connection fails fast (BullMQ's advice for producers:
 * no offline queue, plus our command timeout), so an add fails at once while Redis is away instead
 * of waiting for its return; only workers' connections wait (startWorkers).
 */
export function createQueues(redisUrl: string, prefix: string, log: Logger, commandTimeoutMs: number): Queues {
  const connection = createRedis(redisUrl, "queues", { waitForRedis: true, log, commandTimeoutMs });
  const queues = new Map(
    queueNames.map((name) => [
      name,
      new Queue(name, {
        connection,
        prefix: `${prefix}:bull`,
        defaultJobOptions: {
          attempts: 5,
          backoff: { type: "exponential", delay: 1_000 },
          removeOnComplete: { age: 24 * 3600, count: 1_000 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      }),
    ]),
  );
  for (const queue of queues.values()) logConnectionErrors(queue, `queue ${queue.name}`, log);
  return {
    get: (name) => queues.get(name)!,
    async addBulk(name, jobs) {
      // The command timeout bounds each command; this bounds the add as a whole, including BullMQ
      // waiting for a first connection when Redis was down at start-up.
      await withTimeout(queues.get(name)!.addBulk(jobs), commandTimeoutMs, `adding ${name} jobs`);
    },
    all: () => [...queues.values()],
    async close() {
      await Promise.allSettled([...queues.values()].map((queue) => queue.close()));
      await closeRedis(connection);
    },
  };
}

export interface Workers {
  close(): Promise<void>;
}

/** BullMQ's schedule options for a repeating job. */
const scheduleOf = (repeat: NonNullable<JobDefinition["repeat"]>) =>
  "pattern" in repeat ? { pattern: repeat.pattern, tz: "UTC" } : { every: repeat.everyMs };

/**
 * Keeps the repeating jobs' schedulers in Redis. At start every scheduler is written (so a changed
 * interval takes effect) and the `runAtStart` jobs are queued once; afterwards a timer in this process
 * (not a repeating job: those are what a Redis data loss takes) re-creates any scheduler that is
 * gone. A re-created interval scheduler fires at once, so the sweeps run straight after the loss.
 */
function watchSchedules(options: { queues: Queues; jobs: JobDefinition<never>[]; log: Logger; checkEveryMs: number }) {
  const repeating = options.jobs.filter((job) => job.repeat);
  const register = (job: JobDefinition<never>) =>
    options.queues.get(job.queue).upsertJobScheduler(job.name, scheduleOf(job.repeat!), { name: job.name, data: {} });

  async function restoreMissing(): Promise<void> {
    const missing: JobDefinition<never>[] = [];
    for (const job of repeating) if (!(await options.queues.get(job.queue).getJobScheduler(job.name))) missing.push(job);
    if (missing.length === 0) return;
    options.log.warn({ schedulers: missing.map((job) => job.name) }, "job schedulers missing from Redis (data lost?): re-registering them");
    for (const job of missing) await register(job);
  }

  let checking: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  return {
    async start(): Promise<void> {
      for (const job of repeating) await register(job);
      for (const job of options.jobs.filter((definition) => definition.runAtStart)) {
        await options.queues.get(job.queue).add(job.name, {});
      }
      timer = setInterval(() => {
        // One check at a time: with Redis slow or down a tick must not pile onto the last one.
        checking ??= restoreMissing()
          .catch((error: unknown) => {
            if (!stopped) options.log.warn({ err: error }, "checking the job schedulers failed; trying again next tick");
          })
          .finally(() => (checking = undefined));
      }, options.checkEveryMs);
      timer.unref();
    },
    // A check in flight is not awaited: with Redis down it would hold the shutdown until it returns.
    stop(): void {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** Starts one BullMQ worker per queue that has jobs, dispatching by job name. */
export async function startWorkers(options: {
  redisUrl: string;
  prefix: string;
  queues: Queues;
  jobs: JobDefinition<never>[];
  log: Logger;
  concurrency?: number;
  /**
   * How long a job's lock lives without renewal, and how often workers look for jobs whose lock
   * lapsed: a killed worker's running job goes back to the queue within about their sum.
   */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** How often the process checks that the repeating jobs' schedulers still exist in Redis. */
  scheduleCheckMs: number;
}): Promise<Workers> {
  const connection: Redis = createRedis(options.redisUrl, "workers", { waitForRedis: true, log: options.log });
  const workers: Worker[] = [];
  for (const queueName of queueNames) {
    const jobs = new Map(options.jobs.filter((job) => job.queue === queueName).map((job) => [job.name, job]));
    if (jobs.size === 0) continue;
    const worker = new Worker(
      queueName,
      async (job) => {
        const definition = jobs.get(job.name);
        if (!definition) throw new Error(`no processor for job ${queueName}/${job.name}`);
        return definition.process(job.data as never, job as Job<never>);
      },
      {
        connection,
        prefix: `${options.prefix}:bull`,
        concurrency: options.concurrency ?? 4,
        ...(options.lockDurationMs !== undefined ? { lockDuration: options.lockDurationMs } : {}),
        ...(options.stalledIntervalMs !== undefined ? { stalledInterval: options.stalledIntervalMs } : {}),
      },
    );
    worker.on("failed", (job, error) =>
      options.log.warn({ queue: queueName, job: job?.name, jobId: job?.id, err: error }, "job failed"),
    );
    logConnectionErrors(worker, `worker ${queueName}`, options.log);
    workers.push(worker);
  }
  const schedules = watchSchedules({ queues: options.queues, jobs: options.jobs, log: options.log, checkEveryMs: options.scheduleCheckMs });
  await schedules.start();
  return {
    async close() {
      schedules.stop();
      // close() lets running jobs finish; anything unfinished is picked up again by another worker.
      await Promise.allSettled(workers.map((worker) => worker.close()));
      await closeRedis(connection);
    },
  };
}
