import { describe, expect, it } from "vitest";
import { RequestContext } from "@mikro-orm/core";
import { z } from "zod";
import { problemSchema } from "@clinic/shared";
import type { Runtime } from "../../server/src/platform/runtime";
import { createTestEnvironment, readJson, startTestApp, useTestApp, type TestApp } from "../support/harness";

/** A route shaped like the modules' routes, to exercise validation and error mapping at the edge. */
function registerProbeRoutes(runtime: Runtime) {
  const app = runtime.http!;
  app.post(
    "/api/v1/probe",
    {
      schema: {
        body: z.strictObject({ name: z.string().min(1).max(20), count: z.number().int().min(0) }),
        response: { 201: z.object({ name: z.string(), count: z.number() }) },
      },
    },
    async (request, reply) => {
      await runtime.redis.rpush(`${runtime.config.redis.prefix}:probe`, request.body.name);
      return reply.code(201).send(request.body);
    },
  );
  app.get("/api/v1/probe/context", async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return { em: RequestContext.getEntityManager()?.id ?? null };
  });
  app.get("/api/v1/probe/crash", async () => {
    throw new Error("relation \"secret_table\" does not exist");
  });
  app.post(
    "/api/v1/probe/items/:itemId",
    {
      schema: {
        params: z.object({ itemId: z.string().max(1000) }),
        querystring: z.object({ q: z.string().optional() }),
        body: z.union([
          z.strictObject({ kind: z.literal("visit"), patient: z.object({ name: z.string() }), minutes: z.number().int().min(5) }),
          z.strictObject({ kind: z.literal("note"), text: z.string() }),
        ]),
      },
    },
    async (request, reply) => {
      await runtime.redis.rpush(`${runtime.config.redis.prefix}:probe`, request.params.itemId);
      return reply.code(201).send({ ok: true });
    },
  );
}

/** An app with the probe routes for the enclosing describe, and what the probe has stored. */
function useProbeApp(): { app: TestApp; written: () => Promise<string[]> } {
  const app = useTestApp({ beforeStart: registerProbeRoutes });
  return { app, written: () => app.runtime.redis.lrange(`${app.runtime.config.redis.prefix}:probe`, 0, -1) };
}

describe("HTTP edge", () => {
  const { app, written } = useProbeApp();

  const post = (body: string, contentType = "application/json") =>
    fetch(`${app.url}/api/v1/probe`, { method: "POST", headers: { "content-type": contentType }, body });

  it("accepts a valid body", async () => {
    const response = await post(JSON.stringify({ name: "ok", count: 1 }));
    expect(response.status).toBe(201);
    expect(await written()).toEqual(["ok"]);
  });

  it("answers a malformed JSON body with 400 problem+json and writes nothing", async () => {
    const before = await written();
    const response = await post('{"name": "x", ');
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    const body = await readJson(response, problemSchema);
    expect(body).toMatchObject({ status: 400, code: "MALFORMED_BODY", errors: [{ field: "body" }] });
    expect(await written()).toEqual(before);
  });

  it("names each invalid, missing or unknown field", async () => {
    const cases: [unknown, string[]][] = [
      [{ name: "x", count: "three" }, ["body.count"]],
      [{ count: 1 }, ["body.name"]],
      [{ name: "x".repeat(21), count: 1 }, ["body.name"]],
      [{ name: "x", count: 1, admin: true }, ["body.admin"]],
    ];
    for (const [input, fields] of cases) {
      const response = await post(JSON.stringify(input));
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      const body = await readJson(response, problemSchema);
      expect(body.code).toBe("VALIDATION_FAILED");
      expect(body.errors?.map((error) => error.field)).toEqual(fields);
    }
    expect(await written()).toEqual(["ok"]);
  });

  it("gives every request its own EntityManager context, even when requests overlap", async () => {
    const contextSchema = z.object({ em: z.number().nullable() });
    const replies = await Promise.all(
      Array.from({ length: 5 }, async () => readJson(await fetch(`${app.url}/api/v1/probe/context`), contextSchema)),
    );
    const ids = replies.map((reply) => reply.em);
    expect(ids).not.toContain(null);
    expect(new Set(ids).size).toBe(5);
  });

  it("answers unknown routes with 404 problem+json", async () => {
    const response = await fetch(`${app.url}/api/v1/nothing-here`);
    expect(response.status).toBe(404);
    expect(await readJson(response, problemSchema)).toMatchObject({ code: "NOT_FOUND", status: 404 });
  });

  it("hides internals of unexpected failures", async () => {
    const response = await fetch(`${app.url}/api/v1/probe/crash`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ code: "INTERNAL", status: 500 });
    expect(text).not.toContain("secret_table");
    expect(text).not.toMatch(/at .*:\d+:\d+/);
  });

  it("echoes the caller's request id, or makes one", async () => {
    const given = await fetch(`${app.url}/api/v1/health`, { headers: { "x-request-id": "trace-123" } });
    expect(given.headers.get("x-request-id")).toBe("trace-123");
    const made = await fetch(`${app.url}/api/v1/health`);
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("sends security headers", async () => {
    const response = await fetch(`${app.url}/api/v1/health`);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
  });

  it("serves OpenAPI built from the route schemas, and the docs UI", async () => {
    const openApi = z.object({
      openapi: z.string(),
      paths: z.record(z.string(), z.record(z.string(), z.any())),
    });
    const spec = await readJson(await fetch(`${app.url}/docs/json`), openApi);
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(["/api/v1/health", "/api/v1/ready", "/api/v1/probe"]));
    expect(spec.paths["/api/v1/probe"]?.post.requestBody.content["application/json"].schema.required).toEqual(["name", "count"]);
    const ui = await fetch(`${app.url}/docs`, { redirect: "follow" });
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain("swagger");
  });

  it("exposes Prometheus metrics: HTTP latency, socket connections, queue depths", async () => {
    await fetch(`${app.url}/api/v1/health`);
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).toMatch(/http_request_duration_seconds_bucket\{.*route="\/api\/v1\/health".*\} \d+/);
    expect(text).toMatch(/^socket_connections 0$/m);
    expect(text).toMatch(/^queue_jobs\{queue="maintenance",state="waiting"\} \d+$/m);
  });
});

describe("bad input at the edge", () => {
  const { app, written } = useProbeApp();

  const visit = { kind: "visit", patient: { name: "Ada" }, minutes: 15 };
  const send = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${app.url}/api/v1/probe/items/${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

  /** The answer's status, code and named fields, after checking it is problem+json. */
  async function refusal(response: Response) {
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    const text = await response.text();
    const body = problemSchema.parse(JSON.parse(text));
    return { status: response.status, code: body.code, fields: body.errors?.map((error) => error.field), text };
  }

  it("accepts a valid request", async () => {
    expect((await send("item-1", JSON.stringify(visit))).status).toBe(201);
    expect(await written()).toEqual(["item-1"]);
  });

  it("refuses a NUL or a lone surrogate anywhere in the input, naming the field, and writes nothing", async () => {
    const cases: [string, string, string][] = [
      ["item-2", JSON.stringify({ ...visit, patient: { name: "Ada\u0000" } }), "body.patient.name"],
      ["item-2", JSON.stringify({ ...visit, patient: { name: "\ud800Ada" } }), "body.patient.name"],
      ["item-2", '{"kind":"note","text":"\\udc00"}', "body.text"],
      ["item-2", JSON.stringify({ ...visit, patient: { "na\u0000me": "Ada" } }), "body.patient.na\ufffdme"],
      ["item%00", JSON.stringify(visit), "params.itemId"],
      ["item-2?q=a%00b", JSON.stringify(visit), "query.q"],
    ];
    for (const [path, body, field] of cases) {
      const answer = await refusal(await send(path, body));
      expect([answer.status, answer.code, answer.fields], `${path} ${body}`).toEqual([400, "VALIDATION_FAILED", [field]]);
    }
    expect(await written()).toEqual(["item-1"]);
  });

  it("refuses keys that reach a prototype, naming the key rather than calling the body malformed", async () => {
    const cases: [string, string][] = [
      ['{"__proto__":{"isAdmin":true},"kind":"note","text":"x"}', "body.__proto__"],
      ['{"kind":"visit","patient":{"name":"Ada","__proto__":{"isAdmin":true}},"minutes":15}', "body.patient.__proto__"],
      ['{"kind":"note","text":"x","constructor":{"prototype":{"isAdmin":true}}}', "body.constructor"],
    ];
    for (const [body, field] of cases) {
      const answer = await refusal(await send("item-3", body));
      expect([answer.status, answer.code, answer.fields], body).toEqual([400, "VALIDATION_FAILED", [field]]);
    }
    expect(await written()).toEqual(["item-1"]);
  });

  it("names the failing field of the closest member of a union body, not the whole body", async () => {
    const cases: [unknown, string[]][] = [
      [{ ...visit, minutes: 2 }, ["body.minutes"]],
      [{ ...visit, patient: { name: 7 } }, ["body.patient.name"]],
      [{ kind: "note", text: 3 }, ["body.text"]],
      [{ kind: "note", text: "x", extra: true }, ["body.extra"]],
    ];
    for (const [body, fields] of cases) {
      const answer = await refusal(await send("item-4", JSON.stringify(body)));
      expect([answer.status, answer.fields], JSON.stringify(body)).toEqual([400, fields]);
    }
  });

  it("answers a path Fastify cannot route in problem+json naming the parameters, without echoing the path", async () => {
    const long = "y".repeat(5_000);
    const tooLong = await refusal(await send(long, JSON.stringify(visit)));
    expect([tooLong.status, tooLong.code, tooLong.fields]).toEqual([414, "URI_TOO_LONG", ["params"]]);
    expect(tooLong.text).not.toContain("yyyyyyyyyy");
    const undecodable = await refusal(await send("%ED%A0%80", JSON.stringify(visit)));
    expect([undecodable.status, undecodable.code, undecodable.fields]).toEqual([400, "VALIDATION_FAILED", ["params"]]);
    expect(undecodable.text).not.toContain("%ED");
  });

  it("answers a request line or headers over Node's limit with 431 problem+json naming the part, without echoing it", async () => {
    const longQuery = await refusal(await send(`item-5?q=${"y".repeat(20_000)}`, JSON.stringify(visit)));
    expect([longQuery.status, longQuery.code, longQuery.fields]).toEqual([431, "HEADERS_TOO_LARGE", ["query"]]);
    expect(longQuery.text).not.toContain("yyyyyyyyyy");
    const bigHeader = await refusal(await send("item-5", JSON.stringify(visit), { "x-padding": "y".repeat(20_000) }));
    expect([bigHeader.status, bigHeader.fields]).toEqual([431, ["headers"]]);
    expect(await written()).toEqual(["item-1"]);
  });
});

describe("rate limiting", () => {
  it("is shared through Redis by every node once they sync, and answers 429 problem+json", async () => {
    const environment = await createTestEnvironment();
    const env = { RATE_LIMIT_MAX: "4", RATE_LIMIT_WINDOW_SECONDS: "60", RATE_LIMIT_SYNC_MS: "50" };
    const [a, b] = await Promise.all([startTestApp(environment, { env }), startTestApp(environment, { env })]);
    const ready = async (node: TestApp) => (await fetch(`${node.url}/api/v1/ready`)).status;
    try {
      // Each node counts in memory and adds its counts to Redis's every RATE_LIMIT_SYNC_MS.
      expect([await ready(a), await ready(a)]).toEqual([200, 200]);
      await a.runtime.http!.rateLimitCounts.synced();
      expect([await ready(b), await ready(b)]).toEqual([200, 200]);
      await b.runtime.http!.rateLimitCounts.synced();
      const limited = await fetch(`${b.url}/api/v1/ready`);
      expect(limited.status).toBe(429);
      expect(limited.headers.get("content-type")).toContain("application/problem+json");
      expect(await readJson(limited, problemSchema)).toMatchObject({ code: "RATE_LIMITED", status: 429 });
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
