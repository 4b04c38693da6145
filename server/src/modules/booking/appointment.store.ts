/**
 * The SQL the booking service writes with: appointment reads and row locks, status changes through
 * the state machine, slot release, database errors mapped to problems, and the changes a transaction
 * collects for publishing after commit.
 */
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import type { EntityManager } from "@mikro-orm/postgresql";
import { canTransition, type AppointmentStatus } from "@clinic/shared";
import { DomainError } from "../../platform/problem";
import { APPOINTMENT_COLUMNS, appointmentChange, slotChange, type AppointmentRow, type SlotRow } from "./appointment.views";

export const SLOT_COLUMNS = `id, doctor_id, clinic_id, service_id, starts_at, ends_at, status, kind, version, hold_expires_at`;

/** A PostgreSQL array literal (MikroORM expands JS arrays into lists). */
export const pgArray = (ids: string[]) => `{${ids.join(",")}}`;

export const slotTaken = () => new DomainError(409, "SLOT_TAKEN", "The slot is no longer available");
export const notFound = () => new DomainError(404, "NOT_FOUND", "Appointment not found");

/** Changes collected inside a transaction, published after commit. */
export class Changes {
  readonly slots = new Map<string, string>();
  readonly appointments = new Map<string, string>();
  slot(id: string, cause: string) {
    this.slots.set(id, cause);
    return this;
  }
  appointment(id: string, cause: string) {
    this.appointments.set(id, cause);
    return this;
  }
  /** Reads the committed-to-be state inside the transaction. */
  async snapshot(tx: EntityManager) {
    const slotIds = [...this.slots.keys()];
    const apptIds = [...this.appointments.keys()];
    const [slots, appointments] = await Promise.all([
      slotIds.length ? tx.execute<SlotRow[]>(`select ${SLOT_COLUMNS} from slot where id = any(?::uuid[])`, [pgArray(slotIds)]) : [],
      apptIds.length
        ? tx.execute<(AppointmentRow & { patient_user_id: string })[]>(
            `select ${APPOINTMENT_COLUMNS}, p.user_id as patient_user_id from appointment a join patient p on p.id = a.patient_id where a.id = any(?::uuid[])`,
            [pgArray(apptIds)],
          )
        : [],
    ]);
    return {
      slots: slots.map((row) => slotChange(row, this.slots.get(row.id)!)),
      appointments: appointments.map((row) => appointmentChange(row, this.appointments.get(row.id)!)),
    };
  }
}

export type Snapshot = Awaited<ReturnType<Changes["snapshot"]>>;

export async function lockedAppointment(tx: EntityManager, id: string): Promise<AppointmentRow> {
  const [row] = await tx.execute<AppointmentRow[]>(`select ${APPOINTMENT_COLUMNS} from appointment a where a.id = ? for update`, [id]);
  if (!row) throw notFound();
  return row;
}

export async function readAppointment(em: EntityManager, id: string): Promise<AppointmentRow> {
  const [row] = await em.execute<AppointmentRow[]>(`select ${APPOINTMENT_COLUMNS} from appointment a where a.id = ?`, [id]);
  if (!row) throw notFound();
  return row;
}

export async function setAppointmentStatus(
  tx: EntityManager,
  row: AppointmentRow,
  to: AppointmentStatus,
  changedBy: string | null,
  reason: string | null,
): Promise<void> {
  if (!canTransition(row.status, to)) {
    throw new DomainError(409, "ILLEGAL_TRANSITION", `An appointment cannot go from ${row.status} to ${to}`, { from: row.status, to });
  }
  await tx.execute(
    `update appointment set status = ?, status_reason = coalesce(?, status_reason), status_changed_by_id = ?,
       hold_expires_at = case when ? = 'pending' then hold_expires_at else null end, version = version + 1, updated_at = now()
     where id = ?`,
    [to, reason, changedBy, to, row.id],
  );
}

/** Frees the slot an appointment held or booked (only while it is still held/booked). */
export async function releaseSlot(tx: EntityManager, slotId: string): Promise<void> {
  await tx.execute(
    `update slot set status = 'available', hold_expires_at = null, version = version + 1, updated_at = now()
      where id = ? and status in ('held', 'booked')`,
    [slotId],
  );
}

export function mapDatabaseError(error: unknown): never {
  if (error instanceof UniqueConstraintViolationException) throw slotTaken();
  const code = (error as { code?: string }).code;
  if (code === "40P01" || code === "40001") throw new DomainError(409, "CONCURRENT_CHANGE", "Changed concurrently; try again");
  throw error;
}
