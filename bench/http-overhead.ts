/**
 * What the platform's request pipeline costs: GET /api/v1/health through the full Fastify stack
 * (request id, RequestContext, helmet, Redis-backed rate limit, zod serializer, metrics) against a
 * bare node:http server answering the same JSON, both measured in this run on this machine.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { load, report, startBenchApi, startBenchServices } from "./support";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

const services = await startBenchServices();
try {
  const bare = http.createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ status: "ok", version: "0.1.0", role: "api", uptimeSeconds: 1 }));
  });
  await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;

  const { runtime, url } = await startBenchApi(services);
  const appUrl = `${url}/api/v1/health`;

  // Warm both up so JIT and connection set-up are not measured.
  await load(bareUrl, 1_000, CONCURRENCY);
  await load(appUrl, 1_000, CONCURRENCY);
  const baseline = await load(bareUrl, REQUESTS, CONCURRENCY);
  const full = await load(appUrl, REQUESTS, CONCURRENCY);
  report(`HTTP pipeline overhead (${REQUESTS} GETs, ${CONCURRENCY} connections)`, [
    ["baseline: bare node:http", baseline],
    ["GET /api/v1/health (full stack)", full],
  ], baseline);

  await runtime.close();
  await new Promise((resolve) => bare.close(resolve));
} finally {
  await services.stop();
}
