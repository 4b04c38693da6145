/** Booking: holds, confirm, cancel, reschedule, the appointment state machine, idempotency, the slot lifecycle (docs/booking.md). */
import type { Module } from "../../platform/module";
import { AppointmentSchema } from "./appointment.entity";
import { IdempotencyRecordSchema } from "./idempotency.entity";
import { bookingRoutes } from "./booking.routes";
import { bookingJobs, holdExpiryPlanning, retimedAppointments } from "./booking.jobs";
import { lifecycleJobs } from "./appointment-lifecycle.jobs";
import { appointmentRealtime, registerBookingTopics } from "./booking.realtime";
import { cancelAppointmentsOnReleasedSlots } from "./leave-cancellation";
import { visitMessages } from "./visit-messages";
import "./booking.ports";

export const bookingModule: Module = {
  name: "booking",
  entities: () => [AppointmentSchema, IdempotencyRecordSchema],
  routes: (ctx) => bookingRoutes(ctx),
  jobs: (ctx) => [...bookingJobs(ctx), ...lifecycleJobs(ctx)],
  topics: (realtime, ctx) => registerBookingTopics(realtime, ctx),
  subscribers: (ctx) => [appointmentRealtime(ctx), holdExpiryPlanning(ctx), retimedAppointments(ctx), visitMessages(ctx)],
  // Scheduling's leave and closures cancel the visits on the slots they release, in their transaction.
  provide: () => ({ leaveCancellations: { cancelOnReleasedSlots: cancelAppointmentsOnReleasedSlots } }),
};

// What other modules may use.
export { Appointment } from "./appointment.entity";
export {
  Changes,
  bookingChangesSubscriber,
  bookPlace,
  endPendingMoves,
  insertAppointment,
  lockedAppointment,
  mapDatabaseError,
  pgArray,
  readAppointment,
  releasePlace,
  setAppointmentStatus,
  snapshotOf,
  vacatePlace,
  type LockedAppointment,
  type Snapshot,
} from "./appointment.store";
export {
  APPOINTMENT_COLUMNS,
  appointmentView,
  lapsedAppointmentHoldSql,
  liveAppointmentHoldSql,
  liveAppointmentSql,
  type AppointmentChange,
  type AppointmentRow,
} from "./appointment.views";
export { paymentOf, priceBooking, priceOf, tellDoctorOfFreeBooking } from "./booking-policy";
export { admitSlot, takeSlot } from "./booking.places";
export { appLink } from "./visit-messages";
export { SNAPSHOT_LIMIT } from "./booking.snapshots";
export type { Checkout, LoyaltyPoints, VisitMoney } from "./booking.ports";
