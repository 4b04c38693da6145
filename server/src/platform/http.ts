import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import helmet from "@fastify/helmet";
import rateLimit from "@fastify/rate-limit";
import fastifyStatic from "@fastify/static";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { RequestContext } from "@mikro-orm/core";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import type { Config } from "../config";
import type { Orm } from "./db";
import { stopAccepting } from "./listener";
import type { Metrics } from "./metrics";
import { MAX_PARAM_LENGTH, refuseUnsafeInput } from "./inputs";
import { answerClientError, problem, sendFrameworkProblem, sendProblem, toProblem } from "./problem";
import { createRateLimitCounts, type RateLimitCounts } from "./rate-limit-store";
import { replayOnConnectionLoss } from "./replay";

declare module "fastify" {
  interface FastifyInstance {
    /** The general rate limit's counts (platform/rate-limit-store.ts). */
    rateLimitCounts: RateLimitCounts;
  }
}

export type HttpApp = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

export const API_PREFIX = "/api/v1";

export async function createHttpApp(options: {
  config: Config;
  log: Logger;
  orm: Orm;
  redis: Redis;
  metrics: Metrics;
  version: string;
  /** True from the shutdown signal on (platform/runtime.ts), through the drain and the close. */
  isShuttingDown: () => boolean;
}): Promise<HttpApp> {
  const { config, orm, metrics } = options;
  const { trustProxy } = config.http;
  const app = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    // Behind a load balancer the client address comes from X-Forwarded-For, only as far as trusted.
    trustProxy: typeof trustProxy === "number" ? (_address: string, hop: number) => hop < trustProxy : trustProxy,
    requestIdHeader: "x-request-id",
    genReqId: () => randomUUID(),
    bodyLimit: 1024 * 1024,
    // A request that reaches a closing server came on a connection accepted before the close: it
    // is in flight and is served (Fastify's default would answer 503, which a load balancer may
    // not retry for a POST). Idle keep-alive connections are closed with the server.
    return503OnClosing: false,
    // Bad input is answered in problem+json naming the field (inputs.ts, problem.ts): an over-long
    // or undecodable path, an oversized request line or header, a `__proto__` key.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: sendFrameworkProblem,
    clientErrorHandler: answerClientError,
    onProtoPoisoning: "ignore",
    onConstructorPoisoning: "ignore",
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook("onRoute", replayOnConnectionLoss(orm));

  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    // Each request gets its own identity map; nothing leaks between requests.
    RequestContext.create(orm.em, done);
  });
  // Before every other preValidation hook (authentication's), so no hook or route reads such input.
  app.addHook("preValidation", refuseUnsafeInput);
  // From the shutdown signal on, every reply carries `Connection: close`: a keep-alive connection
  // (a client's, a load balancer's pool) ends after a reply, while the node still listens, rather
  // than being closed under a request the client was sending as the server closed.
  app.addHook("onSend", async (_request, reply) => {
    if (options.isShuttingDown()) reply.header("connection", "close");
  });
  // The close stops accepting without resetting a connection queued for this node, whose request
  // has been sent already (platform/listener.ts).
  app.addHook("preClose", () => stopAccepting(app.server));
  app.addHook("onResponse", async (request, reply) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? "unmatched", status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'", "ws:", "wss:"],
      },
    },
  });
  // Counted in this node's memory and synced with Redis every RATE_LIMIT_SYNC_MS in the background
  // (platform/rate-limit-store.ts): no request waits on Redis, and while Redis is away each node
  // still limits on its own counts.
  const rateLimitCounts = createRateLimitCounts({
    redis: options.redis,
    namespace: `${config.redis.prefix}:ratelimit:`,
    syncMs: config.http.rateLimit.syncMs,
    log: options.log,
  });
  app.decorate("rateLimitCounts", rateLimitCounts);
  app.addHook("onClose", () => rateLimitCounts.close());
  await app.register(rateLimit, {
    global: true,
    max: config.http.rateLimit.max,
    timeWindow: config.http.rateLimit.windowSeconds * 1000,
    store: rateLimitCounts.Store,
    allowList: (request) => request.url === "/metrics" || request.url.startsWith(`${API_PREFIX}/health`),
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error("rate limited"), { statusCode: 429, retryAfter: context.after }),
  });

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Clinic Live API",
        description: "Live slots, booking holds and waiting queues. Errors are RFC 9457 problem+json with a stable `code`.",
        version: options.version,
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  app.setErrorHandler((error, request, reply) => {
    const body = toProblem(error as Error, request);
    if (body.status >= 500) request.log.error({ err: error }, "request failed");
    return sendProblem(reply, body);
  });

  const webIndex = path.join(config.http.webDistDir, "index.html");
  const serveWeb = existsSync(webIndex);
  if (serveWeb) {
    await app.register(fastifyStatic, { root: config.http.webDistDir, wildcard: false, index: "index.html" });
  }
  app.setNotFoundHandler((request, reply) => {
    // Client-side routes of the web app resolve to its index page.
    const wantsPage = request.method === "GET" && !request.url.startsWith("/api/") && request.headers.accept?.includes("text/html");
    if (serveWeb && wantsPage) return reply.type("text/html").sendFile("index.html");
    return sendProblem(reply, problem(404, "NOT_FOUND", `No route for ${request.method} ${request.url.split("?")[0]}`));
  });

  app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  return app;
}
