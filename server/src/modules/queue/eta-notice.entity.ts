import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { Appointment } from "../booking";
import { QueueEntry } from "./queue-entry.entity";

/**
 * The expected start a patient was last told (or, for a walk-in, first shown), per visit: an
 * appointment (before and after its check-in: one row follows the patient through the day), or a
 * walk-in/emergency queue entry. Slip and gain notices compare new ETAs with `toldAt`.
 */
export const EtaNoticeSchema = defineEntity({
  name: "EtaNotice",
  tableName: "eta_notice",
  checks: [{ name: "eta_notice_one_subject", expression: "num_nonnulls(appointment_id, queue_entry_id) = 1" }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    appointment: () => p.oneToOne(Appointment).owner().nullable().unique().deleteRule("cascade"),
    queueEntry: () => p.oneToOne(QueueEntry).owner().nullable().unique().deleteRule("cascade"),
    toldAt: p.datetime(),
    /** How many slip/gain notices this visit got (for support, and to show the rule works). */
    notices: p.integer().default(0),
    updatedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class EtaNotice extends EtaNoticeSchema.class {}
EtaNoticeSchema.setClass(EtaNotice);
