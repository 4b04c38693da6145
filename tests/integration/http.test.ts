import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestContext } from "@mikro-orm/core";
import { z } from "zod";
import { problemSchema } from "@clinic/shared";
import type { Runtime } from "../../server/src/platform/runtime";
import { createTestEnvironment, readJson, startTestApp, type TestApp, type TestEnvironment } from "../support/harness";

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
}

describe("HTTP edge", () => {
  let environment: TestEnvironment;
  let app: TestApp;
  const written = () => app.runtime.redis.lrange(`${environment.prefix}:probe`, 0, -1);

  beforeAll(async () => {
    environment = await createTestEnvironment();
    app = await startTestApp(environment, { beforeStart: registerProbeRoutes });
  });
  afterAll(() => app.close());

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

describe("rate limiting", () => {
  it("is shared through Redis by every node and answers 429 problem+json", async () => {
    const environment = await createTestEnvironment();
    const env = { RATE_LIMIT_MAX: "4", RATE_LIMIT_WINDOW_SECONDS: "60" };
    const [a, b] = await Promise.all([startTestApp(environment, { env }), startTestApp(environment, { env })]);
    try {
      const statuses: number[] = [];
      for (const node of [a, b, a, b]) statuses.push((await fetch(`${node.url}/api/v1/ready`)).status);
      expect(statuses).toEqual([200, 200, 200, 200]);
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
