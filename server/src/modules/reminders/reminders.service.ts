/**
 * Appointment reminders: planned after every committed booking change as delayed jobs on the
 * `reminders` queue (jobId `reminder-{appointmentId}-{kind}`), sent by the worker through notify().
 * Planning is best-effort and the sender re-checks the appointment, so a job that outlived its
 * appointment's time or status does nothing.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import { dispatchMessages, notify, readPreferences } from "../notifications";
import { pgArray, type Snapshot } from "../booking";
import { formatWhen } from "@clinic/shared";
import { planReminders, reminderKinds, type ReminderKind } from "./reminder-plan";

export const REMINDER_JOB = "appointment-reminder";
export const REMINDER_TEMPLATE = "reminders.appointment";

export interface ReminderData {
  appointmentId: string;
  kind: ReminderKind;
  /** The start the reminder was planned for (ISO); a different start now means the job is stale. */
  startsAt: string;
}

export const reminderJobId = (appointmentId: string, kind: ReminderKind) => `reminder-${appointmentId}-${kind}`;

/**
 * After commit: for each changed appointment, drop its reminder jobs, and if it is scheduled add the
 * ones still ahead. Reads the appointments afresh so that, whatever order after-commit steps run in,
 * the last one plans from the latest committed state. A pending hold never had reminders (scheduled
 * never goes back to pending), so holds cost nothing here.
 */
export async function planAppointmentReminders(ctx: Pick<ModuleContext, "orm" | "queues">, snapshot: Snapshot): Promise<void> {
  const ids = snapshot.appointments.filter((change) => change.status !== "pending").map((change) => change.appointmentId);
  if (ids.length === 0) return;
  const em = ctx.orm.em.fork() as EntityManager;
  const rows = await em.execute<{ id: string; status: string; starts_at: Date; time_zone: string; user_id: string }[]>(
    `select a.id, a.status, a.starts_at, c.time_zone, p.user_id
       from appointment a join clinic c on c.id = a.clinic_id join patient p on p.id = a.patient_id
      where a.id = any(?::uuid[])`,
    [pgArray(ids)],
  );
  const preferences = await readPreferences(em, rows.filter((row) => row.status === "scheduled").map((row) => row.user_id));
  const queue = ctx.queues.get("reminders");
  await Promise.all(
    rows.map(async (row) => {
      // remove() takes a job out of any state (delayed included) unless a worker holds it right now;
      // that one re-checks the appointment before it writes anything.
      await Promise.all(reminderKinds.map((kind) => queue.remove(reminderJobId(row.id, kind))));
      if (row.status !== "scheduled") return;
      const startsAt = new Date(row.starts_at);
      const now = new Date();
      const plan = planReminders({ startsAt, zone: row.time_zone, now, quietHours: preferences.get(row.user_id)?.quietHours ?? null });
      if (plan.length === 0) return;
      await queue.addBulk(
        plan.map(({ kind, at }) => ({
          name: REMINDER_JOB,
          data: { appointmentId: row.id, kind, startsAt: startsAt.toISOString() } satisfies ReminderData,
          opts: { jobId: reminderJobId(row.id, kind), delay: Math.max(0, at.getTime() - now.getTime()) },
        })),
      );
    }),
  );
}

/**
 * The job: if the appointment is still scheduled at the planned start, writes the reminder (one
 * outbox row per channel, keyed by the job id so a retry writes nothing new) and queues delivery
 * after commit. Anything else (moved, ended, or already begun) is stale and does nothing.
 */
export async function sendReminder(ctx: Pick<ModuleContext, "orm" | "queues" | "log">, data: ReminderData): Promise<"sent" | "stale"> {
  const key = reminderJobId(data.appointmentId, data.kind);
  const outboxIds = await (ctx.orm.em.fork() as EntityManager).transactional(async (tx) => {
    // `for share`: a cancellation racing this waits until the reminder is written, never the reverse.
    const [row] = await tx.execute<
      { status: string; starts_at: Date; clinic_id: string; user_id: string; doctor: string; clinic: string; address: string | null; time_zone: string }[]
    >(
      `select a.status, a.starts_at, a.clinic_id, p.user_id, d.display_name as doctor, c.name as clinic, c.address, c.time_zone
         from appointment a join patient p on p.id = a.patient_id join doctor d on d.id = a.doctor_id join clinic c on c.id = a.clinic_id
        where a.id = ? for share of a`,
      [data.appointmentId],
    );
    if (!row || row.status !== "scheduled" || new Date(row.starts_at).toISOString() !== data.startsAt) return null;
    // A worker back from an outage sends overdue reminders late, but never once the appointment began.
    if (new Date(row.starts_at).getTime() <= Date.now()) return null;
    const payload = {
      appointmentId: data.appointmentId,
      kind: data.kind,
      startsAt: data.startsAt,
      when: formatWhen(new Date(row.starts_at), row.time_zone),
      doctor: row.doctor,
      clinic: row.clinic,
      address: row.address ?? "",
      where: row.address ? `${row.clinic}, ${row.address}` : row.clinic,
    };
    return notify(tx, { userId: row.user_id, template: REMINDER_TEMPLATE, payload, clinicId: row.clinic_id, key });
  });
  if (outboxIds === null) return "stale";
  await dispatchMessages(ctx, outboxIds);
  return "sent";
}
