/**
 * The patient's live data: zod shapes of the booking topics' snapshots and events (docs/realtime.md;
 * the server declares them as TypeScript interfaces only, so they are parsed here), and the reducers
 * of `slots:{doctorId}` and `me`.
 */
import { z } from "zod";
import { inboxItemSchema, waitlistEntryViewSchema, waitlistOfferViewSchema, type EventEnvelope, type WaitlistEntryView } from "@clinic/shared";

const iso = z.string();

/** `SlotChange` without `cause`: one slot's new state. `deleted` means the row is gone. */
export const slotLiveSchema = z.object({
  slotId: z.uuid(),
  doctorId: z.uuid(),
  clinicId: z.uuid(),
  start: iso,
  end: iso,
  status: z.string(),
  kind: z.string(),
  version: z.number().int(),
  holdExpiresAt: iso.nullable(),
  previousKind: z.string().optional(),
});
export type SlotLive = z.infer<typeof slotLiveSchema>;

export const slotsSnapshotSchema = z.object({ doctorId: z.uuid(), from: iso, to: iso, slots: z.array(slotLiveSchema) });

/** `AppointmentChange` without `cause`. */
export const appointmentChangeSchema = z.object({
  appointmentId: z.uuid(),
  doctorId: z.uuid(),
  clinicId: z.uuid(),
  slotId: z.uuid().nullable(),
  start: iso,
  end: iso,
  status: z.string(),
  version: z.number().int(),
  holdExpiresAt: iso.nullable(),
});
export type AppointmentChange = z.infer<typeof appointmentChangeSchema>;

export const meSnapshotSchema = z.object({
  userId: z.uuid(),
  appointments: z.array(appointmentChangeSchema),
  unreadNotifications: z.number().int(),
  waitlist: z.array(waitlistEntryViewSchema),
});

/** Slots by id: the topic's state. */
export type SlotMap = ReadonlyMap<string, SlotLive>;

export function slotsFromSnapshot(snapshot: unknown): SlotMap {
  return new Map(slotsSnapshotSchema.parse(snapshot).slots.map((slot) => [slot.slotId, slot]));
}

/** Upserts a `slot.*` event by id, keeping the higher version (events and snapshots may cross). */
export function reduceSlots(state: SlotMap, event: EventEnvelope): SlotMap {
  if (!event.type.startsWith("slot.")) return state;
  const parsed = slotLiveSchema.safeParse(event.data);
  if (!parsed.success) return state;
  const slot = parsed.data;
  const known = state.get(slot.slotId);
  if (known && known.version >= slot.version) return state;
  const next = new Map(state);
  next.set(slot.slotId, slot);
  return next;
}

/** What a patient sees of a slot. A lapsed hold is free again (the server reads it so too). */
export type SlotState = "free" | "held" | "booked" | "gone";

export function slotState(slot: Pick<SlotLive, "status" | "kind" | "holdExpiresAt">, now: number): SlotState {
  if (slot.kind !== "regular") return "gone";
  switch (slot.status) {
    case "available":
      return "free";
    case "held":
      return slot.holdExpiresAt && Date.parse(slot.holdExpiresAt) <= now ? "free" : "held";
    case "booked":
      return "booked";
    default:
      return "gone"; // blocked, expired, deleted: not bookable, not shown
  }
}

// ---------------------------------------------------------------- me

export interface MeState {
  appointments: Map<string, AppointmentChange>;
  unread: number;
  waitlist: WaitlistEntryView[];
}

export function meFromSnapshot(snapshot: unknown): MeState {
  const parsed = meSnapshotSchema.parse(snapshot);
  return {
    appointments: new Map(parsed.appointments.map((a) => [a.appointmentId, a])),
    unread: parsed.unreadNotifications,
    waitlist: parsed.waitlist,
  };
}

const readEventSchema = z.object({ unread: z.number().int() });

function applyOffer(waitlist: WaitlistEntryView[], type: string, data: unknown): WaitlistEntryView[] {
  const parsed = waitlistOfferViewSchema.safeParse(data);
  if (!parsed.success) return waitlist;
  const offer = parsed.data;
  return waitlist.map((entry) => {
    if (entry.id !== offer.entryId) return entry;
    if (type === "waitlist.offered") return { ...entry, status: "offered", offer };
    if (type === "waitlist.accepted") return { ...entry, status: "booked", offer };
    return { ...entry, status: "waiting", offer: null }; // declined or expired: waiting again
  });
}

export function reduceMe(state: MeState, event: EventEnvelope): MeState {
  if (event.type.startsWith("appointment.")) {
    const parsed = appointmentChangeSchema.safeParse(event.data);
    if (!parsed.success) return state;
    const known = state.appointments.get(parsed.data.appointmentId);
    if (known && known.version >= parsed.data.version) return state;
    const appointments = new Map(state.appointments);
    appointments.set(parsed.data.appointmentId, parsed.data);
    return { ...state, appointments };
  }
  if (event.type === "notification.created" && inboxItemSchema.safeParse(event.data).success) {
    return { ...state, unread: state.unread + 1 };
  }
  if (event.type === "notification.read") {
    const parsed = readEventSchema.safeParse(event.data);
    return parsed.success ? { ...state, unread: parsed.data.unread } : state;
  }
  if (event.type.startsWith("waitlist.")) return { ...state, waitlist: applyOffer(state.waitlist, event.type, event.data) };
  return state;
}
