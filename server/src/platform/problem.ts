import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { ERRORS, PROBLEM_CONTENT_TYPE, type ErrorCode, type Problem } from "@clinic/shared";
import { isConnectionLoss } from "./db";
import { DomainError, invalidFields } from "./errors";

/** What a 503 for a lost database connection tells clients to wait before trying again. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

const titles: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export function problem(status: number, code: ErrorCode, detail?: string, extra: Record<string, unknown> = {}): Problem {
  return {
    type: `urn:clinic-live:problem:${code.toLowerCase().replaceAll("_", "-")}`,
    title: titles[status] ?? "Error",
    status,
    code,
    ...(detail ? { detail } : {}),
    ...extra,
  };
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  // A problem that says when to try again says it in the header clients and proxies read too.
  if (typeof body.retryAfterSeconds === "number") reply.header("retry-after", String(body.retryAfterSeconds));
  return reply
    .code(body.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send({ ...body, instance: reply.request.url, requestId: String(reply.request.id) });
}

type ValidationIssue = { keyword: string; instancePath: string; message?: string; params?: { keys?: string[] } };

/** `body.patient.name` style names, including keys a strict schema rejected as unknown. */
function fieldsOf(context: string, issues: ValidationIssue[]) {
  return issues.flatMap((issue) => {
    const base = [context, ...issue.instancePath.split("/").filter(Boolean)].join(".");
    if (issue.keyword === "unrecognized_keys" && issue.params?.keys) {
      return issue.params.keys.map((key) => ({ field: `${base}.${key}`, message: "unknown field" }));
    }
    return [{ field: base, message: issue.message ?? "invalid" }];
  });
}

/** Maps anything thrown in a request to problem+json; never leaks stacks or SQL. */
export function toProblem(error: FastifyError | Error, request: FastifyRequest): Problem {
  const domain = (e: DomainError) => problem(e.status, e.code, e.message, e.extra);
  if (error instanceof DomainError) return domain(error);
  if (hasZodFastifySchemaValidationErrors(error)) {
    // Fastify calls the query string "querystring"; clients know it as the query.
    const part = error.validationContext === "querystring" ? "query" : (error.validationContext ?? "request");
    return domain(invalidFields(fieldsOf(part, error.validation as ValidationIssue[])));
  }
  const fastifyError = error as FastifyError;
  switch (fastifyError.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return problem(400, "MALFORMED_BODY", "The request body is not valid JSON", {
        errors: [{ field: "body", message: "malformed JSON" }],
      });
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return problem(413, "PAYLOAD_TOO_LARGE", "The request body is too large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return problem(415, "UNSUPPORTED_MEDIA_TYPE", `Unsupported content type ${request.headers["content-type"] ?? ""}`);
  }
  // The request's database connection died or could not be made, and it could not be run again
  // safely (platform/replay.ts): nothing about the request itself was wrong.
  if (isConnectionLoss(error)) {
    return problem(503, "DATABASE_UNAVAILABLE", ERRORS.DATABASE_UNAVAILABLE.message, { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS });
  }
  if (fastifyError.statusCode === 429) return problem(429, "RATE_LIMITED", "Too many requests, slow down");
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return problem(fastifyError.statusCode, "BAD_REQUEST", fastifyError.message);
  }
  return problem(500, "INTERNAL", "Something went wrong on our side; it has been logged");
}
