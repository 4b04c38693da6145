/**
 * What one queue transaction changed, recorded as domain events before it commits: `queue.{cause}`
 * for its entries, and the booking changes of their appointments (slots, appointments). The queue's
 * realtime fan-out, the ETA recomputation and the booking follow-ups are subscribers.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { QueueCause } from "@clinic/shared";
import { recordEvents } from "../../platform/outbox";
import { Changes } from "../booking";
import { entryView, type EntryRow } from "./queue.store";

/** One committed change of a queue entry; `alsoDoctorIds`: other doctors concerned (a handover's previous doctor). */
export interface QueueChange {
  entry: ReturnType<typeof entryView>;
  cause: QueueCause;
  alsoDoctorIds: string[];
}

/** What one queue transaction changes: queue entries, and booking rows (appointments, slots). */
export class QueueChanges {
  readonly entries: QueueChange[] = [];
  readonly booking = new Changes();

  entry(row: EntryRow, cause: QueueCause, extraDoctorIds: string[] = []) {
    this.entries.push({ entry: entryView(row), cause, alsoDoctorIds: extraDoctorIds });
    return this;
  }

  /** Call last inside the transaction: records the booking changes, then the queue's, as domain events. */
  async record(tx: EntityManager): Promise<QueueChange[]> {
    if (!this.booking.isEmpty) await this.booking.record(tx);
    await recordEvents(tx, this.entries.map((change) => ({ name: `queue.${change.cause}` as const, data: { entry: change.entry, alsoDoctorIds: change.alsoDoctorIds } })));
    return this.entries;
  }
}
