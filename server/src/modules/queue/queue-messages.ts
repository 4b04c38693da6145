/**
 * The queue's messages to patients (docs/notifications.md "Visit messages"): when a doctor calls a
 * patient, "It's your turn — Room 3" to that patient, and "You're next" to the one expected next
 * for that doctor (emergencies and manual ranks first, then the live ETA, then arrival). Written after
 * the call committed, one per call (the entry's version) and one "next" per entry, by their keys.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { DomainEvent, QueueChangeData } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import type { Subscriber } from "../../platform/outbox";
import { dispatchMessages, notify } from "../notifications";

export function queueMessages(ctx: ModuleContext): Subscriber {
  return {
    name: "queue-messages",
    wants: (name) => name === "queue.called",
    async handle(events: DomainEvent[]) {
      const called = events.filter((event) => event.name === "queue.called").map((event) => (event.data as QueueChangeData).entry);
      if (called.length === 0) return;
      const outbox = await (ctx.orm.em.fork() as EntityManager).transactional(async (tx) => {
        const ids: string[] = [];
        for (const entry of called) ids.push(...(await tellCalled(tx, entry)), ...(await tellNext(tx, entry)));
        return ids;
      });
      await dispatchMessages(ctx, outbox);
    },
  };
}

type Entry = QueueChangeData["entry"];

async function tellCalled(tx: EntityManager, entry: Entry): Promise<string[]> {
  const [row] = await tx.execute<{ user_id: string }[]>(`select user_id from patient where id = ?`, [entry.patientId]);
  if (!row) return [];
  const room = entry.room ? ` — ${entry.room}` : "";
  return notify(tx, {
    userId: row.user_id,
    template: "queue.your-turn",
    payload: { entryId: entry.id, ticket: entry.ticket, doctor: entry.doctorName ?? "The doctor", room: entry.room, roomText: room, roomTextBn: room },
    clinicId: entry.clinicId,
    key: `queue-turn-${entry.id}-${entry.version}`,
  });
}

async function tellNext(tx: EntityManager, entry: Entry): Promise<string[]> {
  if (!entry.doctorId) return [];
  const [next] = await tx.execute<{ id: string; ticket: string; user_id: string; clinic: string }[]>(
    `select q.id, q.ticket, p.user_id, c.name as clinic
       from queue_entry q join patient p on p.id = q.patient_id join clinic c on c.id = q.clinic_id
       left join appointment a on a.id = q.appointment_id
      where q.clinic_id = ? and q.service_day = ?::date and q.status = 'waiting'
        and (q.doctor_id = ? or (q.doctor_id is null and q.kind <> 'appointment'))
      order by (q.kind = 'emergency') desc, q.manual_rank asc nulls last, coalesce(q.expected_at, a.starts_at, q.arrived_at), q.arrived_at, q.id
      limit 1`,
    [entry.clinicId, entry.serviceDay, entry.doctorId],
  );
  if (!next) return [];
  return notify(tx, {
    userId: next.user_id,
    template: "queue.next",
    payload: { entryId: next.id, ticket: next.ticket, doctor: entry.doctorName ?? "The doctor", clinic: next.clinic },
    clinicId: entry.clinicId,
    key: `queue-next-${next.id}`,
  });
}
