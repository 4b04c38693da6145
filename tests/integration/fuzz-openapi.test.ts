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
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { problemSchema, type UserRole } from "@clinic/shared";
import {
  buildAppointment,
  buildClinic,
  buildClinicService,
  buildDoctor,
  buildPatient,
  buildPerson,
  buildQueueEntry,
  buildSlots,
  type TestPerson,
} from "../support/factories";
import { dayFromNow } from "../support/dates";
import { useApp, type TestApp } from "../support/harness";
import { seededRandom } from "../support/random";

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const SAMPLES = Number(process.env.FUZZ_SAMPLES ?? 16);
/** Operations fuzzed at once (each on a clinic of its own). */
const PARALLEL = 4;

// The OpenAPI document ------------------------------------------------------------------------------

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  prefixItems?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
}

interface Parameter {
  name: string;
  in: "path" | "query" | "header";
  required?: boolean;
  schema: Schema;
}

interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: Schema;
}

function operationsOf(document: { paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> } }>> }): Operation[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      parameters: operation.parameters ?? [],
      body: operation.requestBody?.content["application/json"]?.schema,
    })),
  );
}

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

// Plausible values ------------------------------------------------------------------------------------

/** What one operation's requests point at: a clinic of its own with a doctor, a patient, a visit, a queue entry. */
interface World {
  ids: Record<string, string>;
  people: Partial<Record<UserRole, TestPerson>>;
}

async function buildWorld(app: TestApp): Promise<World> {
  const clinic = await buildClinic(app);
  const [doctor, patient, clinicAdmin, platformAdmin, serviceId] = await Promise.all([
    buildDoctor(app, [clinic.id]),
    buildPatient(app),
    buildPerson(app, "clinic_admin", { clinicIds: [clinic.id] }),
    buildPerson(app, "platform_admin"),
    buildClinicService(app, clinic.id, 15),
  ]);
  const [slot, free] = await buildSlots(app, { doctorId: doctor.doctorId, clinicId: clinic.id, count: 2, date: dayFromNow(3), status: (i) => (i === 0 ? "booked" : "available") });
  const appointment = await buildAppointment(app, { slot: slot!, patientId: patient.patientId });
  const entry = await buildQueueEntry(app, { clinicId: clinic.id, serviceDay: dayFromNow(0), doctorId: doctor.doctorId, patientId: patient.patientId, arrivedAgo: 5 });
  return {
    ids: {
      clinicId: clinic.id,
      doctorId: doctor.doctorId,
      patientId: patient.patientId,
      userId: patient.user.id,
      serviceId,
      slotId: free!.id,
      appointmentId: appointment.id,
      entryId: entry.id,
    },
    people: { clinic_admin: clinicAdmin, platform_admin: platformAdmin, doctor, patient },
  };
}

/** Tried in turn against a pattern the generator knows nothing else about. */
const PATTERN_CANDIDATES = ["09:00", "+447700900123", "#336699", "abc", "ABC", "a1", "1", "en", "GB"];

function isDate(schema: Schema) {
  return schema.format === "date" || schema.pattern === "^\\d{4}-\\d{2}-\\d{2}$";
}
function isInstant(schema: Schema) {
  return schema.format === "date-time";
}

/** A value `schema` accepts, as far as its JSON Schema says (refinements are not in the document). */
function plausible(schema: Schema, name: string, world: World): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.default !== undefined && schema.default !== null) return schema.default;
  if (schema.enum) return schema.enum[0];
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    const member = alternatives.find((candidate) => candidate.type !== "null") ?? alternatives[0]!;
    return plausible(member, name, world);
  }
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((part) => plausible(part, name, world)));
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "object": {
      const value: Record<string, unknown> = {};
      for (const [key, property] of Object.entries(schema.properties ?? {})) value[key] = plausible(property, key, world);
      return value;
    }
    case "array": {
      if (schema.prefixItems) return schema.prefixItems.map((item) => plausible(item, name, world));
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => plausible(schema.items ?? {}, name, world));
    }
    case "integer":
    case "number": {
      const low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1);
      return Math.min(Math.max(low, 1), schema.maximum ?? Number.MAX_SAFE_INTEGER);
    }
    case "boolean":
      return false;
    case "string":
      return plausibleText(schema, name, world);
    default:
      return "x";
  }
}

/** Names of the later end of a span (`to`, `endTime`, `validUntil`, `sourceTo`): given a value after the start's. */
const isLater = (name: string) => /(^to$|To$|until|end)/i.test(name);

function plausibleText(schema: Schema, name: string, world: World): string {
  if (schema.format === "uuid") return world.ids[name] ?? randomUUID();
  if (isDate(schema)) return dayFromNow(isLater(name) ? 3 : 2);
  if (isInstant(schema)) return new Date(Date.parse(`${dayFromNow(2)}T09:00:00Z`) + (isLater(name) ? 3_600_000 : 0)).toISOString();
  if (schema.format === "email") return `fuzz-${randomUUID().slice(0, 8)}@test.clinic`;
  if (/zone/i.test(name)) return "Europe/London";
  if (schema.pattern) {
    const pattern = new RegExp(schema.pattern);
    const fit = (isLater(name) ? ["10:00", ...PATTERN_CANDIDATES] : PATTERN_CANDIDATES).find((candidate) => pattern.test(candidate));
    if (fit) return fit;
  }
  const length = Math.max(schema.minLength ?? 1, Math.min(8, schema.maxLength ?? 8));
  return "fuzzfuzz".padEnd(length, "z").slice(0, length);
}

// Bad values --------------------------------------------------------------------------------------------

/** Kinds of bad value; a must-refuse kind is never valid anywhere, so the answer must be 400. */
type Kind = "nul" | "surrogate" | "date" | "year0" | "huge" | "type" | "extra" | "proto" | "encoding";
const MUST_REFUSE: ReadonlySet<Kind> = new Set(["nul", "surrogate", "date", "year0", "proto", "encoding"]);

interface Spoiled {
  kind: Kind;
  label: string;
  /** The field the answer should name (`body.from`, `query.date`, `params.id`). */
  field: string;
  apply(request: PlannedRequest): PlannedRequest;
}

interface PlannedRequest {
  path: Record<string, string>; // percent-encoded
  query: [string, string][]; // percent-encoded
  body?: unknown;
}

const HUGE = 100_000;

function textValues(schema: Schema): { kind: Kind; label: string; value: string }[] {
  const valid = plausible(schema, "", { ids: {}, people: {} });
  const base = typeof valid === "string" ? valid : "x";
  const values: { kind: Kind; label: string; value: string }[] = [
    { kind: "nul", label: "a NUL character", value: `${base}\u0000` },
    { kind: "surrogate", label: "a lone surrogate", value: `\ud800${base}` },
    { kind: "huge", label: `${HUGE} characters`, value: "y".repeat(HUGE) },
  ];
  if (isDate(schema)) {
    values.push(
      { kind: "date", label: "31 February", value: "2027-02-31" },
      { kind: "date", label: "month 13", value: "2027-13-01" },
      { kind: "year0", label: "year 0000", value: "0000-01-01" },
    );
  }
  if (isInstant(schema)) {
    values.push(
      { kind: "date", label: "31 February", value: "2027-02-31T09:00:00Z" },
      { kind: "year0", label: "year 0000", value: "0000-01-01T00:00:00Z" },
    );
  }
  return values;
}

/** Walks a JSON value along its schema, yielding each spoilable place and the schema there. */
function* placesOf(schema: Schema, value: unknown, path: (string | number)[]): Generator<{ path: (string | number)[]; schema: Schema; value: unknown }> {
  yield { path, schema, value };
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    const member = alternatives.find((candidate) => candidate.type !== "null") ?? alternatives[0]!;
    yield* placesOf(member, value, path);
    return;
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      if (key in value) yield* placesOf(property, (value as Record<string, unknown>)[key], [...path, key]);
    }
  } else if (Array.isArray(value) && schema.items && value.length > 0) {
    yield* placesOf(schema.items, value[0], [...path, 0]);
  }
}

function setAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) }) as Record<string | number, unknown>;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  copy[head] = setAt(copy[head], rest, replacement);
  return copy;
}

/** A copy of the object at `path` with an own `key` (JSON.stringify writes own `__proto__` keys as they are). */
function withOwnKey(value: unknown, path: (string | number)[], key: string, keyValue: unknown): unknown {
  const target = path.reduce<unknown>((node, step) => (node as Record<string | number, unknown>)[step], value) as Record<string, unknown>;
  const copy = Object.defineProperty({ ...target }, key, { value: keyValue, enumerable: true, writable: true, configurable: true });
  return setAt(value, path, copy);
}

const fieldName = (part: string, path: (string | number)[]) => [part, ...path].join(".");
const enc = encodeURIComponent;

/** Every bad value this operation can be given, one input at a time. */
function spoilersOf(operation: Operation, plan: PlannedRequest): Spoiled[] {
  const spoilers: Spoiled[] = [];
  for (const parameter of operation.parameters) {
    if (parameter.in === "path") {
      const field = `params.${parameter.name}`;
      const raw = (label: string, kind: Kind, encoded: string): Spoiled => ({
        kind,
        label,
        field,
        apply: (request) => ({ ...request, path: { ...request.path, [parameter.name]: encoded } }),
      });
      spoilers.push(
        raw("%00", "nul", "%00"),
        raw("%00 after a valid value", "nul", `${plan.path[parameter.name] ?? ""}%00`),
        raw("undecodable UTF-8 (%ED%A0%80, a surrogate)", "encoding", "%ED%A0%80"),
        raw("undecodable UTF-8 (%F0)", "encoding", "%F0"),
        raw("5000 characters", "huge", "y".repeat(5000)),
        raw("not an id", "type", "not-an-id"),
      );
    }
    if (parameter.in === "query") {
      const field = `query.${parameter.name}`;
      const setQuery = (encoded: string) => (request: PlannedRequest) => ({
        ...request,
        query: [...request.query.filter(([name]) => name !== parameter.name), [parameter.name, encoded] as [string, string]],
      });
      for (const bad of textValues(parameter.schema)) {
        // A URL cannot carry a lone surrogate (encodeURIComponent refuses one); its undecodable escape is below.
        if (bad.kind === "surrogate" || bad.kind === "huge") continue;
        spoilers.push({ kind: bad.kind, label: bad.label, field, apply: setQuery(enc(bad.value)) });
      }
      spoilers.push(
        { kind: "huge", label: "5000 characters", field, apply: setQuery("y".repeat(5_000)) },
        { kind: "huge", label: "20000 characters (past Node's header limit)", field, apply: setQuery("y".repeat(20_000)) },
        // Fastify reads an undecodable escape in a query literally ("%ED%A0%80"): text like any other.
        { kind: "type", label: "an undecodable escape", field, apply: setQuery("%ED%A0%80") },
      );
      if (parameter.schema.type === "integer" || parameter.schema.type === "number" || parameter.schema.enum) {
        spoilers.push({ kind: "type", label: "not a number or option", field, apply: setQuery("zz%20top") });
      }
    }
  }
  spoilers.push({
    kind: "extra",
    label: "an unknown query parameter",
    field: "query.zzUnknown",
    apply: (request) => ({ ...request, query: [...request.query, ["zzUnknown", "1"]] }),
  });
  if (operation.body) {
    for (const place of placesOf(operation.body, plan.body, [])) {
      const field = fieldName("body", place.path);
      const put = (value: unknown) => (request: PlannedRequest) => ({ ...request, body: setAt(request.body, place.path, value) });
      if (typeof place.value === "string") {
        for (const bad of textValues(place.schema)) spoilers.push({ kind: bad.kind, label: bad.label, field, apply: put(bad.value) });
        spoilers.push({ kind: "type", label: "a number for text", field, apply: put(12345) });
      } else if (typeof place.value === "number") {
        spoilers.push({ kind: "type", label: "text for a number", field, apply: put("12") }, { kind: "type", label: "1e308", field, apply: put(1e308) });
      } else if (typeof place.value === "boolean") {
        spoilers.push({ kind: "type", label: "text for a boolean", field, apply: put("true") });
      } else if (Array.isArray(place.value)) {
        spoilers.push({ kind: "type", label: "an object for a list", field, apply: put({}) });
      } else if (place.value && typeof place.value === "object") {
        spoilers.push(
          { kind: "type", label: "a list for an object", field, apply: put([]) },
          { kind: "extra", label: "an unknown key", field: fieldName("body", [...place.path, "zzUnknown"]), apply: put({ ...(place.value as object), zzUnknown: 1 }) },
          {
            kind: "proto",
            label: "a __proto__ key",
            field: fieldName("body", [...place.path, "__proto__"]),
            apply: (request) => ({ ...request, body: withOwnKey(request.body, place.path, "__proto__", { isAdmin: true }) }),
          },
          {
            kind: "proto",
            label: "a constructor.prototype key",
            field: fieldName("body", [...place.path, "constructor"]),
            apply: (request) => ({ ...request, body: withOwnKey(request.body, place.path, "constructor", { prototype: { isAdmin: true } }) }),
          },
        );
        for (const key of Object.keys(place.value)) {
          spoilers.push({
            kind: "nul",
            label: "a NUL in a key",
            field: fieldName("body", place.path),
            apply: (request) => ({ ...request, body: withOwnKey(request.body, place.path, `${key}\u0000`, 1) }),
          });
          break;
        }
      }
    }
  }
  return spoilers;
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
