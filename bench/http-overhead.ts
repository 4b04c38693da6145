/**
 * What the platform's request pipeline costs: GET /api/v1/health through the full Fastify stack
 * (request id, RequestContext, helmet, zod serializer, metrics; exempt from the rate limit) and the
 * same handler on a route the shared rate limit counts, against a bare node:http server answering
 * the same JSON, all measured in this run on this machine. The three cases take turns, BENCH_ROUNDS
 * rounds of BENCH_REQUESTS / BENCH_ROUNDS each (the machine's other load drifts), and each reports
 * its median round.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { healthSchema } from "@clinic/shared";
import { API_PREFIX } from "../server/src/platform/http";
import { load, report, startBenchApi, startBenchServices, type LoadResult } from "./support";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
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
  type Case = "baseline" | "exempt" | "limited";
  const rounds: Record<Case, LoadResult[]> = { baseline: [], exempt: [], limited: [] };
  // This process's CPU per request (server and load generator both): steadier than req/s while
  // other processes share the cores.
  const cpuMicros: Record<Case, number[]> = { baseline: [], exempt: [], limited: [] };
  const measure = async (name: Case, target: string, requests: number) => {
    const cpuBefore = process.cpuUsage();
    rounds[name].push(await load(target, requests, CONCURRENCY));
    const cpu = process.cpuUsage(cpuBefore);
    cpuMicros[name].push((cpu.user + cpu.system) / requests);
  };
  const perRound = Math.ceil(REQUESTS / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    await measure("baseline", bareUrl, perRound);
    await measure("exempt", exemptUrl, perRound);
    await measure("limited", limitedUrl, perRound);
  }
  const median = <T>(values: T[], by: (value: T) => number) => [...values].sort((x, y) => by(x) - by(y))[Math.floor(values.length / 2)]!;
  const baseline = median(rounds.baseline, (result) => result.perSecond);
  const names: [Case, string][] = [
    ["baseline", "baseline: bare node:http"],
    ["exempt", "GET /health (full stack, no limit)"],
    ["limited", "same, counted by the rate limit"],
  ];
  report(
    `HTTP pipeline overhead (${REQUESTS} GETs a case in ${ROUNDS} rounds, ${CONCURRENCY} connections; median round)`,
    names.map(([name, label]) => [label, median(rounds[name], (result) => result.perSecond)]),
    baseline,
  );
  const baselineCpu = median(cpuMicros.baseline, (micros) => micros);
  process.stdout.write(
    `\nCPU of this process per request (median round)\n${names
      .map(([name, label]) => {
        const micros = median(cpuMicros[name], (value) => value);
        return `${label.padEnd(34)}${micros.toFixed(0).padStart(8)} µs  ${(micros / baselineCpu).toFixed(2)}× baseline`;
      })
      .join("\n")}\n`,
  );

  await runtime.close();
  await new Promise((resolve) => bare.close(resolve));
} finally {
  await services.stop();
}
