import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Queues } from "./queues";

/** Prometheus metrics of one process; a registry per runtime keeps test instances apart. */
export function createMetrics(queues: Queues) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency by method, route and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const socketConnections = new Gauge({
    name: "socket_connections",
    help: "Socket.IO connections open on this node",
    registers: [registry],
  });
  const socketEvents = new Counter({
    name: "socket_events_published_total",
    help: "Real-time events published from this node, by topic kind",
    labelNames: ["topic_kind"] as const,
    registers: [registry],
  });
  new Gauge({
    name: "queue_jobs",
    help: "BullMQ jobs by queue and state",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      // Without Redis the gauge is left empty rather than failing the whole scrape.
      const counted = await Promise.allSettled(queues.all().map(async (queue) => ({ queue, counts: await queue.getJobCounts("waiting", "active", "delayed", "failed", "prioritized") })));
      for (const result of counted) {
        if (result.status === "rejected") continue;
        for (const [state, count] of Object.entries(result.value.counts)) this.set({ queue: result.value.queue.name, state }, count);
      }
    },
  });
  return { registry, httpDuration, socketConnections, socketEvents };
}

export type Metrics = ReturnType<typeof createMetrics>;
