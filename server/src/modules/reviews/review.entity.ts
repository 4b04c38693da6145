import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { Appointment } from "../booking";
import { Clinic, Doctor, Patient } from "../directory";
import { UserAccount } from "../identity";

/**
 * A patient's review of a completed appointment: one per appointment (the unique index is the last
 * guard against a double submit). Hidden reviews stay stored but leave the public list and the
 * doctor's rating (docs/reviews.md).
 */
export const ReviewSchema = defineEntity({
  name: "Review",
  tableName: "review",
  // The public list and the rating recompute read a doctor's visible reviews, newest first.
  indexes: [{ name: "review_doctor_visible", properties: ["doctor", "createdAt"], where: "hidden_at IS NULL" }],
  uniques: [{ name: "review_one_per_appointment", properties: ["appointment"] }],
  checks: [{ name: "review_stars_range", expression: "(stars >= 1) AND (stars <= 5)" }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    appointment: () => p.manyToOne(Appointment).deleteRule("cascade"),
    doctor: () => p.manyToOne(Doctor).deleteRule("cascade"),
    patient: () => p.manyToOne(Patient).deleteRule("cascade").index(),
    clinic: () => p.manyToOne(Clinic).deleteRule("cascade"),
    stars: p.smallint(),
    text: p.text().default(""),
    replyText: p.text().nullable(),
    repliedAt: p.datetime().nullable(),
    hiddenAt: p.datetime().nullable(),
    hiddenReason: p.text().nullable(),
    hiddenBy: () => p.manyToOne(UserAccount).nullable().deleteRule("set null"),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class Review extends ReviewSchema.class {}
ReviewSchema.setClass(Review);
