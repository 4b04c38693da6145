/**
 * Display tokens for waiting-room screens, end to end on two nodes (real PostgreSQL, Redis and
 * socket.io-client): who may manage them, what is stored, the socket handshake, the
 * `display:{clinicId}` topic, and revocation disconnecting live screens everywhere.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import type { Socket } from "socket.io-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createdDisplayTokenSchema,
  displaySnapshotSchema,
  displayTokenListSchema,
  displayTokenSchema,
  localDateOf,
  problemSchema,
  type EventEnvelope,
  type SubscribeAck,
} from "@clinic/shared";
import { connected, connectSocket, createTestEnvironment, publishUnchecked, readJson, seqOf, startTestApp, type TestApp, type TestEnvironment, waitFor } from "../support/harness";
import { buildClinic, buildPerson, type TestPerson } from "../support/factories";
import { request } from "../support/api";

const sha256Hex = (value: string) => createHash("sha256").update(value).digest("hex");
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The promise's value, or `fallback` after `ms` (so a missing event fails an assertion, not the timeout). */
const within = <T>(promise: Promise<T>, ms: number, fallback: T) =>
  Promise.race([promise, new Promise<T>((resolve) => setTimeout(() => resolve(fallback), ms))]);

describe("display tokens", () => {
  let environment: TestEnvironment;
  let nodeA: TestApp;
  let nodeB: TestApp;
  let db: pg.Client;
  let clinicA: { id: string; name: string };
  let clinicB: { id: string; name: string };
  let adminA: TestPerson;
  let adminB: TestPerson;
  let receptionA: TestPerson;
  let doctorA: TestPerson;
  let patient: TestPerson;
  let platformAdmin: TestPerson;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    environment = await createTestEnvironment();
    [nodeA, nodeB] = await Promise.all([startTestApp(environment), startTestApp(environment)]);
    [clinicA, clinicB] = await Promise.all([buildClinic(nodeA), buildClinic(nodeA)]);
    [adminA, adminB, receptionA, doctorA, patient, platformAdmin] = await Promise.all([
      buildPerson(nodeA, "clinic_admin", { clinicIds: [clinicA.id] }),
      buildPerson(nodeA, "clinic_admin", { clinicIds: [clinicB.id] }),
      buildPerson(nodeA, "receptionist", { clinicIds: [clinicA.id] }),
      buildPerson(nodeA, "doctor", { clinicIds: [clinicA.id] }),
      buildPerson(nodeA, "patient"),
      buildPerson(nodeA, "platform_admin"),
    ]);
    db = new pg.Client({ connectionString: environment.databaseUrl });
    await db.connect();
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(async () => {
    await db.end();
    await Promise.all([nodeA.close(), nodeB.close()]);
  });

  const api = (node: TestApp, method: string, path: string, options: { person?: TestPerson; body?: unknown; headers?: Record<string, string> } = {}) =>
    request(node, options.person, method, path, options.body, options.headers);

  async function createToken(clinicId: string, person: TestPerson = adminA, name = `Screen ${randomUUID().slice(0, 6)}`) {
    const response = await api(nodeA, "POST", `/clinics/${clinicId}/display-tokens`, { person, body: { name } });
    expect(response.status).toBe(201);
    return readJson(response, createdDisplayTokenSchema);
  }

  const open = (node: TestApp, auth: Record<string, unknown>) => {
    const socket = connectSocket(node.url, auth);
    sockets.push(socket);
    return socket;
  };

  /** A connected socket that records the events it receives. */
  async function listen(node: TestApp, auth: Record<string, unknown>) {
    const socket = open(node, auth);
    const events: EventEnvelope[] = [];
    socket.on("event", (envelope: EventEnvelope) => events.push(envelope));
    await connected(socket);
    return { socket, events };
  }

  const subscribe = (socket: Socket, topic: string) => socket.timeout(5_000).emitWithAck("subscribe", { topic }) as Promise<SubscribeAck>;
  const disconnection = (socket: Socket) => new Promise<string>((resolve) => socket.once("disconnect", (reason) => resolve(reason)));

  async function counts() {
    const { rows } = await db.query<{ tokens: number; audits: number }>(
      `select (select count(*)::int from display_token) as tokens,
              (select count(*)::int from audit_event where entity_type = 'DisplayToken') as audits`,
    );
    return rows[0]!;
  }

  async function tokenRow(id: string) {
    const { rows } = await db.query<Record<string, unknown> & { secret_hash: string; last_used_at: Date | null; revoked_at: Date | null }>(
      "select * from display_token where id = $1",
      [id],
    );
    return rows[0];
  }

  it("lets a clinic admin create, list and revoke a screen's token: shown once, only its hash stored, audited without it", async () => {
    const response = await api(nodeA, "POST", `/clinics/${clinicA.id}/display-tokens`, { person: adminA, body: { name: "  Lobby TV  " } });
    expect(response.status).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const created = await readJson(response, createdDisplayTokenSchema);
    expect(created).toMatchObject({ clinicId: clinicA.id, name: "Lobby TV" });
    expect(created.token.startsWith(`dsp_${created.id}.`)).toBe(true);
    const secret = created.token.slice(`dsp_${created.id}.`.length);
    expect(Buffer.from(secret, "base64url")).toHaveLength(32);

    // The database has SHA-256 of the secret, and the secret nowhere.
    const row = await tokenRow(created.id);
    expect(row).toMatchObject({ clinic_id: clinicA.id, name: "Lobby TV", created_by_id: adminA.user.id, last_used_at: null, revoked_at: null });
    expect(row!.secret_hash).toBe(sha256Hex(secret));
    expect(JSON.stringify(row)).not.toContain(secret);

    // Listed without the token; a second one sorts first; another clinic's token is not listed.
    const second = await createToken(clinicA.id, adminA, "Corridor");
    const otherClinics = await createToken(clinicB.id, adminB);
    const listResponse = await api(nodeB, "GET", `/clinics/${clinicA.id}/display-tokens`, { person: adminA });
    expect(listResponse.status).toBe(200);
    const raw = (await listResponse.clone().json()) as { items: Record<string, unknown>[] };
    for (const item of raw.items) expect(Object.keys(item).sort()).toEqual(["clinicId", "createdAt", "createdBy", "id", "lastUsedAt", "name", "revokedAt"]);
    expect(JSON.stringify(raw)).not.toContain(secret);
    const list = displayTokenListSchema.parse(raw);
    expect(list.items.map((item) => item.id)).toEqual([second.id, created.id]);
    expect(list.items.map((item) => item.id)).not.toContain(otherClinics.id);
    expect(list.items[1]).toEqual({
      id: created.id,
      clinicId: clinicA.id,
      name: "Lobby TV",
      createdAt: created.createdAt,
      createdBy: adminA.user.id,
      lastUsedAt: null,
      revokedAt: null,
    });

    // Revoking is idempotent: the second answer is the same and is not audited again.
    const revoked = await readJson(await api(nodeA, "DELETE", `/display-tokens/${created.id}`, { person: adminA }), displayTokenSchema);
    expect(revoked).toMatchObject({ id: created.id, clinicId: clinicA.id });
    expect(revoked.revokedAt).not.toBeNull();
    const again = await api(nodeB, "DELETE", `/display-tokens/${created.id}`, { person: adminA });
    expect(again.status).toBe(200);
    expect(await readJson(again, displayTokenSchema)).toEqual(revoked);
    expect((await tokenRow(created.id))!.revoked_at).toEqual(new Date(revoked.revokedAt!));
    const relisted = await readJson(await api(nodeA, "GET", `/clinics/${clinicA.id}/display-tokens`, { person: adminA }), displayTokenListSchema);
    expect(relisted.items.find((item) => item.id === created.id)?.revokedAt).toBe(revoked.revokedAt);

    // Audit: one create, one revoke, with who and which clinic, and neither the token nor its hash.
    const { rows: audits } = await db.query<{ action: string; actor_id: string; clinic_id: string; before: unknown; after: unknown }>(
      "select action, actor_id, clinic_id, before, after from audit_event where entity_type = 'DisplayToken' and entity_id = $1 order by id",
      [created.id],
    );
    expect(audits.map((audit) => [audit.action, audit.actor_id, audit.clinic_id])).toEqual([
      ["display_token.create", adminA.user.id, clinicA.id],
      ["display_token.revoke", adminA.user.id, clinicA.id],
    ]);
    expect(audits[1]!.after).toMatchObject({ id: created.id, name: "Lobby TV", revokedAt: revoked.revokedAt });
    const auditText = JSON.stringify(audits);
    expect(auditText).not.toContain(secret);
    expect(auditText).not.toContain(row!.secret_hash);
  });

  it("lets the platform admin manage any clinic's tokens", async () => {
    const created = await createToken(clinicB.id, platformAdmin);
    const list = await readJson(await api(nodeA, "GET", `/clinics/${clinicB.id}/display-tokens`, { person: platformAdmin }), displayTokenListSchema);
    expect(list.items.map((item) => item.id)).toContain(created.id);
    const revoke = await api(nodeA, "DELETE", `/display-tokens/${created.id}`, { person: platformAdmin });
    expect(revoke.status).toBe(200);
    expect((await tokenRow(created.id))!.revoked_at).not.toBeNull();
  });

  it("refuses receptionists, doctors, patients and other clinics' admins (403) and anonymous callers (401), writing nothing", async () => {
    const target = await createToken(clinicA.id);
    const before = await counts();
    for (const person of [receptionA, doctorA, patient, adminB]) {
      const who = person.user.role;
      const create = await api(nodeA, "POST", `/clinics/${clinicA.id}/display-tokens`, { person, body: { name: "Sneaky" } });
      expect([who, create.status, (await readJson(create, problemSchema)).code]).toEqual([who, 403, "FORBIDDEN"]);
      const list = await api(nodeA, "GET", `/clinics/${clinicA.id}/display-tokens`, { person });
      expect([who, list.status]).toEqual([who, 403]);
      const revoke = await api(nodeB, "DELETE", `/display-tokens/${target.id}`, { person });
      expect([who, revoke.status, (await readJson(revoke, problemSchema)).code]).toEqual([who, 403, "FORBIDDEN"]);
    }
    for (const [method, path] of [
      ["POST", `/clinics/${clinicA.id}/display-tokens`],
      ["GET", `/clinics/${clinicA.id}/display-tokens`],
      ["DELETE", `/display-tokens/${target.id}`],
    ] as const) {
      const response = await api(nodeA, method, path, method === "POST" ? { body: { name: "Anon" } } : {});
      expect([method, path, response.status]).toEqual([method, path, 401]);
    }
    expect(await counts()).toEqual(before);
    expect((await tokenRow(target.id))!.revoked_at).toBeNull();

    // Unknown clinic or token: 404 (for someone who would otherwise be allowed).
    const unknown = randomUUID();
    expect((await api(nodeA, "POST", `/clinics/${unknown}/display-tokens`, { person: platformAdmin, body: { name: "Ghost" } })).status).toBe(404);
    const missing = await api(nodeA, "DELETE", `/display-tokens/${unknown}`, { person: adminA });
    expect([missing.status, (await readJson(missing, problemSchema)).code]).toEqual([404, "NOT_FOUND"]);
    expect(await counts()).toEqual(before);
  });

  it("rejects bad input with 400 problem+json naming the field, writing nothing", async () => {
    const before = await counts();
    const cases: [method: string, path: string, body: unknown, field: string][] = [
      ["POST", `/clinics/${clinicA.id}/display-tokens`, {}, "body.name"],
      ["POST", `/clinics/${clinicA.id}/display-tokens`, { name: "" }, "body.name"],
      ["POST", `/clinics/${clinicA.id}/display-tokens`, { name: "    " }, "body.name"],
      ["POST", `/clinics/${clinicA.id}/display-tokens`, { name: "x".repeat(101) }, "body.name"],
      ["POST", `/clinics/${clinicA.id}/display-tokens`, { name: 42 }, "body.name"],
      ["POST", `/clinics/${clinicA.id}/display-tokens`, { name: "Bell\u0007" }, "body.name"],
      ["POST", `/clinics/${clinicA.id}/display-tokens`, { name: "Lobby", token: "dsp_mine" }, "body.token"],
      ["POST", `/clinics/not-a-uuid/display-tokens`, { name: "Lobby" }, "params.clinicId"],
      ["GET", `/clinics/not-a-uuid/display-tokens`, undefined, "params.clinicId"],
      ["DELETE", `/display-tokens/not-a-uuid`, undefined, "params.id"],
    ];
    for (const [method, path, body, field] of cases) {
      const response = await api(nodeA, method, path, { person: adminA, body });
      expect([method, path, body, response.status]).toEqual([method, path, body, 400]);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      const problem = await readJson(response, problemSchema);
      expect([body, problem.code, problem.errors?.map((error) => error.field)]).toEqual([body, "VALIDATION_FAILED", [field]]);
    }
    const malformed = await api(nodeA, "POST", `/clinics/${clinicA.id}/display-tokens`, { person: adminA, body: "{name:" });
    expect([malformed.status, (await readJson(malformed, problemSchema)).code]).toEqual([400, "MALFORMED_BODY"]);
    expect(await counts()).toEqual(before);
    // The longest name allowed goes through (so the limit above is the limit).
    await createToken(clinicA.id, adminA, "x".repeat(100));
  });

  it("lets a display socket watch its clinic's display topic, with the snapshot and seq, and events after it", async () => {
    const { token, id } = await createToken(clinicA.id);
    const topic = `display:${clinicA.id}`;
    // Something was published on the topic before: the ack's seq must say so.
    await publishUnchecked(nodeA.runtime, topic, "test.earlier", {});
    const seqBefore = await seqOf(nodeA, topic);
    expect(seqBefore).toBeGreaterThan(0);

    const screen = await listen(nodeB, { displayToken: token });
    // Topics have one spelling: an upper-case id would join a room nobody publishes to.
    expect(await subscribe(screen.socket, topic.toUpperCase().replace("DISPLAY:", "display:"))).toMatchObject({ ok: false, code: "UNKNOWN_TOPIC" });
    const ack = await subscribe(screen.socket, topic);
    expect(ack).toMatchObject({ ok: true, topic, seq: seqBefore });
    const snapshot = (ack as { snapshot: unknown }).snapshot;
    expect(snapshot).toEqual({
      clinic: { id: clinicA.id, name: clinicA.name, timeZone: "Europe/London" },
      date: localDateOf(new Date(), "Europe/London"),
      checkInCode: expect.stringMatching(/^[0-9A-Z]{8}$/),
      nowServing: [],
      next: [],
      waitingCount: 0,
      asOf: expect.any(String),
    });
    expect(displaySnapshotSchema.parse(snapshot)).toEqual(snapshot);

    await publishUnchecked(nodeA.runtime, topic, "test.later", { n: 1 });
    await waitFor(() => screen.events.length === 1, 5_000);
    expect(screen.events[0]).toMatchObject({ topic, seq: seqBefore + 1, type: "test.later", data: { n: 1 } });

    // Connecting marked the token used.
    expect((await tokenRow(id))!.last_used_at).toBeInstanceOf(Date);
  });

  it("refuses a display socket every other topic: another clinic's display, clinic:, slots:, doctor:, me", async () => {
    const { token } = await createToken(clinicA.id);
    const screen = await listen(nodeA, { displayToken: token });
    const forbidden = { ok: false, code: "FORBIDDEN" };
    for (const topic of [
      `display:${clinicB.id}`,
      `display:${randomUUID()}`,
      `clinic:${clinicA.id}`,
      `slots:${doctorA.doctorId}`,
      `doctor:${doctorA.doctorId}`,
      "me",
      `me:${adminA.user.id}`,
    ]) {
      expect([topic, await subscribe(screen.socket, topic)]).toEqual([topic, expect.objectContaining(forbidden)]);
    }
    // Internal rooms are not topics.
    const internal = await subscribe(screen.socket, `display-token:${randomUUID()}`);
    expect(internal).toMatchObject({ ok: false, code: "UNKNOWN_TOPIC" });
    // And the screen still may watch its own (the refusals above were about the topics).
    expect(await subscribe(screen.socket, `display:${clinicA.id}`)).toMatchObject({ ok: true });
    // Refused topics deliver nothing.
    await publishUnchecked(nodeA.runtime, `clinic:${clinicA.id}`, "test.private", {});
    await publishUnchecked(nodeA.runtime, `display:${clinicB.id}`, "test.other", {});
    await pause(200);
    expect(screen.events).toEqual([]);
  });

  it("lets the clinic's staff and the platform admin watch the display topic, but not patients, doctors or other clinics' staff", async () => {
    const topic = `display:${clinicA.id}`;
    for (const person of [receptionA, adminA, platformAdmin]) {
      const { socket } = await listen(nodeA, { token: person.token });
      const ack = await subscribe(socket, topic);
      expect([person.user.role, ack]).toEqual([person.user.role, expect.objectContaining({ ok: true, topic })]);
      expect(displaySnapshotSchema.parse((ack as { snapshot: unknown }).snapshot).clinic.id).toBe(clinicA.id);
    }
    for (const person of [patient, doctorA, adminB]) {
      const { socket } = await listen(nodeB, { token: person.token });
      expect([person.user.role, await subscribe(socket, topic)]).toEqual([person.user.role, expect.objectContaining({ ok: false, code: "FORBIDDEN" })]);
    }
    // Platform admin, unknown clinic: refused rather than a broken snapshot.
    const { socket } = await listen(nodeA, { token: platformAdmin.token });
    expect(await subscribe(socket, `display:${randomUUID()}`)).toMatchObject({ ok: false, code: "FORBIDDEN" });
  });

  it("is not an access token: HTTP with it is 401 everywhere but its clinic's display feed, and `auth.token` with it is refused", async () => {
    const { token } = await createToken(clinicA.id);
    for (const path of ["/me", `/clinics/${clinicA.id}/display-tokens`, "/clinics", `/clinics/${clinicA.id}/queue`]) {
      const response = await api(nodeA, "GET", path, { headers: { authorization: `Bearer ${token}` } });
      expect([path, response.status, (await readJson(response, problemSchema)).code]).toEqual([path, 401, "UNAUTHENTICATED"]);
    }
    const create = await api(nodeA, "POST", `/clinics/${clinicA.id}/display-tokens`, { headers: { authorization: `Bearer ${token}` }, body: { name: "x" } });
    expect(create.status).toBe(401);
    // The same public route answers without a credential, so the 401 above was the token's doing.
    expect((await api(nodeA, "GET", "/clinics")).status).toBe(200);

    await expect(connected(open(nodeA, { token }))).rejects.toThrow("UNAUTHENTICATED");
    // Both credentials at once: refused, whichever is good.
    await expect(connected(open(nodeA, { displayToken: token, token: adminA.token }))).rejects.toThrow("UNAUTHENTICATED");
    await expect(connected(open(nodeA, { displayToken: token }))).resolves.toBeUndefined();
  });

  it("refuses malformed, unknown and forged display tokens in the handshake", async () => {
    const { token, id } = await createToken(clinicA.id);
    const secret = randomBytes(32).toString("base64url");
    const refused = [
      "",
      "garbage",
      42,
      token.slice(0, -1),
      `${token}x`,
      token.replace("dsp_", "dsx_"),
      `dsp_${randomUUID()}.${secret}`,
      `dsp_${id}.${secret}`,
    ];
    for (const displayToken of refused) {
      await expect(connected(open(nodeA, { displayToken })), String(displayToken)).rejects.toThrow("UNAUTHENTICATED");
    }
    await expect(connected(open(nodeA, { displayToken: token }))).resolves.toBeUndefined();
  });

  it("marks a token used at most once a minute", async () => {
    const { token, id } = await createToken(clinicA.id);
    await connected(open(nodeA, { displayToken: token }));
    const first = (await tokenRow(id))!.last_used_at;
    expect(first).toBeInstanceOf(Date);
    await pause(20);
    await connected(open(nodeB, { displayToken: token }));
    expect((await tokenRow(id))!.last_used_at).toEqual(first);
    await db.query("update display_token set last_used_at = now() - interval '2 minutes' where id = $1", [id]);
    const stale = (await tokenRow(id))!.last_used_at!;
    await connected(open(nodeB, { displayToken: token }));
    expect((await tokenRow(id))!.last_used_at!.getTime()).toBeGreaterThan(stale.getTime() + 60_000);
  });

  it("disconnects a revoked token's live sockets on every node, refuses it afterwards, and leaves other screens alone", async () => {
    const revokedToken = await createToken(clinicA.id);
    const keptToken = await createToken(clinicA.id);
    const onA = await listen(nodeA, { displayToken: revokedToken.token });
    const onB = await listen(nodeB, { displayToken: revokedToken.token });
    const kept = await listen(nodeB, { displayToken: keptToken.token });
    for (const client of [onA, onB, kept]) expect(await subscribe(client.socket, `display:${clinicA.id}`)).toMatchObject({ ok: true });
    // A screen cannot step out of its token's room to outlive a revocation.
    expect(await onB.socket.timeout(5_000).emitWithAck("unsubscribe", { topic: `display-token:${revokedToken.id}` })).toEqual({ ok: false });

    const reasons = Promise.all([disconnection(onA.socket), disconnection(onB.socket)]);
    const response = await api(nodeA, "DELETE", `/display-tokens/${revokedToken.id}`, { person: adminA });
    expect(response.status).toBe(200);
    expect(await within(reasons, 5_000, ["still connected"])).toEqual(["io server disconnect", "io server disconnect"]);

    await expect(connected(open(nodeA, { displayToken: revokedToken.token }))).rejects.toThrow("UNAUTHENTICATED");
    await expect(connected(open(nodeB, { displayToken: revokedToken.token }))).rejects.toThrow("UNAUTHENTICATED");
    await pause(150);
    expect(kept.socket.connected).toBe(true);
    await publishUnchecked(nodeA.runtime, `display:${clinicA.id}`, "test.after-revoke", {});
    await waitFor(() => kept.events.some((event) => event.type === "test.after-revoke"), 5_000);
    expect(onA.events.concat(onB.events).filter((event) => event.type === "test.after-revoke")).toEqual([]);
  });

  it("re-checks the token when a screen subscribes: a token revoked behind the gateway's back gets nothing", async () => {
    const { token, id } = await createToken(clinicA.id);
    const screen = await listen(nodeA, { displayToken: token });
    // Let the gateway's own post-connect look at the token pass first (it would disconnect the socket).
    await pause(300);
    // Revoked straight in the database, so no disconnection was sent: the subscription must still fail.
    await db.query("update display_token set revoked_at = now() where id = $1", [id]);
    expect(await subscribe(screen.socket, `display:${clinicA.id}`)).toMatchObject({ ok: false, code: "FORBIDDEN" });
  });

  it("drops a socket whose handshake read the token just before its revocation committed", async () => {
    const { token, id } = await createToken(clinicA.id);
    // Hold the token's row: the handshake reads it (still live), then waits to mark it used.
    const blocker = new pg.Client({ connectionString: environment.databaseUrl });
    await blocker.connect();
    try {
      await blocker.query("begin");
      await blocker.query("select id from display_token where id = $1 for update", [id]);
      const socket = open(nodeA, { displayToken: token });
      let wasConnected = false;
      socket.once("connect", () => (wasConnected = true));
      const outcome = new Promise<string>((resolve) => {
        socket.once("disconnect", (reason) => resolve(reason));
        socket.once("connect_error", (error) => resolve(`refused: ${error.message}`));
      });
      await waitFor(async () => {
        const { rows } = await db.query<{ n: number }>(
          "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like 'update display_token set last_used_at%'",
        );
        return rows[0]!.n > 0;
      }, 5_000);
      // Revoked behind the route's back (no disconnection is sent): only the gateway's second look can catch it.
      await blocker.query("update display_token set revoked_at = now() where id = $1", [id]);
      await blocker.query("commit");
      expect(await within(outcome, 5_000, "still connected")).toBe("io server disconnect");
      expect(wasConnected).toBe(true);
    } finally {
      await blocker.end();
    }
  });

  it("stops working when its clinic is deactivated", async () => {
    const clinic = await buildClinic(nodeA);
    const { token } = await createToken(clinic.id, platformAdmin);
    await expect(connected(open(nodeA, { displayToken: token }))).resolves.toBeUndefined();
    await db.query("update clinic set active = false where id = $1", [clinic.id]);
    await expect(connected(open(nodeA, { displayToken: token }))).rejects.toThrow("UNAUTHENTICATED");
  });
});
