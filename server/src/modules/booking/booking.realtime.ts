/**
 * The only place that turns committed booking changes into socket events, and the topic families
 * `slots:{doctorId}`, `doctor:{doctorId}`, `clinic:{clinicId}` and `me` with their snapshots.
 */
import type { EventPublisher } from "../../platform/events";
import type { ModuleContext } from "../../platform/module";
import type { Realtime } from "../../platform/realtime";

/** A slot's new state after a committed change. */
export interface SlotChange {
  slotId: string;
  doctorId: string;
  clinicId: string;
  start: string;
  end: string;
  status: string;
  kind: string;
  version: number;
  holdExpiresAt: string | null;
  /** held | booked | released | blocked | rescheduled | expired … */
  cause: string;
}

/** An appointment's new state after a committed change. */
export interface AppointmentChange {
  appointmentId: string;
  patientId: string;
  patientUserId: string;
  doctorId: string;
  clinicId: string;
  slotId: string;
  start: string;
  end: string;
  status: string;
  version: number;
  holdExpiresAt: string | null;
  /** created | confirmed | cancelled | rescheduled | expired | status_changed … */
  cause: string;
}

export async function publishBookingChanges(
  _events: EventPublisher,
  _changes: { slots?: SlotChange[]; appointments?: AppointmentChange[] },
): Promise<void> {}

export function registerBookingTopics(_realtime: Realtime, _ctx: ModuleContext): void {}
