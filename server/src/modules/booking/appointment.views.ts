/** Appointment rows (raw SQL, snake_case) as API views and real-time changes. */
import type { AppointmentStatus, AppointmentView, PaymentStatus, appointmentChangeSchema } from "@clinic/shared";
import type { z } from "zod";

/** An appointment's state after a committed change, as events carry it (`appointment.{cause}`). */
export type AppointmentChange = z.infer<typeof appointmentChangeSchema>;

/**
 * SQL: the appointment (alias `a` unless named) is a pending hold whose time is up (`isLapsedHold`'s
 * SQL form): live nowhere, whether or not the expiry job has run, and taken over by the next booking.
 * `now` is SQL for the instant: `now()`, or `?` when the caller passes its own.
 */
export const lapsedAppointmentHoldSql = (alias = "a", now = "now()") => `(${alias}.status = 'pending' and ${alias}.hold_expires_at <= ${now})`;

/** SQL: the appointment is a pending hold still running. */
export const liveAppointmentHoldSql = (alias = "a", now = "now()") => `(${alias}.status = 'pending' and ${alias}.hold_expires_at > ${now})`;

/** SQL: the appointment takes its time: scheduled, checked in, in consultation, or a hold still running. */
export const liveAppointmentSql = (alias = "a", now = "now()") =>
  `(${alias}.status in ('scheduled','checked_in','in_consultation') or ${liveAppointmentHoldSql(alias, now)})`;

export const APPOINTMENT_COLUMNS = `a.id, a.slot_id, a.elastic_allocation_id, a.patient_id, a.doctor_id, a.clinic_id, a.service_id, a.starts_at, a.ends_at,
  a.status, a.hold_expires_at, a.payment_status, a.fee_minor, a.transaction_fee_minor, a.currency, a.amount_due_minor, a.status_reason,
  a.rescheduled_from, a.pending_move_from, a.probable_no_show_at, a.expected_start_at, a.version, a.created_at`;

export interface AppointmentRow {
  id: string;
  slot_id: string | null;
  elastic_allocation_id: string | null;
  patient_id: string;
  doctor_id: string;
  clinic_id: string;
  service_id: string | null;
  starts_at: Date;
  ends_at: Date;
  status: AppointmentStatus;
  hold_expires_at: Date | null;
  payment_status: PaymentStatus;
  fee_minor: number;
  transaction_fee_minor: number;
  currency: string;
  amount_due_minor: number;
  status_reason: string | null;
  rescheduled_from: string | null;
  pending_move_from: string | null;
  probable_no_show_at: Date | null;
  expected_start_at: Date | null;
  version: number;
  created_at: Date;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

export function appointmentView(row: AppointmentRow): AppointmentView {
  return {
    id: row.id,
    slotId: row.slot_id,
    elasticAllocationId: row.elastic_allocation_id,
    patientId: row.patient_id,
    doctorId: row.doctor_id,
    clinicId: row.clinic_id,
    serviceId: row.service_id,
    start: iso(row.starts_at)!,
    end: iso(row.ends_at)!,
    status: row.status,
    holdExpiresAt: iso(row.hold_expires_at),
    paymentStatus: row.payment_status,
    feeMinor: row.fee_minor,
    transactionFeeMinor: row.transaction_fee_minor,
    currency: row.currency,
    amountDueMinor: row.amount_due_minor,
    statusReason: row.status_reason,
    rescheduledFrom: row.rescheduled_from,
    pendingMoveFrom: row.pending_move_from,
    probableNoShowAt: iso(row.probable_no_show_at),
    expectedStartAt: iso(row.expected_start_at),
    version: row.version,
    createdAt: iso(row.created_at)!,
  };
}

export function appointmentChange(
  row: AppointmentRow & { patient_user_id: string },
  cause: string,
  before: { previousDoctorId?: string; previousStatus?: AppointmentStatus } = {},
): AppointmentChange {
  return {
    ...(before.previousDoctorId && before.previousDoctorId !== row.doctor_id ? { previousDoctorId: before.previousDoctorId } : {}),
    ...(before.previousStatus ? { previousStatus: before.previousStatus } : {}),
    appointmentId: row.id,
    patientId: row.patient_id,
    patientUserId: row.patient_user_id,
    doctorId: row.doctor_id,
    clinicId: row.clinic_id,
    slotId: row.slot_id,
    elasticAllocationId: row.elastic_allocation_id,
    start: iso(row.starts_at)!,
    end: iso(row.ends_at)!,
    status: row.status,
    version: row.version,
    holdExpiresAt: iso(row.hold_expires_at),
    cause,
  };
}
