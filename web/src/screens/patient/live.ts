/**
 * The patient's live data: the reducers of `slots:{doctorId}` and `me`, parsing the snapshots and
 * events with their @clinic/shared schemas (docs/realtime.md).
 */
import {
  appointmentLiveSchema,
  meSnapshotSchema,
  slotLiveSchema,
  slotsSnapshotSchema,
  waitlistOfferViewSchema,
  type AppointmentLive,
  type EventEnvelope,
  type SlotLive,
  type WaitlistEntryView,
} from "@clinic/shared";
import { byId, upsert, type ById } from "../../lib/liveRows";
import { reduceUnread } from "../../lib/unread";

export type { SlotLive };

/** Slots by id: the topic's state. */
export type SlotMap = ById<SlotLive>;

export function slotsFromSnapshot(snapshot: unknown): SlotMap {
  return byId(slotsSnapshotSchema.parse(snapshot).slots, (slot) => slot.slotId);
}

/** Upserts a `slot.*` event by id, keeping the higher version (events and snapshots may cross). */
export function reduceSlots(state: SlotMap, event: EventEnvelope): SlotMap {
  if (!event.type.startsWith("slot.")) return state;
  const parsed = slotLiveSchema.safeParse(event.data);
  return parsed.success ? upsert(state, parsed.data.slotId, parsed.data) : state;
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
  appointments: ById<AppointmentLive>;
  unread: number;
  waitlist: WaitlistEntryView[];
}

export function meFromSnapshot(snapshot: unknown): MeState {
  const parsed = meSnapshotSchema.parse(snapshot);
  return {
    appointments: byId(parsed.appointments, (a) => a.appointmentId),
    unread: parsed.unreadNotifications,
    waitlist: parsed.waitlist,
  };
}

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
    const parsed = appointmentLiveSchema.safeParse(event.data);
    return parsed.success ? { ...state, appointments: upsert(state.appointments, parsed.data.appointmentId, parsed.data) } : state;
  }
  if (event.type.startsWith("notification.")) return { ...state, unread: reduceUnread(state.unread, event) };
  if (event.type.startsWith("waitlist.")) return { ...state, waitlist: applyOffer(state.waitlist, event.type, event.data) };
  return state;
}
