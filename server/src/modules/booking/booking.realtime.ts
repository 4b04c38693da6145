/**
 * The only place that turns committed appointment changes into socket events (the `appointment.*`
 * domain events, whoever recorded them), and the topic families `doctor:{doctorId}`,
 * `clinic:{clinicId}` and `me` with their appointments (the queue and the waitlist add their parts
 * to these snapshots; slots and blocks are scheduling's).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { isDomainEventOf, MY_TOPIC, topics, type DomainEvent, type Topic } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import type { Subscriber } from "../../platform/outbox";
import type { Realtime } from "../../platform/realtime";
import { doctorVisibility } from "../directory";
import { asUser, can, type UserPrincipal } from "../identity";
import type { AppointmentChange } from "./appointment.views";
import { clinicSnapshot, doctorSnapshot, meSnapshot } from "./booking.snapshots";

/** The topics one appointment change concerns; a handed-over visit's previous doctor hears it too (to drop it). */
export function appointmentTopics(change: AppointmentChange, name: string): Topic[] {
  const previous = change.previousDoctorId ? [topics.doctor(change.previousDoctorId)] : [];
  const staff = [topics.doctor(change.doctorId), ...previous, topics.clinic(change.clinicId)];
  // A probable no-show is the staff's to settle: the patient's `me` does not hear of it.
  return name === "appointment.probable_no_show" ? staff : [topics.me(change.patientUserId), ...staff];
}

/**
 * Every appointment change to every topic it concerns, in the batch's order. A failure is retried by
 * the outbox; the payloads carry versions, so a late event never undoes a newer one on a screen.
 */
export function appointmentRealtime(ctx: ModuleContext): Subscriber {
  return {
    name: "appointment-realtime",
    wants: (name) => name.startsWith("appointment."),
    async handle(events: DomainEvent[]) {
      const changes = events.filter((event) => isDomainEventOf(event, "appointment"));
      const messages = changes.flatMap((event) => appointmentTopics(event.data, event.name).map((topic) => ({ topic, type: event.name, data: event.data })));
      await ctx.events.publishAll(messages);
    },
  };
}

const UUID = "([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})";

export function registerBookingTopics(realtime: Realtime, ctx: ModuleContext): void {
  const em = () => ctx.orm.em.fork() as EntityManager;

  // doctor:{doctorId} — the doctor, staff of one of its clinics, the platform (patient data inside).
  realtime.registerTopic({
    name: "doctor",
    pattern: new RegExp(`^${topics.doctor(UUID)}$`),
    async authorize(principal, _topic, match) {
      const user = asUser(principal);
      if (!user) return false;
      const doctorId = match[1]!;
      if (user.doctorId === doctorId) return true;
      const doctor = await doctorVisibility(em(), doctorId);
      return doctor !== null && can(user, "doctor.patients.read", { doctorId, doctorClinicIds: doctor.clinicIds });
    },
    snapshot: (_principal, _topic, match) => doctorSnapshot(em(), match[1]!),
  });

  // clinic:{clinicId} — that clinic's staff and the platform.
  realtime.registerTopic({
    name: "clinic",
    pattern: new RegExp(`^${topics.clinic(UUID)}$`),
    authorize(principal, _topic, match) {
      const user = asUser(principal);
      return user !== null && can(user, "schedule.internal.read", { clinicId: match[1]! });
    },
    snapshot: (_principal, _topic, match) => clinicSnapshot(em(), match[1]!),
  });

  // me, me:{userId} — the user's own appointments. `me` joins the room `me:{userId}`; the ack names it.
  realtime.registerTopic({
    name: "me",
    pattern: new RegExp(`^(?:${MY_TOPIC}|${topics.me(UUID)})$`),
    authorize(principal, _topic, match) {
      const user = asUser(principal);
      return user !== null && (match[1] === undefined || match[1] === user.userId);
    },
    room: (principal) => topics.me((principal as UserPrincipal).userId),
    snapshot: (principal) => meSnapshot(em(), (principal as UserPrincipal).userId),
  });
}
