/**
 * Helpers for the identity suites: a client that speaks as one client address (the app trusts
 * X-Forwarded-For, as behind the load balancer), fresh identities, and reading what the outbox
 * would send.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { expect } from "vitest";
import { loginResponseSchema, problemSchema, registerResponseSchema, type Problem } from "@clinic/shared";
import { latestCode } from "../support/db";
import { readJson, type TestApp } from "../support/harness";

export const PASSWORD = "a perfectly fine passphrase";

export const freshEmail = (tag = "user") => `${tag}-${randomUUID().slice(0, 12)}@identity.test`;
export const freshPhone = () => `+4477${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
export const freshIp = () => `10.${randomBytes(3).join(".")}`;

export interface Client {
  ip: string;
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  del(path: string, headers?: Record<string, string>): Promise<Response>;
}

/** A client at its own address, so per-IP limits of one test never touch another's. */
export function clientOf(app: TestApp, ip = freshIp()): Client {
  const send = (method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${app.url}/api/v1${path}`, {
      method,
      headers: {
        "x-forwarded-for": ip,
        "user-agent": "identity-tests/1.0",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
  return {
    ip,
    post: (path, body, headers) => send("POST", path, body, headers),
    get: (path, headers) => send("GET", path, undefined, headers),
    del: (path, headers) => send("DELETE", path, undefined, headers),
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Asserts a problem+json reply and returns its body. */
export async function expectProblem(response: Response, status: number, code: string): Promise<Problem & Record<string, unknown>> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status });
  expect(response.headers.get("content-type")).toContain("application/problem+json");
  const body = problemSchema.loose().parse(JSON.parse(text));
  expect(body.code).toBe(code);
  return body as Problem & Record<string, unknown>;
}

interface RegisterOptions {
  role?: "patient" | "doctor";
  password?: string;
}
export async function registerUser(
  app: TestApp,
  client: Client,
  options: RegisterOptions & { phone: string },
): Promise<{ userId: string; login: { phone: string } }>;
export async function registerUser(
  app: TestApp,
  client: Client,
  options?: RegisterOptions & { email?: string },
): Promise<{ userId: string; login: { email: string } }>;
export async function registerUser(
  app: TestApp,
  client: Client,
  options: RegisterOptions & { email?: string; phone?: string } = {},
): Promise<{ userId: string; login: { email: string } | { phone: string } }> {
  const login = options.phone ? { phone: options.phone } : { email: options.email ?? freshEmail() };
  const response = await client.post("/auth/register", {
    ...login,
    password: options.password ?? PASSWORD,
    name: "Test Person",
    role: options.role ?? "patient",
  });
  expect(response.status).toBe(201);
  const { userId } = await readJson(response, registerResponseSchema);
  return { userId, login };
}

export async function verifyUser(app: TestApp, client: Client, login: { email: string } | { phone: string }): Promise<void> {
  const recipient = "email" in login ? login.email : login.phone;
  const response = await client.post("/auth/verify", { ...login, code: await latestCode(app, recipient) });
  expect(response.status).toBe(200);
}

/** Registers and verifies a new account, then signs in. */
export async function signedInUser(app: TestApp, client: Client, options: RegisterOptions = {}) {
  const { userId, login } = await registerUser(app, client, options);
  await verifyUser(app, client, login);
  const response = await client.post("/auth/login", { ...login, password: options.password ?? PASSWORD });
  expect(response.status).toBe(200);
  const tokens = await readJson(response, loginResponseSchema);
  return { userId, login, ...tokens };
}
