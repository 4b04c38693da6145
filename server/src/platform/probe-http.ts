import { randomUUID } from "node:crypto";
import Fastify, { type FastifyBaseLogger } from "fastify";
import type { Logger } from "pino";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { HttpApp } from "./http";
import { problem, sendProblem, toProblem } from "./problem";

/**
 * A worker node's HTTP server: nothing but the probes that `healthRoutes` adds, so an orchestrator
 * can ask a worker whether it is ready (a worker whose fleet stopped beating is not).
 */
export function createProbeApp(log: Logger): HttpApp {
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    requestIdHeader: "x-request-id",
    genReqId: () => randomUUID(),
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((error, request, reply) => sendProblem(reply, toProblem(error as Error, request)));
  app.setNotFoundHandler((request, reply) => sendProblem(reply, problem(404, "NOT_FOUND", `No route for ${request.method} ${request.url.split("?")[0]}`)));
  return app;
}
