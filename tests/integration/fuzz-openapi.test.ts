/**
 * Bad input on every operation of the app's OpenAPI document (`/docs/json`). The requests are
 * generated from the document, so a new route is covered without touching this file: for each
 * operation a plausible request is built from its schemas (real ids of a small clinic built for it),
 * then one input at a time is spoiled with a seeded sample of bad values — NUL and lone surrogates
 * in text, impossible dates, year 0000, huge strings, wrong types, unknown keys, `__proto__`,
 * `%00` and undecodable path parameters — and sent as whichever of a clinic admin, a platform admin,
 * the clinic's doctor or a patient the route lets past its guard with the plausible request.
 *
 * Every answer must be below 500 and every 4xx problem+json; a 400 (and Fastify's own 414 and 431)
 * must name a field, and when the plausible request passed validation, the field that was spoiled.
 * Values that no input may hold (NUL, lone surrogates, impossible dates, `__proto__`) must be refused.
 *
 * `FUZZ_SEED=<n>` replays a run (a failure prints its seed); `FUZZ_SAMPLES=<n>` sets the values per operation.
 */
import { describe, expect, it } from "vitest";
import { problemSchema, type UserRole } from "@clinic/shared";
import type { TestPerson } from "../support/factories";
import { useApp, type TestApp } from "../support/harness";
import { seededRandom } from "../support/random";
import {
  buildWorld,
  enc,
  MUST_REFUSE,
  operationsOf,
  plausible,
  setAt,
  spoilersOf,
  type Operation,
  type PlannedRequest,
  type Schema,
  type Spoiled,
  type World,
} from "./fuzz-inputs";

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const SAMPLES = Number(process.env.FUZZ_SAMPLES ?? 16);
/** Operations fuzzed at once (each on a clinic of its own). */
const PARALLEL = 4;

// Seeded choice ---------------------------------------------------------------------------------------

const hashOf = (text: string) => [...text].reduce((hash, char) => (Math.imul(hash, 31) + char.charCodeAt(0)) | 0, 0);

function shuffled<T>(items: T[], next: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

// Sending ------------------------------------------------------------------------------------------------

function planOf(operation: Operation, world: World): PlannedRequest {
  const path: Record<string, string> = {};
  const query: [string, string][] = [];
  for (const parameter of operation.parameters) {
    const value = plausible(parameter.schema, parameter.name, world);
    if (parameter.in === "path") path[parameter.name] = enc(String(value));
    // Optional query parameters are left out: their combinations (from/to, cursors) have rules the document does not state.
    if (parameter.in === "query" && parameter.required) query.push([parameter.name, enc(String(value))]);
  }
  return { path, query, body: operation.body ? plausible(operation.body, "body", world) : undefined };
}

/**
 * The plan without the optional body fields a 400 named: what a cross-field rule the document does
 * not state refuses ("give either email or phone, not both"). Undefined when there is none to drop.
 */
function withoutNamedOptionals(operation: Operation, plan: PlannedRequest, answer: Answer): PlannedRequest | undefined {
  let body = plan.body;
  for (const field of answer.status === 400 ? namedFields(answer.text) : []) {
    const [part, ...path] = field.split(".");
    const key = path.pop();
    if (part !== "body" || key === undefined || !operation.body) continue;
    const parentSchema = path.reduce<Schema | undefined>((schema, step) => (schema?.properties ?? {})[step] ?? schema?.items, operation.body);
    const parent = path.reduce<unknown>((node, step) => (node as Record<string, unknown> | undefined)?.[step], body);
    if (!parent || typeof parent !== "object" || !(key in parent) || parentSchema?.required?.includes(key)) continue;
    const { [key]: _dropped, ...rest } = parent as Record<string, unknown>;
    body = setAt(body, path, rest);
  }
  return body === plan.body ? undefined : { ...plan, body };
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

let forwardedFor = 0;
/** Requests this file sent. */
let sent = 0;

async function send(app: TestApp, operation: Operation, request: PlannedRequest, person: TestPerson | undefined): Promise<Answer> {
  const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => request.path[name] ?? "");
  const search = request.query.map(([name, value]) => `${name}=${value}`).join("&");
  const hasBody = request.body !== undefined;
  sent += 1;
  const response = await fetch(`${app.url}${path}${search ? `?${search}` : ""}`, {
    method: operation.method,
    headers: {
      ...(person?.headers ?? {}),
      ...(hasBody ? { "content-type": "application/json" } : {}),
      // A client address per request, so identity's per-address limits do not answer instead of the route.
      "x-forwarded-for": `10.${(forwardedFor >> 16) & 255}.${(forwardedFor >> 8) & 255}.${forwardedFor++ & 255}`,
    },
    body: hasBody ? JSON.stringify(request.body) : undefined,
  }).catch((error: Error) => ({ status: 0, headers: new Headers(), text: async () => String(error.cause ?? error) }));
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", text: await response.text() };
}

const ROLES: UserRole[] = ["clinic_admin", "platform_admin", "doctor", "patient"];

/** The first role whose plausible request gets past the guard (2xx, else anything but 401/403), else the platform admin. */
async function chooseRole(app: TestApp, operation: Operation, plan: PlannedRequest, world: World): Promise<{ role: UserRole; baseline: Answer }> {
  let fallback: { role: UserRole; baseline: Answer } | undefined;
  for (const role of ROLES) {
    const baseline = await send(app, operation, plan, world.people[role]);
    if (baseline.status < 300) return { role, baseline };
    if (!fallback && baseline.status !== 401 && baseline.status !== 403) fallback = { role, baseline };
  }
  return fallback ?? { role: "platform_admin", baseline: await send(app, operation, plan, world.people.platform_admin) };
}

/** The fields a problem names: its `errors` members, or its `field`. */
function namedFields(text: string): string[] {
  const problem = problemSchema.safeParse(JSON.parse(text));
  if (!problem.success) return [];
  const field = (problem.data as { field?: unknown }).field;
  return [...(problem.data.errors ?? []).map((error) => error.field), ...(typeof field === "string" ? [field] : [])];
}

/** `body.window` names `body.window.start` and the other way round; `params` names any path parameter. */
const related = (named: string, spoiled: string) => named === spoiled || spoiled.startsWith(`${named}.`) || named.startsWith(`${spoiled}.`);

/** What is wrong with an answer to a spoiled request, or nothing. */
function verdict(answer: Answer, spoiled: Spoiled | undefined, baselineValid: boolean): string | undefined {
  if (answer.status === 0) return `no answer (${answer.text})`;
  if (answer.status >= 500) return `${answer.status}`;
  if (answer.status < 400) return spoiled && MUST_REFUSE.has(spoiled.kind) ? `${answer.status}: accepted` : undefined;
  if (!answer.contentType.startsWith("application/problem+json")) return `${answer.status} as ${answer.contentType || "no content type"}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    return `${answer.status}: problem+json that is not JSON`;
  }
  if (!problemSchema.safeParse(parsed).success) return `${answer.status}: not a problem document`;
  if (answer.status === 400 || answer.status === 414 || answer.status === 431) {
    const fields = namedFields(answer.text);
    if (fields.length === 0) return `${answer.status} naming no field`;
    if (spoiled && baselineValid && answer.status === 400 && !fields.some((field) => related(field, spoiled.field))) {
      return `${answer.status} naming ${fields.join(", ")} instead of ${spoiled.field}`;
    }
  } else if (spoiled && MUST_REFUSE.has(spoiled.kind) && answer.status !== 401 && answer.status !== 403) {
    return `${answer.status} instead of 400`;
  }
  return undefined;
}

/** Whether the plausible request's input was accepted (so a spoiled one must be refused for the spoiled field). */
const passedValidation = (answer: Answer) => answer.status !== 400;

// The run ------------------------------------------------------------------------------------------------

describe("every operation of the OpenAPI document, given bad input", () => {
  const app = useApp();

  it("answers below 500, in problem+json, naming the field", async () => {
    const document = (await (await fetch(`${app.url}/docs/json`)).json()) as Parameters<typeof operationsOf>[0];
    const operations = operationsOf(document);
    expect(operations.length).toBeGreaterThan(100);
    const failures: string[] = [];
    let reached = 0;
    const statuses = new Map<number, number>();
    const started = Date.now();

    async function fuzz(operation: Operation) {
      const name = `${operation.method} ${operation.path}`;
      const next = seededRandom(SEED ^ hashOf(name));
      const world = await buildWorld(app);
      let plan = planOf(operation, world);
      let { role, baseline } = await chooseRole(app, operation, plan, world);
      for (let attempt = 0, better = withoutNamedOptionals(operation, plan, baseline); better && attempt < 3; attempt++) {
        plan = better;
        ({ role, baseline } = await chooseRole(app, operation, plan, world));
        better = withoutNamedOptionals(operation, plan, baseline);
      }
      if (baseline.status < 300) reached += 1;
      const baselineValid = passedValidation(baseline);
      const baselineFault = verdict(baseline, undefined, baselineValid);
      if (baselineFault) failures.push(`${name} as ${role}, plausible request: ${baselineFault} ${baseline.text.slice(0, 200)}`);
      // One value of each kind in each part (params, query, body) this operation has, then others, up to SAMPLES.
      const all = shuffled(spoilersOf(operation, plan), next);
      const firstOfKind = [...new Map(all.map((spoiled) => [`${spoiled.kind} ${spoiled.field.split(".")[0]}`, spoiled])).values()];
      const sample = [...new Set([...firstOfKind, ...all])].slice(0, Math.max(SAMPLES, firstOfKind.length));
      for (const spoiled of sample) {
        const answer = await send(app, operation, spoiled.apply(plan), world.people[role]);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const fault = verdict(answer, spoiled, baselineValid);
        if (fault) failures.push(`${name} as ${role}, ${spoiled.field} = ${spoiled.label}: ${fault} ${answer.text.slice(0, 200)}`);
      }
    }

    const queue = [...operations];
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        for (let operation = queue.shift(); operation; operation = queue.shift()) await fuzz(operation);
      }),
    );
    const byStatus = [...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(" ");
    const run = `FUZZ_SEED=${SEED}: ${operations.length} operations, ${sent} requests in ${Date.now() - started} ms; spoiled answers ${byStatus}`;
    expect(failures, `${run}\n${failures.join("\n")}`).toEqual([]);
    // The plausible requests get past the guards of most routes, so the bad values reach their handlers.
    expect(reached, run).toBeGreaterThan(operations.length / 2);
  }, 240_000);
});
