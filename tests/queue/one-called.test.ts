/**
 * One called patient and one patient in the room per doctor (real PostgreSQL, through HTTP):
 * racing call-nexts call exactly one patient and the others get 409 ALREADY_CALLED naming it;
 * a second call waits for the called patient to be resolved; a called patient may be called while
 * another is in the room, but not started (409 ALREADY_IN_ROOM); an earlier day's called patient
 * blocks too and is named with its day; the partial unique indexes are the last guard, and the
 * migration that creates them first sends back what the old call-next piled up.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { describe, expect, it } from "vitest";
import { addDays, doctorBusyProblemSchema, localDateOf, queueEntryViewSchema, type QueueEntryView } from "@clinic/shared";
import { Migration20261207100000_queue_one_called } from "../../server/src/migrations/Migration20261207100000_queue_one_called";
import { useApp, waitFor } from "../support/harness";
import { buildAppointmentFromNow, buildDoctor, buildMiddayClinic, buildNamedPatient, buildPerson, buildQueueEntry, type TestPerson } from "../support/factories";
import { act, callNext, type Reply, staffCheckIn, startAndFinish } from "../support/api";
import { query } from "../support/db";

type Doctor = TestPerson & { doctorId: string };

describe("one called patient per doctor", () => {
  const app = useApp();

  /** A clinic, its doctor and receptionist, and `waiting` checked-in appointment patients of the doctor. */
  async function clinicWithWaiting(waiting: number) {
    const clinic = await buildMiddayClinic(app);
    const doctor = await buildDoctor(app, [clinic.id]);
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    const patients = await Promise.all(Array.from({ length: waiting }, () => buildNamedPatient(app)));
    for (const [i, patient] of patients.entries()) {
      const appointmentId = (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: patient.patientId, fromNowMinutes: i })).id;
      expect((await staffCheckIn(app, reception, clinic.id, appointmentId)).status).toBe(201);
    }
    return { clinic, doctor, reception, today: localDateOf(new Date(), clinic.timeZone) };
  }

  const calledOf = async (doctorId: string) =>
    (await query<{ id: string }>(app, `select id from queue_entry where doctor_id = ? and status = 'called'`, [doctorId])).map((row) => row.id);
  const inRoomOf = async (doctorId: string) =>
    (await query<{ id: string }>(app, `select id from queue_entry where doctor_id = ? and status = 'in_room'`, [doctorId])).map((row) => row.id);

  /** The reply is 409 `code` naming `holder` (id, ticket, day, version). */
  function expectNames(reply: Reply, code: "ALREADY_CALLED" | "ALREADY_IN_ROOM", holder: Pick<QueueEntryView, "id" | "ticket" | "serviceDay" | "version" | "clinicId">) {
    expect([reply.status, reply.body.code]).toEqual([409, code]);
    const problem = doctorBusyProblemSchema.parse(reply.body);
    expect(problem).toMatchObject({ entryId: holder.id, ticket: holder.ticket, serviceDay: holder.serviceDay, version: holder.version, clinicId: holder.clinicId });
    expect(problem.detail).toContain(holder.ticket);
  }

  for (const racers of [2, 8]) {
    it(`${racers} racing call-nexts, 20 rounds: each round calls exactly one patient, the others get 409 ALREADY_CALLED naming it`, async () => {
      const rounds = 20;
      // More patients wait than call at once, so a loser never finds the queue empty.
      const { doctor, reception } = await clinicWithWaiting(rounds + racers);
      const called = new Set<string>();
      for (let round = 0; round < rounds; round++) {
        // The doctor's screen and reception press at once.
        const replies = await Promise.all(Array.from({ length: racers }, (_, i) => callNext(app, i % 2 ? reception : doctor, doctor.doctorId)));
        const winners = replies.filter((reply) => reply.status === 200);
        expect(winners).toHaveLength(1);
        const entry = queueEntryViewSchema.parse(winners[0]!.body.entry);
        expect(entry).toMatchObject({ status: "called", doctorId: doctor.doctorId });
        for (const reply of replies.filter((r) => r !== winners[0])) expectNames(reply, "ALREADY_CALLED", entry);
        expect(await calledOf(doctor.doctorId)).toEqual([entry.id]);
        expect(called.has(entry.id)).toBe(false);
        called.add(entry.id);

        // Resolve it so the next round can call: seen (start, finish) or not come (no-show).
        if (round % 2 === 0) {
          await startAndFinish(app, doctor, entry);
        } else {
          expect((await act(app, doctor, entry.id, "no-show", { version: entry.version })).status).toBe(200);
        }
        expect(await calledOf(doctor.doctorId)).toEqual([]);
      }
      const outcomes = await query<{ status: string; n: number }>(
        app,
        `select status, count(*)::int as n from queue_entry where id = any(?::uuid[]) group by status order by status`,
        [`{${[...called].join(",")}}`],
      );
      expect(outcomes).toEqual([{ status: "done", n: rounds / 2 }, { status: "no_show", n: rounds / 2 }]);
    });
  }

  it("two calls racing for the last waiting patient: one calls them, the other gets 409 ALREADY_CALLED, never entry null (10 rounds)", async () => {
    const { clinic, doctor, reception, today } = await clinicWithWaiting(0);
    for (let round = 0; round < 10; round++) {
      const patient = await buildNamedPatient(app);
      await buildQueueEntry(app, { clinicId: clinic.id, serviceDay: today, doctorId: doctor.doctorId, patientId: patient.patientId, status: "waiting", arrivedAgo: 1 });
      const replies = await Promise.all([callNext(app, doctor, doctor.doctorId), callNext(app, reception, doctor.doctorId)]);
      const winner = replies.find((reply) => reply.status === 200)!;
      const entry = queueEntryViewSchema.parse(winner.body.entry);
      expectNames(replies.find((reply) => reply !== winner)!, "ALREADY_CALLED", entry);
      await startAndFinish(app, doctor, entry);
    }
    // With nobody left, a call answers entry null.
    expect((await callNext(app, doctor, doctor.doctorId)).body).toEqual({ entry: null });
  });

  it("audits the call in its transaction: the actor, and the entry before and after", async () => {
    const { clinic, doctor } = await clinicWithWaiting(1);
    const called = queueEntryViewSchema.parse((await callNext(app, doctor, doctor.doctorId, { room: "Room 9" })).body.entry);
    const audits = await query<{ actor_id: string; actor_role: string; clinic_id: string; entity_type: string; request_id: string | null; before: unknown; after: unknown }>(
      app,
      `select actor_id, actor_role, clinic_id, entity_type, request_id, before, after from audit_event where action = 'queue.call' and entity_id = ?`,
      [called.id],
    );
    const shape = { id: called.id, clinicId: clinic.id, patientId: called.patientId, appointmentId: called.appointmentId, slotId: called.slotId, kind: "appointment", ticket: called.ticket, reason: null, manualRank: null };
    expect(audits).toEqual([
      {
        actor_id: doctor.user.id,
        actor_role: "doctor",
        clinic_id: clinic.id,
        entity_type: "QueueEntry",
        request_id: expect.any(String),
        before: { ...shape, doctorId: doctor.doctorId, status: "waiting", room: null, version: called.version - 1 },
        after: { ...shape, doctorId: doctor.doctorId, status: "called", room: "Room 9", version: called.version },
      },
    ]);
  });

  it("a second call-next waits for the called patient; calling while someone is in the room works; a second start is 409 ALREADY_IN_ROOM", async () => {
    const { doctor, reception } = await clinicWithWaiting(3);
    const first = queueEntryViewSchema.parse((await callNext(app, doctor, doctor.doctorId, { room: "Room 3" })).body.entry);
    const again = await callNext(app, reception, doctor.doctorId);
    expectNames(again, "ALREADY_CALLED", first);
    expect(again.body.detail).toBe(`${first.ticket} is already called: start, send back or mark no-show first`);

    // In the room, the next patient may be called to wait at the door.
    const inRoom = await act(app, doctor, first.id, "start", { version: first.version });
    expect(inRoom.body).toMatchObject({ status: "in_room" });
    const next = await callNext(app, doctor, doctor.doctorId);
    expect(next.status).toBe(200);
    const second = queueEntryViewSchema.parse(next.body.entry);
    expect(second).toMatchObject({ status: "called", room: "Room 3" });
    expect([await inRoomOf(doctor.doctorId), await calledOf(doctor.doctorId)]).toEqual([[first.id], [second.id]]);

    const refused = await act(app, doctor, second.id, "start", { version: second.version });
    expectNames(refused, "ALREADY_IN_ROOM", inRoom.body as QueueEntryView);
    expect(refused.body.detail).toBe(`${first.ticket} is still in the room: finish or send back first`);
    // Nothing moved: the second patient is still called, at the same version.
    const [row] = await query<{ status: string; version: number }>(app, `select status, version from queue_entry where id = ?`, [second.id]);
    expect(row).toEqual({ status: "called", version: second.version });

    const finished = await act(app, doctor, first.id, "finish", { version: inRoom.body.version });
    expect(finished.body).toMatchObject({ status: "done" });
    expect((await act(app, doctor, second.id, "start", { version: second.version })).body).toMatchObject({ status: "in_room" });
    // Sending back from the room frees it too.
    const third = queueEntryViewSchema.parse((await callNext(app, doctor, doctor.doctorId)).body.entry);
    const [secondNow] = await query<{ version: number }>(app, `select version from queue_entry where id = ?`, [second.id]);
    expect((await act(app, doctor, second.id, "send-back", { version: secondNow!.version })).body).toMatchObject({ status: "waiting" });
    expect((await act(app, doctor, third.id, "start", { version: third.version })).body).toMatchObject({ status: "in_room" });
  });

  it("an earlier day's called patient blocks too and is named with its day; staff resolve it with the usual actions", async () => {
    const { clinic, doctor, reception, today } = await clinicWithWaiting(1);
    const patient = await buildNamedPatient(app);
    const yesterday = addDays(today, -1);
    const stale = await buildQueueEntry(app, { clinicId: clinic.id, serviceDay: yesterday, doctorId: doctor.doctorId, patientId: patient.patientId, status: "called", arrivedAgo: 24 * 60, calledAgo: 23 * 60 });

    const refused = await callNext(app, doctor, doctor.doctorId);
    expectNames(refused, "ALREADY_CALLED", { id: stale.id, ticket: stale.ticket, serviceDay: yesterday, version: 1, clinicId: clinic.id });
    expect(refused.body.detail).toBe(`${stale.ticket} of ${yesterday} is already called: start, send back or mark no-show first`);

    const noShow = await act(app, reception, stale.id, "no-show", { version: refused.body.version });
    expect(noShow.body).toMatchObject({ status: "no_show", serviceDay: yesterday });
    const called = await callNext(app, doctor, doctor.doctorId);
    expect([called.status, called.body.entry?.serviceDay]).toEqual([200, today]);
  });

  it("the unique index is the last guard: a call racing past the check is answered 409 ALREADY_CALLED naming the entry that holds the place", async () => {
    const { clinic, doctor, today } = await clinicWithWaiting(2);
    const patient = await buildNamedPatient(app);
    // Another writer (not call-next, so it takes no call lock) marks a patient called and keeps its
    // transaction open: call-next's check cannot see it, so only the index can stop the second call.
    const other = await buildQueueEntry(app, { clinicId: clinic.id, serviceDay: today, doctorId: doctor.doctorId, patientId: patient.patientId, status: "waiting", arrivedAgo: 1 });
    let pending: Promise<Reply> | undefined;
    await (app.runtime.orm.em.fork() as EntityManager).transactional(async (tx) => {
      await tx.execute(`update queue_entry set status = 'called', called_at = now(), version = version + 1 where id = ?`, [other.id]);
      pending = callNext(app, doctor, doctor.doctorId);
      // Commit only once call-next is blocked on the index entry this transaction holds (nothing
      // else in this file's database waits on a lock; the call's statement is too long for
      // pg_stat_activity to show the update in it).
      await waitFor(async () => {
        const [blocked] = await query<{ n: number }>(
          app,
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and wait_event = 'transactionid'`,
        );
        return blocked!.n > 0 || undefined;
      });
    });
    expectNames(await pending!, "ALREADY_CALLED", { id: other.id, ticket: other.ticket, serviceDay: today, version: 2, clinicId: clinic.id });
    expect(await calledOf(doctor.doctorId)).toEqual([other.id]);
  });

  it("the database refuses a second called or in-room entry of one doctor, whoever writes it", async () => {
    const { clinic, doctor, today } = await clinicWithWaiting(0);
    const [p1, p2, p3, p4] = await Promise.all(Array.from({ length: 4 }, () => buildNamedPatient(app)));
    const base = { clinicId: clinic.id, doctorId: doctor.doctorId, arrivedAgo: 10 };
    await buildQueueEntry(app, { ...base, serviceDay: today, patientId: p1!.patientId, status: "called", calledAgo: 5 });
    await buildQueueEntry(app, { ...base, serviceDay: today, patientId: p2!.patientId, status: "in_room", calledAgo: 9, startedAgo: 8 });
    const refusal = (spec: { status: "called" | "in_room"; patientId: string }) =>
      buildQueueEntry(app, { ...base, serviceDay: addDays(today, -3), calledAgo: 4, startedAgo: 4, ...spec }).then(
        () => null,
        (error: { code?: string; constraint?: string }) => [error.code, error.constraint],
      );
    expect(await refusal({ status: "called", patientId: p3!.patientId })).toEqual(["23505", "queue_entry_one_called_per_doctor"]);
    expect(await refusal({ status: "in_room", patientId: p4!.patientId })).toEqual(["23505", "queue_entry_one_in_room_per_doctor"]);
    // Another doctor is not affected.
    const other: Doctor = await buildDoctor(app, [clinic.id]);
    await buildQueueEntry(app, { ...base, doctorId: other.doctorId, serviceDay: today, patientId: p3!.patientId, status: "called", calledAgo: 1 });
    expect(await calledOf(other.doctorId)).toHaveLength(1);
  });

  it("the migration sends back what call-next used to pile up, keeping each doctor's most recent called and in-room patient", async () => {
    const { clinic, doctor, today } = await clinicWithWaiting(0);
    const patients = await Promise.all(Array.from({ length: 5 }, () => buildNamedPatient(app)));
    // As before the rule: no indexes, three called patients and two in the room (in consultation).
    await query(app, `drop index queue_entry_one_called_per_doctor`);
    await query(app, `drop index queue_entry_one_in_room_per_doctor`);
    const base = { clinicId: clinic.id, serviceDay: today, doctorId: doctor.doctorId, arrivedAgo: 90 };
    const called = [];
    for (const [i, calledAgo] of [30, 10, 20].entries()) called.push(await buildQueueEntry(app, { ...base, patientId: patients[i]!.patientId, status: "called", calledAgo }));
    const inRoom = [];
    for (const [i, startedAgo] of [50, 40].entries()) {
      const patientId = patients[3 + i]!.patientId;
      const appointmentId = (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId, fromNowMinutes: -startedAgo })).id;
      await query(app, `update appointment set status = 'in_consultation' where id = ?`, [appointmentId]);
      inRoom.push({ appointmentId, ...(await buildQueueEntry(app, { ...base, patientId, kind: "appointment", appointmentId, status: "in_room", calledAgo: startedAgo + 1, startedAgo })) });
    }

    const orm = app.runtime.orm;
    const migration = new Migration20261207100000_queue_one_called(orm.em.getDriver() as never, orm.config);
    await migration.up();
    for (const sql of migration.getQueries()) await query(app, sql as string);

    const rows = await query<{ id: string; status: string; called_at: Date | null; started_at: Date | null; version: number; appointment_status: string | null }>(
      app,
      `select q.id, q.status, q.called_at, q.started_at, q.version, a.status as appointment_status
         from queue_entry q left join appointment a on a.id = q.appointment_id where q.doctor_id = ?`,
      [doctor.doctorId],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    const sentBack = { status: "waiting", called_at: null, started_at: null, version: 2 };
    expect(byId.get(called[1]!.id)).toMatchObject({ status: "called", version: 1 });
    for (const entry of [called[0]!, called[2]!]) expect(byId.get(entry.id)).toMatchObject(sentBack);
    expect(byId.get(inRoom[1]!.id)).toMatchObject({ status: "in_room", version: 1, appointment_status: "in_consultation" });
    expect(byId.get(inRoom[0]!.id)).toMatchObject({ ...sentBack, appointment_status: "checked_in" });
    // The indexes are back: the rule holds from here on.
    expect((await query<{ indexname: string }>(app, `select indexname from pg_indexes where tablename = 'queue_entry' and indexname like 'queue_entry_one_%' order by 1`)).map((row) => row.indexname)).toEqual([
      "queue_entry_one_called_per_doctor",
      "queue_entry_one_in_room_per_doctor",
    ]);
  });
});
