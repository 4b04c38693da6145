/**
 * The one check every request's input passes before its route's schema (docs/api.md, "Bad input"):
 * anywhere in the path parameters, the query and the body, values and keys alike,
 * - no NUL character: PostgreSQL stores none in text or jsonb, so it would fail the write as a 500;
 * - no lone surrogate (a JSON `"\ud800"` escape): not Unicode, and jsonb refuses it;
 * - no key that reaches an object's prototype (`__proto__`, or `constructor` holding `prototype`).
 *   Fastify's own parser check is off (http.ts) because it answers "malformed JSON" without the key.
 * Each is a 400 VALIDATION_FAILED naming the field, as a schema rejection is; a route's schema
 * never sees such input, so no route needs its own text rule.
 */
import type { FastifyRequest } from "fastify";
import { invalidFields, type FieldError } from "./errors";

/**
 * The longest path parameter routed; a longer one is refused (414, naming `params`) before routing.
 * Ids are 36 characters, payment session ids under 100.
 */
export const MAX_PARAM_LENGTH = 200;

/** Enough to show a client what to fix without describing a hostile body in full. */
const MAX_REPORTED = 10;

function textProblem(text: string): string | undefined {
  if (text.includes("\u0000")) return "contains a NUL character";
  if (!text.isWellFormed()) return "is not valid Unicode (a lone surrogate)";
  return undefined;
}

/** A key as a field name can show it: the offending characters as U+FFFD. */
const printable = (key: string) => key.replaceAll("\u0000", "\ufffd").toWellFormed();

const isPlainData = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer);

/** The fields of `value` (named from `part`) that no input may hold; walked without recursion, so any depth is safe. */
export function unsafeFields(part: string, value: unknown): FieldError[] {
  const found: FieldError[] = [];
  const pending: [unknown, string][] = [[value, part]];
  while (pending.length > 0 && found.length < MAX_REPORTED) {
    const [current, field] = pending.pop()!;
    if (typeof current === "string") {
      const problem = textProblem(current);
      if (problem) found.push({ field, message: problem });
      continue;
    }
    if (!isPlainData(current)) continue;
    for (const key of Object.keys(current)) {
      const child = current[key];
      const name = `${field}.${printable(key)}`;
      const keyProblem = textProblem(key);
      if (keyProblem) found.push({ field: name, message: `key ${keyProblem}` });
      else if (key === "__proto__" || (key === "constructor" && isPlainData(child) && Object.hasOwn(child, "prototype"))) {
        found.push({ field: name, message: "not allowed as a key" });
      } else pending.push([child, name]);
    }
  }
  return found;
}

/** A `preValidation` hook: refuses the request with 400 naming each field that no input may hold. */
export async function refuseUnsafeInput(request: FastifyRequest): Promise<void> {
  const found = [
    ...unsafeFields("params", request.params),
    ...unsafeFields("query", request.query),
    ...unsafeFields("body", request.body),
  ];
  if (found.length > 0) throw invalidFields(found.slice(0, MAX_REPORTED));
}
