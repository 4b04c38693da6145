/**
 * What the platform's request pipeline costs: GET /api/v1/health through the full Fastify stack
 * (request id, RequestContext, helmet, zod serializer, metrics; exempt from the rate limit) and the
 * same handler on a route the shared rate limit counts, against a bare node:http server answering
 * the same JSON, all measured in this run on this machine.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { healthSchema } from "@clinic/shared";
import { API_PREFIX } from "../server/src/platform/http";
import { load, report, startBenchApi, startBenchServices } from "./support";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
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
  const baseline = await load(bareUrl, REQUESTS, CONCURRENCY);
  const exempt = await load(exemptUrl, REQUESTS, CONCURRENCY);
  const limited = await load(limitedUrl, REQUESTS, CONCURRENCY);
  report(`HTTP pipeline overhead (${REQUESTS} GETs, ${CONCURRENCY} connections)`, [
    ["baseline: bare node:http", baseline],
    ["GET /health (full stack, no limit)", exempt],
    ["same, counted by the rate limit", limited],
  ], baseline);

  await runtime.close();
  await new Promise((resolve) => bare.close(resolve));
} finally {
  await services.stop();
}
