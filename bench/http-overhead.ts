/**
 * What the platform's request pipeline costs: GET /api/v1/health through the full Fastify stack
 * (request id, RequestContext, helmet, zod serializer, metrics; exempt from the rate limit) and the
 * same handler on a route the shared rate limit counts, against a bare node:http server answering
 * the same JSON, all measured in this run on this machine; the two routes also one request at a
 * time. The cases take turns, BENCH_ROUNDS rounds (the machine's other load drifts), and each
 * reports its median round, with the CPU per request of this process and of redis-server (which
 * share the cores: steadier than req/s while other processes load the machine).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { healthSchema } from "@clinic/shared";
import { API_PREFIX } from "../server/src/platform/http";
import { load, report, startBenchApi, startBenchServices, type LoadResult } from "./support";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SEQUENTIAL_REQUESTS = 2_000;
/** /health's answer on a path outside the limit's allow list, so each request is counted. */
const LIMITED_PATH = `${API_PREFIX}/bench/health`;

const services = await startBenchServices();
try {
  const bare = http.createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ status: "ok", version: "0.1.0", role: "api", uptimeSeconds: 1 }));
  });
  await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;

  const { runtime, url } = await startBenchApi(services, {}, (started) => {
    started.http!.get(LIMITED_PATH, { schema: { hide: true, response: { 200: healthSchema } } }, async () => ({
      status: "ok" as const,
      version: "0.1.0",
      role: "api" as const,
      uptimeSeconds: Math.round(process.uptime()),
    }));
  });
  const exemptUrl = `${url}${API_PREFIX}/health`;
  const limitedUrl = `${url}${LIMITED_PATH}`;

  // Warm all up so JIT and connection set-up are not measured.
  for (const target of [bareUrl, exemptUrl, limitedUrl]) await load(target, 1_000, CONCURRENCY);

  const redis = new Redis(services.redisUrl);
  /** redis-server's CPU so far, in µs: it shares the cores with this process. */
  const redisCpu = async () => {
    const info = await redis.info("cpu");
    const seconds = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)![1]);
    return (seconds("used_cpu_user") + seconds("used_cpu_sys")) * 1e6;
  };
  interface Round {
    result: LoadResult;
    /** This process's CPU per request (server and load generator both), µs. */
    nodeMicros: number;
    redisMicros: number;
  }
  const measure = async (target: string, requests: number, concurrency: number): Promise<Round> => {
    const [nodeBefore, redisBefore] = [process.cpuUsage(), await redisCpu()];
    const result = await load(target, requests, concurrency);
    const node = process.cpuUsage(nodeBefore);
    return { result, nodeMicros: (node.user + node.system) / requests, redisMicros: ((await redisCpu()) - redisBefore) / requests };
  };
  const cases = [
    { label: "baseline: bare node:http", url: bareUrl, concurrency: CONCURRENCY },
    { label: "GET /health (full stack, no limit)", url: exemptUrl, concurrency: CONCURRENCY },
    { label: "same, counted by the rate limit", url: limitedUrl, concurrency: CONCURRENCY },
    // One request at a time: a Redis round trip on the request path adds to each one's latency.
    { label: "no limit, 1 connection", url: exemptUrl, concurrency: 1 },
    { label: "counted, 1 connection", url: limitedUrl, concurrency: 1 },
  ].map((spec) => ({ ...spec, rounds: [] as Round[] }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const spec of cases) {
      const requests = Math.ceil((spec.concurrency === 1 ? SEQUENTIAL_REQUESTS : REQUESTS) / ROUNDS);
      spec.rounds.push(await measure(spec.url, requests, spec.concurrency));
    }
  }
  redis.disconnect();

  const median = <T>(values: T[], by: (value: T) => number) => [...values].sort((x, y) => by(x) - by(y))[Math.floor(values.length / 2)]!;
  const medianRound = (rounds: Round[]) => median(rounds, (round) => round.result.perSecond);
  const baseline = medianRound(cases[0]!.rounds).result;
  report(
    `HTTP pipeline overhead (${REQUESTS} GETs a case over ${CONCURRENCY} connections, ${SEQUENTIAL_REQUESTS} over 1; ${ROUNDS} rounds taking turns; median round)`,
    cases.map((spec) => [spec.label, medianRound(spec.rounds).result]),
    baseline,
  );
  const lines = cases.map((spec) => {
    const node = median(spec.rounds.map((round) => round.nodeMicros), (micros) => micros);
    const redisServer = median(spec.rounds.map((round) => round.redisMicros), (micros) => micros);
    return `${spec.label.padEnd(34)}${node.toFixed(0).padStart(12)}${redisServer.toFixed(1).padStart(14)}`;
  });
  process.stdout.write(`\nCPU per request, µs (median round)\n${"case".padEnd(34)}${"this process".padStart(12)}${"redis-server".padStart(14)}\n${lines.join("\n")}\n`);

  await runtime.close();
  await new Promise((resolve) => bare.close(resolve));
} finally {
  await services.stop();
}
