/**
 * Tells each patient whose visit a doctor's leave or a clinic closure cancelled why, through their
 * channels, with the earliest alternatives (the `leave.appointments_cancelled` domain event;
 * booking cancels, this only writes). One message per appointment (its key), so a retry repeats none.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { formatWhen, type DomainEvent } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import type { Subscriber } from "../../platform/outbox";
import { pgArray } from "../booking";
import { dispatchMessages, notify, readPreferences } from "../notifications";
import { alternativesText, earliestAlternatives, type Alternative } from "./alternatives";

interface Facts {
  id: string;
  slot_id: string;
  clinic_id: string;
  doctor_id: string;
  starts_at: Date;
  user_id: string;
  doctor: string;
  clinic: string;
  time_zone: string;
}

export function leaveMessages(ctx: ModuleContext): Subscriber {
  return {
    name: "leave-messages",
    wants: (name) => name === "leave.appointments_cancelled",
    async handle(events: DomainEvent[]) {
      for (const event of events) {
        if (event.name !== "leave.appointments_cancelled") continue;
        const outbox = await (ctx.orm.em.fork() as EntityManager).transactional((tx) => tellPatients(tx, event.data));
        await dispatchMessages(ctx, outbox);
      }
    },
  };
}

async function tellPatients(tx: EntityManager, cancelled: Extract<DomainEvent, { name: "leave.appointments_cancelled" }>["data"]): Promise<string[]> {
  const released = cancelled.appointments.map((appointment) => appointment.slotId);
  const rows = await tx.execute<Facts[]>(
    `select a.id, a.slot_id, a.clinic_id, a.doctor_id, a.starts_at, p.user_id, d.display_name as doctor, c.name as clinic, c.time_zone
       from appointment a join patient p on p.id = a.patient_id join doctor d on d.id = a.doctor_id join clinic c on c.id = a.clinic_id
      where a.id = any(?::uuid[]) order by a.starts_at, a.id`,
    [pgArray(cancelled.appointments.map((appointment) => appointment.appointmentId))],
  );
  const preferences = await readPreferences(tx, rows.map((row) => row.user_id));
  const alternativesFor = new Map<string, Promise<Alternative[]>>();
  const outbox: string[] = [];
  for (const row of rows) {
    const place = `${row.doctor_id}/${row.clinic_id}`;
    if (!alternativesFor.has(place)) {
      alternativesFor.set(place, earliestAlternatives(tx, { doctorId: row.doctor_id, clinicId: row.clinic_id, zone: row.time_zone, released }));
    }
    const alternatives = await alternativesFor.get(place)!;
    const payload = {
      appointmentId: row.id,
      slotId: row.slot_id,
      startsAt: new Date(row.starts_at).toISOString(),
      when: formatWhen(new Date(row.starts_at), row.time_zone),
      doctor: row.doctor,
      clinic: row.clinic,
      reason: cancelled.reason,
      alternativesText: alternativesText(alternatives),
      alternatives: alternatives.map(({ slotId, doctorId, doctorName, start }) => ({ slotId, doctorId, doctorName, start })),
    };
    const notice = { userId: row.user_id, template: "booking.cancelled-by-leave", payload, clinicId: row.clinic_id, key: `leave-cancel-${row.id}` } as const;
    outbox.push(...(await notify(tx, notice, preferences.get(row.user_id))));
  }
  return outbox;
}
