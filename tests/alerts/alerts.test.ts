/**
 * Admin alerts, checked by the `cancellation-alerts` job on a real worker runtime after the commit
 * that cancelled appointments: (a) a doctor's leave that empties a whole local day, (b) a doctor
 * cancelling more than the clinic's `alertCancellationsPerHour` within an hour. Each reaches the
 * clinic's admins (and nobody else) once.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { notificationChannels } from "@clinic/shared";
import { CANCELLATION_ALERTS_JOB, type AlertOutcome } from "../../server/src/modules/alerts/cancellation-alerts";
import { useApiAndWorker, waitFor } from "../support/harness";
import { buildAppointment, buildClinic, buildDoctor, buildPatient, buildPerson, buildSlots, type TestPerson } from "../support/factories";
import { call } from "../support/api";
import { count, query } from "../support/db";
import { at, dayFromNow } from "../support/dates";
import { addDays } from "@clinic/shared";

interface AlertRow {
  id: string;
  user_id: string;
  template: string;
  channel: string;
  status: string;
  payload: Record<string, string>;
}

describe("admin alerts", () => {
  // The worker node runs the jobs; the test drives the api node.
  const { api } = useApiAndWorker({ RATE_LIMIT_MAX: "100000", LOG_LEVEL: "error", LIFECYCLE_EVERY_SECONDS: "3600" });
  let clinicId: string;
  let admins: TestPerson[];
  let reception: TestPerson;
  beforeAll(async () => {
    clinicId = (await buildClinic(api)).id;
    const elsewhere = (await buildClinic(api)).id;
    admins = [await buildPerson(api, "clinic_admin", { clinicIds: [clinicId] }), await buildPerson(api, "clinic_admin", { clinicIds: [clinicId] })];
    reception = await buildPerson(api, "receptionist", { clinicIds: [clinicId] });
    // People who must not hear about it: another clinic's admin, the platform admin.
    await buildPerson(api, "clinic_admin", { clinicIds: [elsewhere] });
    await buildPerson(api, "platform_admin");
  });

  const alerts = (template: string) =>
    query<AlertRow>(api, `select id, user_id, template, channel, status, payload from notification_outbox where template = ? order by user_id, channel`, [template]);
  const adminIds = () => admins.map((admin) => admin.user.id).sort();

  async function finished(jobId: string): Promise<AlertOutcome> {
    const queue = api.runtime.queues.get("booking");
    const job = await waitFor(() => queue.getJob(jobId));
    expect(job.name).toBe(CANCELLATION_ALERTS_JOB);
    await waitFor(async () => ((await job.getState()) === "completed" ? true : undefined), 20_000);
    return (await queue.getJob(jobId))!.returnvalue as AlertOutcome;
  }

  /** `count` scheduled appointments of a doctor on `date` from `from`, one patient each. */
  async function booked(doctorId: string, date: string, from: string, n: number) {
    const slots = await buildSlots(api, { doctorId, clinicId, date, from, count: n, minutes: 20, status: "booked" });
    return Promise.all(slots.map(async (slot) => buildAppointment(api, { slot, patientId: (await buildPatient(api)).patientId, status: "scheduled" })));
  }

  it("(a) a doctor's leave emptying a whole day alerts every clinic admin once, with the doctor, count and reason", async () => {
    const doctor = await buildDoctor(api, [clinicId]);
    const day = dayFromNow(5);
    await booked(doctor.doctorId, day, "09:00", 3);
    const leave = await call(api, doctor, "POST", `/doctors/${doctor.doctorId}/unavailability`, {
      kind: "emergency_leave",
      startsAt: at(day, "00:00").toISOString(),
      endsAt: at(addDays(day, 1), "00:00").toISOString(),
      reason: "Family emergency",
      autoCancel: true,
    });
    expect(leave.status, JSON.stringify(leave.body)).toBe(201);
    const cancelled = [...(leave.body.cancelledAppointmentIds as string[])].sort();
    expect(cancelled).toHaveLength(3);

    const outcome = await finished(`cancel-alert-${cancelled[0]}`);
    expect(outcome).toMatchObject({ leaveDays: 1, spree: false });
    const rows = await alerts("alert.leave-day");
    expect([...new Set(rows.map((row) => row.user_id))].sort()).toEqual(adminIds());
    expect(rows).toHaveLength(admins.length * notificationChannels.length);
    const inApp = rows.filter((row) => row.channel === "in_app");
    // Queued for delivery, which the worker running here performs: the in-app alerts reach the inboxes.
    for (const row of inApp) {
      await waitFor(async () => (await query<{ status: string }>(api, `select status from notification_outbox where id = ?`, [row.id]))[0]?.status === "delivered" || undefined);
    }
    expect(inApp[0]!.payload).toMatchObject({ doctor: doctor.user.displayName, count: "3", reason: "Family emergency" });
    expect(inApp[0]!.payload.date).toMatch(/\d{4}$/);

    // The same check again (a retry, a second writer's hook) writes nothing new.
    const again = await api.runtime.queues.get("booking").add(CANCELLATION_ALERTS_JOB, { doctorId: doctor.doctorId, clinicId, appointmentIds: cancelled }, { jobId: `again-${cancelled[0]}` });
    expect(await finished(again.id!)).toMatchObject({ leaveDays: 1, messages: 0 });
    expect(await alerts("alert.leave-day")).toHaveLength(rows.length);

    // Leave covering part of a day cancels, but alerts nobody.
    const other = dayFromNow(6);
    await booked(doctor.doctorId, other, "10:00", 1);
    const partial = await call(api, doctor, "POST", `/doctors/${doctor.doctorId}/unavailability`, {
      kind: "conference",
      startsAt: at(other, "09:00").toISOString(),
      endsAt: at(other, "13:00").toISOString(),
      reason: "Morning talk",
      autoCancel: true,
    });
    expect(partial.body.cancelledAppointmentIds).toHaveLength(1);
    expect(await finished(`cancel-alert-${partial.body.cancelledAppointmentIds[0]}`)).toMatchObject({ leaveDays: 0, spree: false, messages: 0 });
    expect(await alerts("alert.leave-day")).toHaveLength(rows.length);
  });

  it("(b) a doctor cancelling more than alertCancellationsPerHour within an hour alerts the clinic admins once", async () => {
    await query(api, `update clinic set settings = ? where id = ?`, [JSON.stringify({ alertCancellationsPerHour: 2 }), clinicId]);
    const doctor = await buildDoctor(api, [clinicId]);
    const visits = await booked(doctor.doctorId, dayFromNow(8), "09:00", 4);
    const cancel = async (who: TestPerson, id: string, reason: string) => {
      const reply = await call(api, who, "POST", `/appointments/${id}/cancel`, { reason });
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      return finished(`cancel-alert-${id}`);
    };
    // Reception's cancellation is not the doctor's.
    expect(await cancel(reception, visits[0]!.id, "Patient asked")).toMatchObject({ spree: false });
    expect(await cancel(doctor, visits[1]!.id, "Running late")).toMatchObject({ spree: false });
    expect(await cancel(doctor, visits[2]!.id, "Running late")).toMatchObject({ spree: false });
    expect(await alerts("alert.cancellations")).toHaveLength(0);

    expect(await cancel(doctor, visits[3]!.id, "Called away")).toMatchObject({ spree: true });
    const rows = await alerts("alert.cancellations");
    expect([...new Set(rows.map((row) => row.user_id))].sort()).toEqual(adminIds());
    const inApp = rows.filter((row) => row.channel === "in_app");
    expect(inApp).toHaveLength(2);
    expect(inApp[0]!.payload).toMatchObject({ doctor: doctor.user.displayName, count: "3" });
    expect(inApp[0]!.payload.reason).toContain("Called away");
    expect(inApp[0]!.payload.reason).toContain("Running late");

    const again = await api.runtime.queues
      .get("booking")
      .add(CANCELLATION_ALERTS_JOB, { doctorId: doctor.doctorId, clinicId, appointmentIds: [visits[3]!.id] }, { jobId: `again-${visits[3]!.id}` });
    expect(await finished(again.id!)).toMatchObject({ spree: true, messages: 0 });
    expect(await alerts("alert.cancellations")).toHaveLength(rows.length);
    // Nobody but the two admins ever got an alert.
    expect(await count(api, `select count(distinct user_id) n from notification_outbox where template like 'alert.%'`)).toBe(2);
  });
});
