/**
 * The waiting-room display feed (real PostgreSQL, Redis, Socket.IO): what reaches a display socket
 * is anonymised — the raw JSON of the snapshot and of every event carries no patient name, phone,
 * id or reason — the `display.called` event carries what a screen announces, and a display token
 * opens exactly one HTTP route (its own clinic's GET /display) and one topic.
 */
import { randomUUID } from "node:crypto";
import type { Socket } from "socket.io-client";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { displayCalledSchema, displaySnapshotSchema, type DisplaySnapshot, type EventEnvelope, type QueueEntryView, type SubscribeAck } from "@clinic/shared";
import { connected, connectSocket, useApp, waitFor } from "../support/harness";
import { buildAppointmentFromNow, buildDoctor, buildMiddayClinic, buildNamedPatient, buildPerson, buildSlotFromNow, type NamedPatient, type TestPerson } from "../support/factories";
import { act, call, callNext, staffCheckIn, walkIn } from "../support/api";
import { query } from "../support/db";

/** Waits for a `display.updated` whose feed passes `test`, and returns that feed. */
const feedWhere = (events: EventEnvelope[], test: (feed: DisplaySnapshot) => boolean) =>
  waitFor(() => events.map((e) => (e.type === "display.updated" ? displaySnapshotSchema.parse(e.data) : undefined)).find((feed) => feed && test(feed)));

describe("the display feed", () => {
  const app = useApp();
  let clinicId: string;
  let otherClinicId: string;
  let admin: TestPerson;
  let reception: TestPerson;
  let doctor: TestPerson & { doctorId: string };
  const sockets: Socket[] = [];

  beforeAll(async () => {
    clinicId = (await buildMiddayClinic(app)).id;
    otherClinicId = (await buildMiddayClinic(app)).id;
    admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinicId] });
    reception = await buildPerson(app, "receptionist", { clinicIds: [clinicId] });
    doctor = await buildDoctor(app, [clinicId]);
    await query(app, `update doctor set display_name = 'Dr Meera Sen' where id = ?`, [doctor.doctorId]);
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });

  const displayToken = async (forClinic = clinicId): Promise<string> => {
    const person = forClinic === clinicId ? admin : await buildPerson(app, "clinic_admin", { clinicIds: [forClinic] });
    const reply = await call(app, person, "POST", `/clinics/${forClinic}/display-tokens`, { name: "Lobby" });
    expect(reply.status).toBe(201);
    return reply.body.token as string;
  };
  const screen = async (token: string) => {
    const socket = connectSocket(app.url, { displayToken: token });
    sockets.push(socket);
    const raw: string[] = [];
    const events: EventEnvelope[] = [];
    socket.on("event", (envelope: EventEnvelope) => {
      raw.push(JSON.stringify(envelope));
      events.push(envelope);
    });
    await connected(socket);
    return { socket, raw, events };
  };
  const subscribe = (socket: Socket, topic: string) => socket.timeout(5_000).emitWithAck("subscribe", { topic }) as Promise<SubscribeAck>;

  /** Nothing identifying or clinical in a JSON text. */
  function expectAnonymous(json: string, patients: NamedPatient[], secrets: string[]) {
    for (const key of ["patientId", "patientName", "fullName", "full_name", "reason", "phone", "appointmentId", "patientUserId", "email"]) {
      expect([key, json.includes(`"${key}"`)]).toEqual([key, false]);
    }
    for (const patient of patients) {
      for (const secret of [patient.name, ...patient.name.split(" ").filter((w) => w.length > 2), patient.phone, patient.patientId, patient.user.id]) {
        expect([secret, json.includes(secret)]).toEqual([secret, false]);
      }
    }
    for (const secret of secrets) expect([secret, json.includes(secret)]).toEqual([secret, false]);
  }

  it("sends a display socket only the anonymised feed: snapshot and every event, with the called announcement", async () => {
    await buildSlotFromNow(app, { doctorId: doctor.doctorId, clinicId, fromNowMinutes: 20, kind: "walk_in" });
    const token = await displayToken();
    const { socket, raw, events } = await screen(token);
    const ack = await subscribe(socket, `display:${clinicId}`);
    expect(ack.ok).toBe(true);

    const anna = await buildNamedPatient(app, "Annabel Rosewater");
    const bob = await buildNamedPatient(app, "Bartholomew Kingsley-Underwood");
    const appointmentId = (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId, patientId: anna.patientId, fromNowMinutes: 0 })).id;
    const checkedIn = await staffCheckIn(app, reception, clinicId, appointmentId);
    expect(checkedIn.status).toBe(201);
    await query(app, `update queue_entry set expected_at = now() + interval '25 minutes' where id = ?`, [checkedIn.body.id]);
    const emergency = await walkIn(app, reception, clinicId, { patientId: bob.patientId, kind: "emergency", reason: "Suspected appendicitis" });
    const quick = await walkIn(app, reception, clinicId, { newPatient: { name: "Cordelia Vantablack", phone: "+447700966601" }, doctorId: doctor.doctorId });
    expect([emergency.status, quick.status]).toEqual([201, 201]);
    const [quickUser] = await query<{ id: string; password_hash: string; role: string }>(app, `select id, password_hash, role from user_account where phone = '+447700966601'`);
    expect(quickUser!.role).toBe("patient");
    expect((await call(app, null, "POST", "/auth/login", { phone: "+447700966601", password: "!quick-record" })).status).toBe(401);
    const cordelia: NamedPatient = { ...anna, name: "Cordelia Vantablack", phone: "+447700966601", patientId: quick.body.patientId, user: { ...anna.user, id: quickUser!.id } };

    const called = (await callNext(app, doctor, doctor.doctorId, { room: "Room 7" })).body.entry as QueueEntryView;
    expect(called.id).toBe(emergency.body.id);
    // A watching screen sees each change within the debounce (changes closer together than it
    // arrive in one feed): the call is announced, then in the feed…
    const feed = await feedWhere(events, (f) => f.nowServing.length === 1);
    const started = await act(app, doctor, called.id, "start", { version: called.version });
    await act(app, doctor, called.id, "finish", { version: started.body.version });
    // …and the finished visit leaves it.
    await feedWhere(events, (f) => f.nowServing.length === 0 && f.waitingCount === 2);
    const announce = events.find((e) => e.type === "display.called")!;
    expect(displayCalledSchema.parse(announce.data)).toEqual({ ticket: "E-001", maskedName: "B. K.", room: "Room 7", doctorName: "Dr Meera Sen", calledAt: called.calledAt });
    expect(events.filter((e) => e.type === "display.called")).toHaveLength(1);
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(["display.updated", "display.called"]));
    expect(feed.nowServing).toEqual([{ ticket: "E-001", maskedName: "B. K.", room: "Room 7", doctorName: "Dr Meera Sen", status: "called", estimatedWaitMinutes: null, expectedAt: null }]);
    const waiting = feed.next.find((t) => t.ticket === "A-001")!;
    expect(waiting).toMatchObject({ maskedName: "A. R.", doctorName: "Dr Meera Sen", status: "waiting" });
    expect(waiting.estimatedWaitMinutes).toBeGreaterThanOrEqual(23);
    expect(waiting.estimatedWaitMinutes).toBeLessThanOrEqual(25);
    expect(feed.next.find((t) => t.ticket === "W-001")).toMatchObject({ maskedName: "C. V.", estimatedWaitMinutes: null });

    // The raw JSON of the snapshot, of every event, and of the REST feed.
    const viaHttp = await fetch(`${app.url}/api/v1/clinics/${clinicId}/display`, { headers: { authorization: `Bearer ${token}` } });
    expect(viaHttp.status).toBe(200);
    const httpJson = await viaHttp.text();
    const fromHttp = displaySnapshotSchema.parse(JSON.parse(httpJson));
    expect(fromHttp.waitingCount).toBe(2);
    // Each feed is dated by the database read: successive changes give rising `asOf`, and a screen
    // that keeps the newest would drop a feed overtaken on the way.
    const updates = events.filter((e) => e.type === "display.updated").map((e) => (e.data as { asOf: string }).asOf);
    expect([...updates].sort()).toEqual(updates);
    expect(new Set(updates).size).toBe(updates.length);
    expect(fromHttp.asOf > updates[updates.length - 1]!).toBe(true);
    const resubscribed = await subscribe(socket, `display:${clinicId}`);
    for (const json of [JSON.stringify(ack), JSON.stringify(resubscribed), httpJson, ...raw]) {
      expectAnonymous(json, [anna, bob, cordelia], ["Suspected appendicitis", emergency.body.id, checkedIn.body.id, appointmentId]);
    }
    // The announcement and at least the two feeds awaited above.
    expect(raw.length).toBeGreaterThanOrEqual(3);
  });

  it("shows the first 20 waiting and the 10 most recently called of a long queue, and counts every waiting ticket", async () => {
    const clinic = await buildMiddayClinic(app);
    const staff = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    const patient = await buildNamedPatient(app);
    const today = (await query<{ today: string }>(app, `select (now() at time zone time_zone)::date::text as today from clinic where id = ?`, [clinic.id]))[0]!.today;
    // 25 waiting (arrived a minute apart, W-001 first) and 12 called (C-001 called longest ago).
    await query(
      app,
      `insert into queue_entry (id, clinic_id, patient_id, kind, service_day, ticket, status, arrived_at, called_at, version, created_at, updated_at)
       select gen_random_uuid(), ?::uuid, ?::uuid, 'walk_in', ?::date, 'W-' || lpad(n::text, 3, '0'), 'waiting', now() - make_interval(mins => 100 - n), null, 1, now(), now()
         from generate_series(1, 25) n
       union all
       select gen_random_uuid(), ?::uuid, ?::uuid, 'walk_in', ?::date, 'C-' || lpad(n::text, 3, '0'), 'called', now() - interval '200 minutes', now() - make_interval(mins => 50 - n), 1, now(), now()
         from generate_series(1, 12) n`,
      [clinic.id, patient.patientId, today, clinic.id, patient.patientId, today],
    );
    const feed = displaySnapshotSchema.parse((await call(app, staff, "GET", `/clinics/${clinic.id}/display`)).body);
    expect(feed.waitingCount).toBe(25);
    expect(feed.next.map((t) => t.ticket)).toEqual(Array.from({ length: 20 }, (_, i) => `W-${String(i + 1).padStart(3, "0")}`));
    expect(feed.nowServing.map((t) => t.ticket)).toEqual(Array.from({ length: 10 }, (_, i) => `C-${String(12 - i).padStart(3, "0")}`));
  });

  it("lets a display token subscribe to its clinic's display only, and call no API but its clinic's GET /display", async () => {
    const token = await displayToken();
    const otherToken = await displayToken(otherClinicId);
    const { socket } = await screen(token);
    const patient = await buildNamedPatient(app);
    for (const topic of [`clinic:${clinicId}`, `doctor:${doctor.doctorId}`, `slots:${doctor.doctorId}`, "me", `me:${patient.user.id}`, `display:${otherClinicId}`]) {
      const ack = await subscribe(socket, topic);
      expect([topic, ack.ok, (ack as { code?: string }).code]).toEqual([topic, false, "FORBIDDEN"]);
    }
    expect((await subscribe(socket, `display-token:${randomUUID()}`)).ok).toBe(false);

    const get = (path: string, bearer: string, method = "GET") =>
      fetch(`${app.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${bearer}`, ...(method === "POST" ? { "content-type": "application/json" } : {}) }, body: method === "POST" ? "{}" : undefined });
    expect((await get(`/clinics/${clinicId}/display`, token)).status).toBe(200);
    expect((await get(`/clinics/${otherClinicId}/display`, token)).status).toBe(403);
    expect((await get(`/clinics/${otherClinicId}/display`, otherToken)).status).toBe(200);
    for (const [method, path] of [
      ["GET", `/clinics/${clinicId}/queue`],
      ["GET", `/doctors/${doctor.doctorId}/queue`],
      ["POST", `/doctors/${doctor.doctorId}/queue/call-next`],
      ["POST", `/clinics/${clinicId}/queue/walk-ins`],
      ["GET", "/me"],
      ["GET", `/clinics/${clinicId}/display-tokens`],
    ] as const) {
      expect([method, path, (await get(path, token, method)).status]).toEqual([method, path, 401]);
    }
    // A forged or revoked token is refused on the display route too.
    expect((await get(`/clinics/${clinicId}/display`, `${token.slice(0, -4)}AAAA`)).status).toBe(401);
    const tokenId = /^dsp_([0-9a-f-]{36})\./.exec(token)![1]!;
    expect((await call(app, admin, "DELETE", `/display-tokens/${tokenId}`)).status).toBe(200);
    expect((await get(`/clinics/${clinicId}/display`, token)).status).toBe(401);

    // People: the clinic's staff may preview it; a patient or a doctor may not; anonymous is 401.
    expect((await call(app, reception, "GET", `/clinics/${clinicId}/display`)).status).toBe(200);
    expect((await call(app, patient, "GET", `/clinics/${clinicId}/display`)).status).toBe(403);
    expect((await call(app, doctor, "GET", `/clinics/${clinicId}/display`)).status).toBe(403);
    expect((await call(app, null, "GET", `/clinics/${clinicId}/display`)).status).toBe(401);
  });
});
