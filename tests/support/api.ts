/**
 * Calls to a running app's HTTP API as a signed-in person (or nobody): the raw `request`, `call`
 * with the reply's JSON, and the few domain actions many suites take (hold a slot, check in, call
 * the next patient, read a loyalty balance).
 */
import type { TestApp } from "./harness";
import type { TestPerson } from "./factories";

export interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test replies are inspected loosely
  body: any;
}

/** `/api/v1{path}` as `person`; a string body is sent as it is (with `contentType`), anything else as JSON. */
export function request(
  app: TestApp,
  person: TestPerson | null | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${app.url}/api/v1${path}`, {
    method,
    headers: { ...(person?.headers ?? {}), ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** A JSON call (a string body too is sent as JSON); the reply's status and parsed body (null when empty). */
export async function call(app: TestApp, person: TestPerson | null, method: string, path: string, body?: unknown): Promise<Reply> {
  const response = await request(app, person, method, path, body === undefined ? undefined : JSON.stringify(body));
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** `request` bound to an app, with an optional content type (CSV and iCalendar uploads). */
export function caller(app: TestApp) {
  return (person: TestPerson | undefined, method: string, path: string, body?: unknown, contentType?: string) =>
    request(app, person, method, path, body, contentType ? { "content-type": contentType } : {});
}

/** POST /appointments (a hold), with an Idempotency-Key when given. */
export const hold = (app: TestApp, person: TestPerson, body: Record<string, unknown>, key?: string): Promise<Reply> =>
  request(app, person, "POST", "/appointments", body, key ? { "idempotency-key": key } : {}).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as Reply["body"],
  }));

export async function staffCheckIn(app: TestApp, reception: TestPerson, clinicId: string, appointmentId: string): Promise<Reply> {
  return call(app, reception, "POST", `/clinics/${clinicId}/queue/check-in`, { appointmentId });
}

export async function walkIn(app: TestApp, reception: TestPerson, clinicId: string, body: Record<string, unknown>): Promise<Reply> {
  return call(app, reception, "POST", `/clinics/${clinicId}/queue/walk-ins`, body);
}

export async function callNext(app: TestApp, person: TestPerson, doctorId: string, body: Record<string, unknown> = {}): Promise<Reply> {
  return call(app, person, "POST", `/doctors/${doctorId}/queue/call-next`, body);
}

/** POST /queue-entries/:id/:action (start, finish, no-show, …). */
export async function act(app: TestApp, person: TestPerson, entryId: string, action: string, body: Record<string, unknown>): Promise<Reply> {
  return call(app, person, "POST", `/queue-entries/${entryId}/${action}`, body);
}

/**
 * The doctor sees a called patient through (start, then finish): a doctor has one called patient at
 * a time, so tests that call several in turn resolve each before the next call.
 */
export async function startAndFinish(app: TestApp, doctor: TestPerson, entry: { id: string; version: number }): Promise<void> {
  const started = await act(app, doctor, entry.id, "start", { version: entry.version });
  if (started.status !== 200) throw new Error(`start ${entry.id}: ${started.status} ${JSON.stringify(started.body)}`);
  const finished = await act(app, doctor, entry.id, "finish", { version: started.body.version });
  if (finished.status !== 200) throw new Error(`finish ${entry.id}: ${finished.status} ${JSON.stringify(finished.body)}`);
}

/** The patient's loyalty balance, as GET /me/loyalty reports it. */
export async function balanceOf(app: TestApp, patient: TestPerson): Promise<number> {
  const reply = await call(app, patient, "GET", "/me/loyalty?limit=1");
  if (reply.status !== 200) throw new Error(`GET /me/loyalty → ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.balance as number;
}

/** The first bytes of each document type a doctor may upload, padded to a plausible file. */
export const PDF_BYTES = Buffer.concat([Buffer.from("%PDF-1.7\n% a test certificate\n"), Buffer.alloc(2048, 0x20), Buffer.from("\n%%EOF\n")]);
export const PNG_BYTES = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(512, 1)]);
export const JPEG_BYTES = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(512, 2)]);

/** POST /doctors/:doctorId/documents with the file as the body. */
export function uploadDocument(
  app: TestApp,
  person: TestPerson,
  doctorId: string,
  kind: string,
  name: string,
  bytes: Buffer,
  contentType = "application/pdf",
): Promise<Response> {
  return fetch(`${app.url}/api/v1/doctors/${doctorId}/documents?kind=${kind}&name=${encodeURIComponent(name)}`, {
    method: "POST",
    headers: { ...person.headers, "content-type": contentType },
    body: new Uint8Array(bytes),
  });
}
