/**
 * The fuzz's inputs, from the OpenAPI document (`fuzz-openapi.test.ts`): the operations and their
 * schemas, plausible values for each schema (ids of a small clinic built for the run), and the bad
 * values that spoil one input at a time.
 */
import { randomUUID } from "node:crypto";
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
import type { TestApp } from "../support/harness";
import type { UserRole } from "@clinic/shared";

// The OpenAPI document ------------------------------------------------------------------------------

export interface Schema {
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

export interface Parameter {
  name: string;
  in: "path" | "query" | "header";
  required?: boolean;
  schema: Schema;
}

export interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: Schema;
}

export function operationsOf(document: { paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> } }>> }): Operation[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      parameters: operation.parameters ?? [],
      body: operation.requestBody?.content["application/json"]?.schema,
    })),
  );
}


// Plausible values ------------------------------------------------------------------------------------

/** What one operation's requests point at: a clinic of its own with a doctor, a patient, a visit, a queue entry. */
export interface World {
  ids: Record<string, string>;
  people: Partial<Record<UserRole, TestPerson>>;
}

export async function buildWorld(app: TestApp): Promise<World> {
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
export const PATTERN_CANDIDATES = ["09:00", "+447700900123", "#336699", "abc", "ABC", "a1", "1", "en", "GB"];

export function isDate(schema: Schema) {
  return schema.format === "date" || schema.pattern === "^\\d{4}-\\d{2}-\\d{2}$";
}
export function isInstant(schema: Schema) {
  return schema.format === "date-time";
}

/** A value `schema` accepts, as far as its JSON Schema says (refinements are not in the document). */
export function plausible(schema: Schema, name: string, world: World): unknown {
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
export const isLater = (name: string) => /(^to$|To$|until|end)/i.test(name);

export function plausibleText(schema: Schema, name: string, world: World): string {
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
export type Kind = "nul" | "surrogate" | "date" | "year0" | "huge" | "type" | "extra" | "proto" | "encoding";
export const MUST_REFUSE: ReadonlySet<Kind> = new Set(["nul", "surrogate", "date", "year0", "proto", "encoding"]);

export interface Spoiled {
  kind: Kind;
  label: string;
  /** The field the answer should name (`body.from`, `query.date`, `params.id`). */
  field: string;
  apply(request: PlannedRequest): PlannedRequest;
}

export interface PlannedRequest {
  path: Record<string, string>; // percent-encoded
  query: [string, string][]; // percent-encoded
  body?: unknown;
}

export const HUGE = 100_000;

export function textValues(schema: Schema): { kind: Kind; label: string; value: string }[] {
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

export function setAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) }) as Record<string | number, unknown>;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  copy[head] = setAt(copy[head], rest, replacement);
  return copy;
}

/** A copy of the object at `path` with an own `key` (JSON.stringify writes own `__proto__` keys as they are). */
export function withOwnKey(value: unknown, path: (string | number)[], key: string, keyValue: unknown): unknown {
  const target = path.reduce<unknown>((node, step) => (node as Record<string | number, unknown>)[step], value) as Record<string, unknown>;
  const copy = Object.defineProperty({ ...target }, key, { value: keyValue, enumerable: true, writable: true, configurable: true });
  return setAt(value, path, copy);
}

export const fieldName = (part: string, path: (string | number)[]) => [part, ...path].join(".");
export const enc = encodeURIComponent;

/** Every bad value this operation can be given, one input at a time. */
export function spoilersOf(operation: Operation, plan: PlannedRequest): Spoiled[] {
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

