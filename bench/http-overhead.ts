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
  const rounds: Record<"baseline" | "exempt" | "limited", LoadResult[]> = { baseline: [], exempt: [], limited: [] };
  const perRound = Math.ceil(REQUESTS / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    rounds.baseline.push(await load(bareUrl, perRound, CONCURRENCY));
    rounds.exempt.push(await load(exemptUrl, perRound, CONCURRENCY));
    rounds.limited.push(await load(limitedUrl, perRound, CONCURRENCY));
  }
  const median = (results: LoadResult[]) => [...results].sort((x, y) => x.perSecond - y.perSecond)[Math.floor(results.length / 2)]!;
  const baseline = median(rounds.baseline);
  report(`HTTP pipeline overhead (${REQUESTS} GETs a case in ${ROUNDS} rounds, ${CONCURRENCY} connections; median round)`, [
    ["baseline: bare node:http", baseline],
    ["GET /health (full stack, no limit)", median(rounds.exempt)],
    ["same, counted by the rate limit", median(rounds.limited)],
  ], baseline);

  await runtime.close();
  await new Promise((resolve) => bare.close(resolve));
} finally {
  await services.stop();
}
