import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { waitlistEntryStatuses, waitlistOfferStatuses } from "@clinic/shared";
import { Clinic, Doctor, Patient, ClinicService } from "../directory";
import { UserAccount } from "../identity";
import { Slot } from "../scheduling";
import { Appointment } from "../booking";

/**
 * A patient waiting for a doctor's slot: local dates (both included) and an optional daily window,
 * in the clinic's zone. `status` is `offered` while an offer for it is live; the offers are the truth.
 */
export const WaitlistEntrySchema = defineEntity({
  name: "WaitlistEntry",
  tableName: "waitlist_entry",
  indexes: [
    { properties: ["doctor", "status"] },
    { properties: ["clinic", "status"] },
    { properties: ["patient", "createdAt"] },
  ],
  checks: [
    { name: "waitlist_entry_range", expression: "date_to >= date_from" },
    { name: "waitlist_entry_window", expression: "((window_start IS NULL) AND (window_end IS NULL)) OR ((window_start)::text < (window_end)::text)" },
  ],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    patient: () => p.manyToOne(Patient).deleteRule("cascade"),
    doctor: () => p.manyToOne(Doctor).deleteRule("cascade"),
    clinic: () => p.manyToOne(Clinic).deleteRule("cascade"),
    service: () => p.manyToOne(ClinicService).nullable().deleteRule("set null"),
    dateFrom: p.date(),
    dateTo: p.date(),
    /** "HH:MM" in the clinic's zone; both or neither. */
    windowStart: p.string().length(5).nullable(),
    windowEnd: p.string().length(5).nullable(),
    /** Higher first; staff set it. */
    priority: p.integer().default(0),
    status: p.enum(waitlistEntryStatuses).default("waiting"),
    createdBy: () => p.manyToOne(UserAccount).nullable().deleteRule("set null"),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class WaitlistEntry extends WaitlistEntrySchema.class {}
WaitlistEntrySchema.setClass(WaitlistEntry);

/**
 * A slot held for a waiting patient: the pending appointment is the hold. An entry gets each slot
 * at most once; at most one offer is open per entry and per slot (partial unique indexes, the last
 * guard behind the match job's locks).
 */
export const WaitlistOfferSchema = defineEntity({
  name: "WaitlistOffer",
  tableName: "waitlist_offer",
  indexes: [{ properties: ["status", "expiresAt"] }, { properties: ["appointment"] }],
  uniques: [
    { name: "waitlist_offer_entry_slot", properties: ["entry", "slot"] },
    { name: "waitlist_offer_one_open_per_entry", properties: ["entry"], where: "status = 'offered'::text" },
    { name: "waitlist_offer_one_open_per_slot", properties: ["slot"], where: "status = 'offered'::text" },
  ],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    entry: () => p.manyToOne(WaitlistEntry).deleteRule("cascade"),
    slot: () => p.manyToOne(Slot).deleteRule("cascade"),
    appointment: () => p.manyToOne(Appointment).deleteRule("cascade"),
    status: p.enum(waitlistOfferStatuses).default("offered"),
    expiresAt: p.datetime(),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class WaitlistOffer extends WaitlistOfferSchema.class {}
WaitlistOfferSchema.setClass(WaitlistOffer);
