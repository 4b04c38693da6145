import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { ConnectionError, FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { ERRORS, PROBLEM_CONTENT_TYPE, type ErrorCode, type Problem } from "@clinic/shared";
import { isConnectionLoss } from "./db";
import { DomainError, invalidFields, type FieldError } from "./errors";
import { MAX_PARAM_LENGTH } from "./inputs";

/** What a 503 for a lost database connection tells clients to wait before trying again. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

const titles: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  408: "Request Timeout",
  409: "Conflict",
  413: "Payload Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
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

/** Sends `body`; `instance` is the request's URL unless told not to echo it (a request refused for its size or encoding). */
export function sendProblem(reply: FastifyReply, body: Problem, options: { instance?: boolean } = {}): FastifyReply {
  // A problem that says when to try again says it in the header clients and proxies read too.
  if (typeof body.retryAfterSeconds === "number") reply.header("retry-after", String(body.retryAfterSeconds));
  return reply
    .code(body.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send({ ...body, ...(options.instance === false ? {} : { instance: reply.request.url }), requestId: String(reply.request.id) });
}

type ValidationIssue = { keyword: string; instancePath: string; message?: string; params?: { keys?: string[]; errors?: ZodIssue[][] } };
/** What zod reports inside a union's `errors`: the members' own issues, paths relative to the union. */
type ZodIssue = { code: string; path: PropertyKey[]; message: string; keys?: string[]; errors?: ZodIssue[][] };

/**
 * `body.patient.name` style names, including keys a strict schema rejected as unknown. A union
 * that matched no member is named by its closest member (the one with the fewest issues), so the
 * client learns which field to fix rather than that the whole `body` is wrong.
 */
function namesOf(context: string, at: PropertyKey[], issue: ZodIssue): FieldError[] {
  const path = [...at, ...issue.path];
  const base = [context, ...path.map(String)].join(".");
  if (issue.code === "unrecognized_keys" && issue.keys) return issue.keys.map((key) => ({ field: `${base}.${key}`, message: "unknown field" }));
  const members = issue.code === "invalid_union" ? (issue.errors ?? []).filter((member) => member.length > 0) : [];
  if (members.length > 0) {
    const closest = members.reduce((best, member) => (member.length < best.length ? member : best));
    return closest.flatMap((inner) => namesOf(context, path, inner));
  }
  return [{ field: base, message: issue.message }];
}

function fieldsOf(context: string, issues: ValidationIssue[]): FieldError[] {
  return issues.flatMap((issue) =>
    namesOf(context, [], {
      code: issue.keyword,
      path: issue.instancePath.split("/").filter(Boolean),
      message: issue.message ?? "invalid",
      keys: issue.params?.keys,
      errors: issue.params?.errors,
    }),
  );
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

/**
 * Fastify's refusals before a route runs (its `frameworkErrors` option): a path that is not valid
 * percent-encoded UTF-8, or a path parameter over MAX_PARAM_LENGTH. Problem+json naming the path
 * parameters, without echoing the path.
 */
export function sendFrameworkProblem(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let body: Problem;
  if (error.code === "FST_ERR_BAD_URL") {
    body = toProblem(invalidFields([{ field: "params", message: "not valid percent-encoded UTF-8" }]), request);
  } else if (error.code === "FST_ERR_MAX_PARAM_LENGTH") {
    body = problem(414, "URI_TOO_LONG", `A path parameter is longer than ${MAX_PARAM_LENGTH} characters`, {
      errors: [{ field: "params", message: `longer than ${MAX_PARAM_LENGTH} characters` }],
    });
  } else {
    body = toProblem(error, request);
    if (body.status >= 500) request.log.error({ err: error }, "request failed");
  }
  return sendProblem(reply, body, { instance: false });
}

/** Which part of a request overflowed Node's header limit: the query or path of its request line, or its headers. */
function oversizedPart(raw: Buffer | undefined): string {
  if (!raw) return "headers";
  const lineEnd = raw.indexOf("\r\n");
  const line = lineEnd === -1 ? raw : raw.subarray(0, lineEnd);
  if (line.length * 2 < raw.length) return "headers";
  const target = line.toString("latin1").split(" ")[1] ?? "";
  const queryAt = target.indexOf("?");
  return queryAt !== -1 && target.length - queryAt > queryAt ? "query" : "path";
}

function clientErrorProblem(error: ConnectionError): Problem {
  if (error.code === "HPE_HEADER_OVERFLOW") {
    // Node hands over the bytes read so far as a Buffer (Fastify's type has its JSON form).
    const raw: unknown = error.rawPacket;
    const field = oversizedPart(Buffer.isBuffer(raw) ? raw : undefined);
    return problem(431, "HEADERS_TOO_LARGE", `The request's ${field} is too large`, { errors: [{ field, message: "too large" }] });
  }
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") return problem(408, "REQUEST_TIMEOUT", "The request took too long to arrive");
  return problem(400, "BAD_REQUEST", "The request is not valid HTTP/1.1", { errors: [{ field: "request", message: "not valid HTTP/1.1" }] });
}

/**
 * Node's HTTP parser refused a request before Fastify saw it (Fastify's `clientErrorHandler`): a
 * request line and headers over the limit, a timeout, a malformed request. Answers problem+json
 * naming what was wrong, without echoing the request, and closes the connection.
 */
export function answerClientError(error: ConnectionError, socket: Socket): void {
  // A reset connection has no one to answer.
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy(error);
    return;
  }
  const body = clientErrorProblem(error);
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${body.status} ${STATUS_CODES[body.status]}\r\nconnection: close\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
  );
}
