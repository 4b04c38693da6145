/**
 * Reviews and ratings against real PostgreSQL and Redis: one review per completed appointment of
 * one's own, the doctor's rating exact under concurrent reviews, hide/unhide (audited), replies.
 */
import { describe, expect, it } from "vitest";
import { useApp } from "../support/harness";
import { buildClinicWithDoctor, buildPastAppointment, buildPerson } from "../support/factories";
import { call } from "../support/api";
import { count, query } from "../support/db";
import { ratingOf } from "./support";

describe("reviews and ratings", () => {
  const app = useApp({ LOG_LEVEL: "error" });

  it("a patient reviews their own completed appointment once; other states and other people are refused", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    const spec = { doctorId: doctor.doctorId, clinicId };
    const { patient, appointmentId } = await buildPastAppointment(app, spec);

    const bad = await call(app, patient, "POST", `/appointments/${appointmentId}/review`, { stars: 6, text: "x".repeat(2001) });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(["body.stars", "body.text"]);

    const created = await call(app, patient, "POST", `/appointments/${appointmentId}/review`, { stars: 4, text: "  Kind and thorough  " });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ appointmentId, doctorId: doctor.doctorId, stars: 4, text: "Kind and thorough", reply: null, hiddenAt: null });
    expect(await ratingOf(app, doctor.doctorId)).toEqual({ average: 4, count: 1 });
    expect(await count(app, `select count(*) as n from audit_event where action = 'review.create' and entity_id = ?`, [created.body.id])).toBe(1);
    expect((await call(app, patient, "GET", `/appointments/${appointmentId}/review`)).body.id).toBe(created.body.id);

    const again = await call(app, patient, "POST", `/appointments/${appointmentId}/review`, { stars: 1 });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("REVIEW_EXISTS");
    expect(await ratingOf(app, doctor.doctorId)).toEqual({ average: 4, count: 1 });

    for (const status of ["pending", "scheduled", "cancelled", "no_show"]) {
      const other = await buildPastAppointment(app, { ...spec, status, patient });
      const refused = await call(app, patient, "POST", `/appointments/${other.appointmentId}/review`, { stars: 5 });
      expect([status, refused.status, refused.body.code, refused.body.field]).toEqual([status, 409, "APPOINTMENT_NOT_COMPLETED", "appointmentId"]);
    }

    const someoneElses = await buildPastAppointment(app, spec);
    const stranger = await call(app, patient, "POST", `/appointments/${someoneElses.appointmentId}/review`, { stars: 1 });
    expect(stranger.status).toBe(404);
    const byDoctor = await call(app, doctor, "POST", `/appointments/${someoneElses.appointmentId}/review`, { stars: 5 });
    expect(byDoctor.status).toBe(404);
    const missing = await call(app, patient, "POST", `/appointments/00000000-0000-4000-8000-000000000000/review`, { stars: 5 });
    expect(missing.status).toBe(404);
    expect(await count(app, `select count(*) as n from review where doctor_id = ?`, [doctor.doctorId])).toBe(1);
  });

  it("keeps the rating exact when 20 patients review one doctor at once", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    const visits = [];
    for (let i = 0; i < 20; i++) visits.push(await buildPastAppointment(app, { doctorId: doctor.doctorId, clinicId }));
    const stars = visits.map((_, i) => ((i * 7) % 5) + 1);
    stars[0] = 2; // an uneven mix, so the mean is not a round number
    const replies = await Promise.all(
      visits.map((visit, i) => call(app, visit.patient, "POST", `/appointments/${visit.appointmentId}/review`, { stars: stars[i], text: `visit ${i}` })),
    );
    expect(replies.map((reply) => reply.status)).toEqual(visits.map(() => 201));
    const mean = stars.reduce((sum, n) => sum + n, 0) / stars.length;
    expect(await ratingOf(app, doctor.doctorId)).toEqual({ average: mean, count: 20 });
    const page = await call(app, null, "GET", `/doctors/${doctor.doctorId}/reviews?limit=100`);
    expect(page.body).toMatchObject({ ratingAverage: mean, ratingCount: 20 });
    expect(page.body.items).toHaveLength(20);
    const profile = await call(app, null, "GET", `/doctors/${doctor.doctorId}`);
    expect(profile.body).toMatchObject({ ratingAverage: mean, ratingCount: 20 });
  });

  it("a double submit of one review gives one 201 and one 409, and counts once", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    const { patient, appointmentId } = await buildPastAppointment(app, { doctorId: doctor.doctorId, clinicId });
    const replies = await Promise.all([5, 1].map((stars) => call(app, patient, "POST", `/appointments/${appointmentId}/review`, { stars })));
    expect(replies.map((reply) => reply.status).sort()).toEqual([201, 409]);
    const kept = replies.find((reply) => reply.status === 201)!.body.stars as number;
    expect(await ratingOf(app, doctor.doctorId)).toEqual({ average: kept, count: 1 });
  });

  it("lists visible reviews newest first, paginated, with the reviewer as first name + initial", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    const ids: string[] = [];
    for (const [i, fullName] of ["Alice Mary Brown", "bob", "Chloé Zoë Östberg"].entries()) {
      const visit = await buildPastAppointment(app, { doctorId: doctor.doctorId, clinicId, fullName });
      ids.push((await call(app, visit.patient, "POST", `/appointments/${visit.appointmentId}/review`, { stars: i + 3 })).body.id);
    }
    const first = await call(app, null, "GET", `/doctors/${doctor.doctorId}/reviews?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items.map((item: { id: string }) => item.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.items.map((item: { reviewer: string }) => item.reviewer)).toEqual(["Chloé Ö.", "bob"]);
    expect(first.body.items[0]).not.toHaveProperty("appointmentId");
    const second = await call(app, null, "GET", `/doctors/${doctor.doctorId}/reviews?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((item: { reviewer: string }) => item.reviewer)).toEqual(["Alice B."]);
    expect(second.body.nextCursor).toBeNull();
    const anonymousHidden = await call(app, null, "GET", `/doctors/${doctor.doctorId}/reviews?includeHidden=true`);
    expect(anonymousHidden.status).toBe(403);
  });

  it("clinic admins hide and unhide a review: the rating is recomputed, audited, and the public list follows", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    const admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinicId] });
    const otherClinic = await buildClinicWithDoctor(app);
    const otherAdmin = await buildPerson(app, "clinic_admin", { clinicIds: [otherClinic.clinicId] });
    const ids: string[] = [];
    for (const stars of [5, 4, 1]) {
      const visit = await buildPastAppointment(app, { doctorId: doctor.doctorId, clinicId });
      ids.push((await call(app, visit.patient, "POST", `/appointments/${visit.appointmentId}/review`, { stars })).body.id);
    }
    expect(await ratingOf(app, doctor.doctorId)).toEqual({ average: 10 / 3, count: 3 });
    const abusive = ids[2]!;

    expect((await call(app, otherAdmin, "POST", `/reviews/${abusive}/hide`, { reason: "abuse" })).status).toBe(403);
    expect((await call(app, doctor, "POST", `/reviews/${abusive}/hide`, { reason: "abuse" })).status).toBe(403);
    expect((await call(app, admin, "POST", `/reviews/${abusive}/hide`, {})).body.errors[0].field).toBe("body.reason");

    const hidden = await call(app, admin, "POST", `/reviews/${abusive}/hide`, { reason: "Insults staff" });
    expect(hidden.status).toBe(200);
    expect(hidden.body).toMatchObject({ hiddenReason: "Insults staff" });
    expect(hidden.body.hiddenAt).not.toBeNull();
    expect(await ratingOf(app, doctor.doctorId)).toEqual({ average: 4.5, count: 2 });
    const [audit] = await query<{ actor_id: string; clinic_id: string; after: { hiddenReason: string; ratingAverage: number; ratingCount: number } }>(
      app,
      `select actor_id, clinic_id, after from audit_event where action = 'review.hide' and entity_id = ?`,
      [abusive],
    );
    expect(audit).toMatchObject({ actor_id: admin.user.id, clinic_id: clinicId, after: { hiddenReason: "Insults staff", ratingAverage: 4.5, ratingCount: 2 } });
    const publicPage = await call(app, null, "GET", `/doctors/${doctor.doctorId}/reviews`);
    expect(publicPage.body.items.map((item: { id: string }) => item.id)).toEqual([ids[1], ids[0]]);
    expect(publicPage.body).toMatchObject({ ratingAverage: 4.5, ratingCount: 2 });
    const moderated = await call(app, admin, "GET", `/doctors/${doctor.doctorId}/reviews?includeHidden=true`);
    expect(moderated.body.items.map((item: { id: string; hiddenReason: string | null }) => [item.id, item.hiddenReason])).toEqual([
      [abusive, "Insults staff"],
      [ids[1], null],
      [ids[0], null],
    ]);

    expect((await call(app, admin, "POST", `/reviews/${abusive}/hide`, { reason: "again" })).body.code).toBe("REVIEW_HIDDEN");
    const platform = await buildPerson(app, "platform_admin");
    const shown = await call(app, platform, "POST", `/reviews/${abusive}/unhide`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ hiddenAt: null, hiddenReason: null });
    expect(await ratingOf(app, doctor.doctorId)).toEqual({ average: 10 / 3, count: 3 });
    expect(await count(app, `select count(*) as n from audit_event where action = 'review.unhide' and entity_id = ?`, [abusive])).toBe(1);
    expect((await call(app, platform, "POST", `/reviews/${abusive}/unhide`)).body.code).toBe("REVIEW_NOT_HIDDEN");
  });

  it("the reviewed doctor replies once and may edit the reply", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    const other = await buildClinicWithDoctor(app);
    const visit = await buildPastAppointment(app, { doctorId: doctor.doctorId, clinicId });
    const review = (await call(app, visit.patient, "POST", `/appointments/${visit.appointmentId}/review`, { stars: 3 })).body;

    expect((await call(app, other.doctor, "POST", `/reviews/${review.id}/reply`, { text: "Thanks" })).status).toBe(403);
    expect((await call(app, visit.patient, "POST", `/reviews/${review.id}/reply`, { text: "Thanks" })).status).toBe(403);
    expect((await call(app, doctor, "PUT", `/reviews/${review.id}/reply`, { text: "Edit" })).body.code).toBe("NO_REPLY");
    expect((await call(app, doctor, "POST", `/reviews/${review.id}/reply`, { text: "  " })).body.errors[0].field).toBe("body.text");

    const replied = await call(app, doctor, "POST", `/reviews/${review.id}/reply`, { text: "Thank you for the feedback" });
    expect(replied.status).toBe(201);
    expect(replied.body.reply.text).toBe("Thank you for the feedback");
    const twice = await call(app, doctor, "POST", `/reviews/${review.id}/reply`, { text: "Again" });
    expect([twice.status, twice.body.code]).toEqual([409, "REPLY_EXISTS"]);
    const edited = await call(app, doctor, "PUT", `/reviews/${review.id}/reply`, { text: "Thank you, we have fixed the wait" });
    expect(edited.status).toBe(200);
    const page = await call(app, null, "GET", `/doctors/${doctor.doctorId}/reviews`);
    expect(page.body.items[0].reply.text).toBe("Thank you, we have fixed the wait");
    expect(await count(app, `select count(*) as n from audit_event where action like 'review.reply%' and entity_id = ?`, [review.id])).toBe(2);
    expect(await ratingOf(app, doctor.doctorId)).toEqual({ average: 3, count: 1 });
  });
});
