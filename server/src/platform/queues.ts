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
  const connection = createRedis(redisUrl, "queues", { forQueue: true, log, commandTimeoutMs });
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
}): Promise<Workers> {
  const connection: Redis = createRedis(options.redisUrl, "workers", { forQueue: true, log: options.log });
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
    for (const job of jobs.values()) {
      if (!job.repeat) continue;
      await options.queues
        .get(queueName)
        .upsertJobScheduler(job.name, "pattern" in job.repeat ? { pattern: job.repeat.pattern, tz: "UTC" } : { every: job.repeat.everyMs }, { name: job.name, data: {} });
    }
  }
  return {
    async close() {
      // close() lets running jobs finish; anything unfinished is picked up again by another worker.
      await Promise.allSettled(workers.map((worker) => worker.close()));
      await closeRedis(connection);
    },
  };
}
