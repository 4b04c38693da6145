/**
 * The only place that turns committed booking changes into socket events, and the topic families
 * `slots:{doctorId}`, `doctor:{doctorId}`, `clinic:{clinicId}` and `me` with their snapshots.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { appointmentChangeSchema, blockChangeSchema, slotChangeSchema } from "@clinic/shared";
import type { z } from "zod";
import pino, { type Logger } from "pino";
import type { EventPublisher } from "../../platform/events";
import type { ModuleContext } from "../../platform/module";
import type { Principal, Realtime } from "../../platform/realtime";
import { can } from "../identity/access";
import type { UserPrincipal } from "../identity/principal";
import { clinicSnapshot, doctorFacts, doctorSnapshot, meSnapshot, slotsSnapshot } from "./booking.snapshots";

/**
 * The event payloads, typed from their @clinic/shared schemas (the web parses them with the same
 * schemas; tests/realtime/booking-event-shapes.test.ts keeps them honest).
 */
export type SlotChange = z.infer<typeof slotChangeSchema>;
/** An elastic block's new fill after a committed change: viewers re-derive its offers from it. */
export type BlockChange = z.infer<typeof blockChangeSchema>;
export type AppointmentChange = z.infer<typeof appointmentChangeSchema>;

/** Slot kinds the public `slots:` topic carries; walk-in and emergency slots go to staff topics only. */
const PUBLIC_SLOT_KINDS = new Set(["regular"]);

/** Set by registerBookingTopics; a worker-only process falls back to a logger of its own. */
let defaultLog: Logger | undefined;

/** The topics one slot change concerns, most public first. */
export function slotTopics(change: SlotChange): string[] {
  const topics = [`doctor:${change.doctorId}`, `clinic:${change.clinicId}`];
  const watchedPublicly = PUBLIC_SLOT_KINDS.has(change.kind) || (change.previousKind !== undefined && PUBLIC_SLOT_KINDS.has(change.previousKind));
  return watchedPublicly ? [`slots:${change.doctorId}`, ...topics] : topics;
}

/** The topics one block change concerns: blocks hold regular bookings, so the public too. */
export function blockTopics(change: BlockChange): string[] {
  return [`slots:${change.doctorId}`, `doctor:${change.doctorId}`, `clinic:${change.clinicId}`];
}

/** The topics one appointment change concerns; a handed-over visit's previous doctor hears it too (to drop it). */
export function appointmentTopics(change: AppointmentChange): string[] {
  const previous = change.previousDoctorId ? [`doctor:${change.previousDoctorId}`] : [];
  return [`me:${change.patientUserId}`, `doctor:${change.doctorId}`, ...previous, `clinic:${change.clinicId}`];
}

/**
 * Publishes committed booking changes: every change to every topic it concerns, slots and blocks first, each
 * list in the order given. Call after commit. Never throws: a Redis failure is logged and the rest
 * still go out (the database is the truth; a client that misses an event sees a seq gap and resyncs).
 */
export async function publishBookingChanges(
  events: EventPublisher,
  changes: { slots?: SlotChange[]; blocks?: BlockChange[]; appointments?: AppointmentChange[] },
  options: { log?: Logger } = {},
): Promise<void> {
  const messages: [topic: string, type: string, data: unknown][] = [];
  for (const change of changes.slots ?? []) {
    // The SlotChange carries no patient data, so the same payload suits public and staff topics.
    for (const topic of slotTopics(change)) messages.push([topic, `slot.${change.cause}`, change]);
  }
  for (const change of changes.blocks ?? []) {
    for (const topic of blockTopics(change)) messages.push([topic, `elastic.${change.cause}`, change]);
  }
  for (const change of changes.appointments ?? []) {
    for (const topic of appointmentTopics(change)) messages.push([topic, `appointment.${change.cause}`, change]);
  }
  // Issued back to back on one Redis connection, so Redis runs (and numbers) them in this order.
  const results = await Promise.allSettled(messages.map(([topic, type, data]) => events.publish(topic, type, data)));
  const failed = results.flatMap((result, i) => (result.status === "rejected" ? [{ topic: messages[i]![0], type: messages[i]![1], err: result.reason as unknown }] : []));
  if (failed.length > 0) {
    const log = options.log ?? (defaultLog ??= pino({ name: "booking-realtime" }));
    log.error({ err: failed[0]!.err, failed: failed.map(({ topic, type }) => ({ topic, type })) }, "booking events not published; clients will resync");
  }
}

const UUID = "([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})";

/** Display tokens (later) are principals too; these topics are for signed-in users only. */
const asUser = (principal: Principal): UserPrincipal | null =>
  principal.kind === "user" && typeof principal.userId === "string" ? (principal as UserPrincipal) : null;

export function registerBookingTopics(realtime: Realtime, ctx: ModuleContext): void {
  defaultLog = ctx.log;
  const em = () => ctx.orm.em.fork() as EntityManager;

  // slots:{doctorId} — anyone signed in may watch a listed doctor; an unlisted (pending, suspended)
  // doctor's slots only those who may see the unlisted doctor. Everyone gets the public view.
  realtime.registerTopic({
    pattern: new RegExp(`^slots:${UUID}$`, "i"),
    async authorize(principal, _topic, match) {
      const user = asUser(principal);
      if (!user) return false;
      const doctor = await doctorFacts(em(), match[1]!.toLowerCase());
      if (!doctor) return false;
      return doctor.listed || can(user, "doctor.unlisted.read", { doctorId: match[1]!.toLowerCase(), doctorClinicIds: doctor.clinicIds });
    },
    snapshot: (_principal, _topic, match) => slotsSnapshot(em(), match[1]!.toLowerCase()),
  });

  // doctor:{doctorId} — the doctor, staff of one of its clinics, the platform (patient data inside).
  realtime.registerTopic({
    pattern: new RegExp(`^doctor:${UUID}$`, "i"),
    async authorize(principal, _topic, match) {
      const user = asUser(principal);
      if (!user) return false;
      const doctorId = match[1]!.toLowerCase();
      if (user.doctorId === doctorId) return true;
      const doctor = await doctorFacts(em(), doctorId);
      return doctor !== null && can(user, "doctor.patients.read", { doctorId, doctorClinicIds: doctor.clinicIds });
    },
    snapshot: (_principal, _topic, match) => doctorSnapshot(em(), match[1]!.toLowerCase()),
  });

  // clinic:{clinicId} — that clinic's staff and the platform.
  realtime.registerTopic({
    pattern: new RegExp(`^clinic:${UUID}$`, "i"),
    authorize(principal, _topic, match) {
      const user = asUser(principal);
      return user !== null && can(user, "schedule.internal.read", { clinicId: match[1]!.toLowerCase() });
    },
    snapshot: (_principal, _topic, match) => clinicSnapshot(em(), match[1]!.toLowerCase()),
  });

  // me, me:{userId} — the user's own appointments. `me` joins the room `me:{userId}`; the ack names it.
  realtime.registerTopic({
    pattern: new RegExp(`^me(?::${UUID})?$`, "i"),
    authorize(principal, _topic, match) {
      const user = asUser(principal);
      return user !== null && (match[1] === undefined || match[1].toLowerCase() === user.userId);
    },
    room: (principal) => `me:${(principal as UserPrincipal).userId}`,
    snapshot: (principal) => meSnapshot(em(), (principal as UserPrincipal).userId),
  });
}
