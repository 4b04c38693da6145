/**
 * The patient's live data: the reducers of `slots:{doctorId}` and `me`, parsing the snapshots and
 * events with their @clinic/shared schemas (docs/realtime.md).
 */
import {
  eventData,
  isEventOf,
  meSnapshotSchema,
  slotsSnapshotSchema,
  type AppointmentLive,
  type ReceivedEvent,
  type RealtimeFamilyName,
  type SlotLive,
  type WaitlistEntryView,
  type WaitlistOfferView,
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
export function reduceSlots(state: SlotMap, event: ReceivedEvent): SlotMap {
  if (!isEventOf(event, "slot")) return state;
  const slot = eventData(event);
  return slot ? upsert<SlotLive>(state, slot.slotId, slot) : state;
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

function applyOffer(waitlist: WaitlistEntryView[], type: RealtimeFamilyName<"waitlist">, offer: WaitlistOfferView | null): WaitlistEntryView[] {
  if (!offer) return waitlist;
  return waitlist.map((entry) => {
    if (entry.id !== offer.entryId) return entry;
    if (type === "waitlist.offered") return { ...entry, status: "offered", offer };
    if (type === "waitlist.accepted") return { ...entry, status: "booked", offer };
    return { ...entry, status: "waiting", offer: null }; // declined or expired: waiting again
  });
}

export function reduceMe(state: MeState, event: ReceivedEvent): MeState {
  if (isEventOf(event, "appointment")) {
    const change = eventData(event);
    return change ? { ...state, appointments: upsert(state.appointments, change.appointmentId, change) } : state;
  }
  if (isEventOf(event, "notification")) return { ...state, unread: reduceUnread(state.unread, event) };
  if (isEventOf(event, "waitlist")) return { ...state, waitlist: applyOffer(state.waitlist, event.type, eventData(event)) };
  return state;
}
