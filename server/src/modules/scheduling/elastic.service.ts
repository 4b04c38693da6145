/**
 * Elastic blocks and their allocations. Every change to a block runs in one transaction holding the
 * block row `FOR UPDATE`, so concurrent allocations queue on the row and each sees the one before it:
 * capacity can never be overflowed. Each change re-packs the sequence (see elastic.ts), bumps the
 * block's version and is audited.
 */
import { LockMode } from "@mikro-orm/core";
import type { EntityManager } from "@mikro-orm/postgresql";
import { recordEvents } from "../../platform/outbox";
import { LAPSED_BOOKING_HOLD, blockChange, readBlocks, recordBlockChanges } from "./elastic.store";
import type { AllocationReply, CreateAllocationRequest, CreateElasticBlockRequest, ElasticAllocationView, ElasticBlockView } from "@clinic/shared";
import { conflict, notFound, unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { Patient } from "../directory";
import { writeTransaction } from "../../platform/transactions";
import { ElasticAllocation, ElasticBlock } from "./elastic.entity";
import { insertAllocation, moveAllocation, offers, pack, PackingError, resizeAllocation, sequenceOf, usedMinutes, type Offer, type PackItem } from "./elastic";

const MINUTE = 60_000;

/**
 * Serialises changes to one doctor's schedule for the rest of the transaction. Anyone creating a
 * doctor's slots or blocks should take the same lock (key: hashtextextended('schedule:doctor:' || id, 0)).
 */
export async function lockDoctorSchedule(tx: EntityManager, doctorId: string): Promise<void> {
  await tx.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`schedule:doctor:${doctorId}`]);
}

function allocationView(allocation: ElasticAllocation): ElasticAllocationView {
  return {
    id: allocation.id,
    blockId: allocation.block.id,
    serviceId: allocation.service?.id ?? null,
    patientId: allocation.patient?.id ?? null,
    durationMinutes: allocation.durationMinutes,
    position: allocation.position,
    expectedStartAt: allocation.expectedStartAt.toISOString(),
    status: allocation.status,
  };
}

function blockView(block: ElasticBlock, allocations: ElasticAllocation[]): ElasticBlockView {
  const ordered = [...allocations].sort((a, b) => (a.position < 0 ? 1e9 : a.position) - (b.position < 0 ? 1e9 : b.position));
  return {
    id: block.id,
    doctorId: block.doctor.id,
    clinicId: block.clinic.id,
    startsAt: block.startsAt.toISOString(),
    endsAt: block.endsAt.toISOString(),
    capacityMinutes: block.capacityMinutes,
    usedMinutes: usedMinutes(allocations),
    note: block.note ?? null,
    version: block.version,
    allocations: ordered.map(allocationView),
  };
}

/** The guard's facts about a block: its clinic and doctor. 404 when absent. */
export async function elasticBlockScope(em: EntityManager, blockId: string): Promise<{ clinicId: string; doctorId: string }> {
  const block = await em.findOne(ElasticBlock, { id: blockId });
  if (!block) throw notFound("Elastic block");
  return { clinicId: block.clinic.id, doctorId: block.doctor.id };
}

export async function allocationScope(em: EntityManager, allocationId: string): Promise<{ clinicId: string; doctorId: string }> {
  const allocation = await em.findOne(ElasticAllocation, { id: allocationId }, { populate: ["block"] });
  if (!allocation) throw notFound("Allocation");
  return { clinicId: allocation.block.clinic.id, doctorId: allocation.block.doctor.id };
}

export function createElasticBlock(em: EntityManager, actor: AuditActor, doctorId: string, input: CreateElasticBlockRequest): Promise<ElasticBlockView> {
  return writeTransaction(em, async (tx) => {
    await lockDoctorSchedule(tx, doctorId);
    const startsAt = new Date(input.startsAt);
    const endsAt = new Date(input.endsAt);
    const lengthMinutes = Math.floor((endsAt.getTime() - startsAt.getTime()) / MINUTE);
    const capacityMinutes = input.capacityMinutes ?? lengthMinutes;
    if (capacityMinutes > lengthMinutes) {
      throw unprocessable("CAPACITY_TOO_LARGE", `capacityMinutes may be at most the block's ${lengthMinutes} minutes`, { field: "body.capacityMinutes" });
    }
    const [works] = await tx.execute<{ n: number }[]>(`select count(*)::int as n from doctor_clinic where doctor_id = ? and clinic_id = ?`, [doctorId, input.clinicId]);
    if (!works?.n) throw unprocessable("DOCTOR_NOT_AT_CLINIC", { field: "body.clinicId" });
    const [clash] = await tx.execute<{ slots: number; blocks: number }[]>(
      `select (select count(*)::int from slot where doctor_id = ? and status <> 'expired' and period && tstzrange(?, ?, '[)')) as slots,
              (select count(*)::int from elastic_block where doctor_id = ? and starts_at < ? and ends_at > ?) as blocks`,
      [doctorId, startsAt, endsAt, doctorId, endsAt, startsAt],
    );
    if (clash && (clash.slots > 0 || clash.blocks > 0)) {
      throw conflict("SCHEDULE_OVERLAP", {
        overlappingSlots: clash.slots,
        overlappingBlocks: clash.blocks,
      });
    }
    const block = tx.create(ElasticBlock, { doctor: doctorId, clinic: input.clinicId, startsAt, endsAt, capacityMinutes, note: input.note ?? null });
    await tx.flush();
    const after = blockView(block, []);
    recordAudit(tx, actor, { action: "scheduling.elastic_block.create", entityType: "ElasticBlock", entityId: block.id, clinicId: input.clinicId, after });
    await tx.flush();
    return after;
  });
}

export async function getElasticBlock(em: EntityManager, blockId: string): Promise<ElasticBlockView> {
  const block = await em.findOne(ElasticBlock, { id: blockId });
  if (!block) throw notFound("Elastic block");
  return blockView(block, await em.find(ElasticAllocation, { block: blockId }));
}

async function serviceMinutes(em: EntityManager, clinicId: string, serviceId: string): Promise<number> {
  const [row] = await em.execute<{ duration_minutes: number }[]>(
    `select duration_minutes from clinic_service where id = ? and clinic_id = ? and active`,
    [serviceId, clinicId],
  );
  if (!row) throw unprocessable("SERVICE_NOT_AT_CLINIC", "Not an active service of the block's clinic", { field: "serviceId" });
  return row.duration_minutes;
}

const packItem = (allocation: ElasticAllocation): PackItem => ({
  id: allocation.id,
  durationMinutes: allocation.durationMinutes,
  position: allocation.position,
  status: allocation.status,
});

export async function elasticOffers(
  em: EntityManager,
  blockId: string,
  length: { serviceId?: string; minutes?: number },
): Promise<{ minutes: number; items: Offer[] }> {
  const block = await em.findOne(ElasticBlock, { id: blockId });
  if (!block) throw notFound("Elastic block");
  const minutes = length.minutes ?? (await serviceMinutes(em, block.clinic.id, length.serviceId!));
  const items = (await blockPackItems(em, [blockId])).get(blockId) ?? [];
  return { minutes, items: offers(block, items, minutes) };
}

/** SQL: the allocation `al` belongs to a booking whose hold has lapsed (it reads as freed). */

/**
 * The blocks' allocations as the packing sees them now: an allocation whose booking hold has lapsed
 * counts as freed for every reader, even before the worker expires the hold.
 */
export async function blockPackItems(em: EntityManager, blockIds: string[]): Promise<Map<string, PackItem[]>> {
  const byBlock = new Map<string, PackItem[]>(blockIds.map((id) => [id, []]));
  if (blockIds.length === 0) return byBlock;
  const rows = await em.execute<{ id: string; block_id: string; duration_minutes: number; position: number; status: PackItem["status"] }[]>(
    `select al.id, al.block_id, al.duration_minutes, al.position,
            case when ${LAPSED_BOOKING_HOLD} then 'freed' else al.status end as status
       from elastic_allocation al where al.block_id = any(?::uuid[])`,
    [`{${blockIds.join(",")}}`],
  );
  for (const row of rows) byBlock.get(row.block_id)!.push({ id: row.id, durationMinutes: row.duration_minutes, position: row.position, status: row.status });
  return byBlock;
}

/** A block as the booking path sees it, locked for the rest of the transaction. */
export interface LockedBlock {
  id: string;
  doctorId: string;
  clinicId: string;
  startsAt: Date;
  endsAt: Date;
  capacityMinutes: number;
}

/** Locks the block row: every change to a block queues here (see the top of this file). */
export async function lockBlock(tx: EntityManager, blockId: string): Promise<LockedBlock> {
  const [row] = await tx.execute<{ id: string; doctor_id: string; clinic_id: string; starts_at: Date; ends_at: Date; capacity_minutes: number }[]>(
    `select id, doctor_id, clinic_id, starts_at, ends_at, capacity_minutes from elastic_block where id = ? for update`,
    [blockId],
  );
  if (!row) throw notFound("Elastic block");
  return {
    id: row.id,
    doctorId: row.doctor_id,
    clinicId: row.clinic_id,
    startsAt: new Date(row.starts_at),
    endsAt: new Date(row.ends_at),
    capacityMinutes: row.capacity_minutes,
  };
}

/**
 * Books the offer that starts at `start` in a locked block: takes a freed allocation's place or the
 * end of the sequence, as `offers()` proposes. Null when no offer starts there any more (the block
 * filled up, or the place was taken): the caller answers SLOT_TAKEN.
 */
export async function placeAllocation(
  tx: EntityManager,
  block: LockedBlock,
  input: { start: Date; minutes: number; serviceId: string | null; patientId: string; status: "proposed" | "confirmed" },
): Promise<{ allocationId: string; start: Date; end: Date } | null> {
  const items = (await blockPackItems(tx, [block.id])).get(block.id)!;
  const offer = offers(block, items, input.minutes).find((candidate) => candidate.start.getTime() === input.start.getTime());
  if (!offer) return null;
  const placement = insertAllocation(block.capacityMinutes, items, { id: "new", durationMinutes: input.minutes, position: offer.position, status: input.status }, offer.position);
  if (placement.refilled.length > 0) {
    await tx.execute(`update elastic_allocation set position = -1, updated_at = now() where id = any(?::uuid[])`, [`{${placement.refilled.join(",")}}`]);
  }
  const [created] = await tx.execute<{ id: string }[]>(
    `insert into elastic_allocation (id, block_id, service_id, patient_id, duration_minutes, position, expected_start_at, status, created_at, updated_at)
     values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?, now(), now()) returning id`,
    [block.id, input.serviceId, input.patientId, input.minutes, offer.position, offer.start, input.status],
  );
  await repackBlock(tx, block);
  return { allocationId: created!.id, start: offer.start, end: offer.end };
}

/** Sets a booked allocation's status; freeing gives its minutes back (later allocations move earlier). */
export async function setBookedAllocationStatus(tx: EntityManager, block: LockedBlock, allocationId: string, status: "confirmed" | "freed"): Promise<void> {
  await tx.execute(`update elastic_allocation set status = ?, updated_at = now() where id = ? and status <> 'freed'`, [status, allocationId]);
  if (status === "freed") await repackBlock(tx, block);
  else await tx.execute(`update elastic_block set version = version + 1, updated_at = now() where id = ?`, [block.id]);
}

/** Dense positions and expected starts from the stored order, and a new block version. */
async function repackBlock(tx: EntityManager, block: LockedBlock): Promise<void> {
  const rows = await tx.execute<{ id: string; duration_minutes: number; position: number; status: PackItem["status"] }[]>(
    `select id, duration_minutes, position, status from elastic_allocation where block_id = ? and position >= 0`,
    [block.id],
  );
  const packed = pack(
    block.startsAt,
    sequenceOf(rows.map((row) => ({ id: row.id, durationMinutes: row.duration_minutes, position: row.position, status: row.status }))),
  );
  await tx.execute(
    `update elastic_allocation al set position = p.position, expected_start_at = p.starts_at, updated_at = now()
       from unnest(?::uuid[], ?::int[], ?::timestamptz[]) as p(id, position, starts_at)
      where al.id = p.id and (al.position <> p.position or al.expected_start_at <> p.starts_at)`,
    [
      `{${packed.map((item) => item.id).join(",")}}`,
      `{${packed.map((item) => item.position).join(",")}}`,
      `{${packed.map((item) => `"${item.expectedStartAt!.toISOString()}"`).join(",")}}`,
    ],
  );
  await tx.execute(`update elastic_block set version = version + 1, updated_at = now() where id = ?`, [block.id]);
}

/**
 * Appointments booked on the block's allocations follow their allocation's expected start while
 * they have not begun. Returns the appointments whose times moved.
 */
export async function retimeBookedAllocations(tx: EntityManager, blockId: string): Promise<string[]> {
  const rows = await tx.execute<{ id: string }[]>(
    `update appointment a set starts_at = al.expected_start_at, ends_at = al.expected_start_at + make_interval(mins => al.duration_minutes),
            version = a.version + 1, updated_at = now()
       from elastic_allocation al
      where al.block_id = ? and a.elastic_allocation_id = al.id and a.status in ('pending', 'scheduled', 'checked_in')
        and (a.starts_at <> al.expected_start_at or a.ends_at <> al.expected_start_at + make_interval(mins => al.duration_minutes))
      returning a.id`,
    [blockId],
  );
  return rows.map((row) => row.id);
}

/** A staff change to a block: the reply, and the booked appointments whose times it moved (to publish). */
export interface AllocationOutcome {
  reply: AllocationReply;
  retimed: string[];
}

/**
 * Runs `change` on the locked block's allocations, then writes back the new order and expected
 * starts, bumps the version, re-times booked appointments and records the audit event.
 */
async function changeBlock(
  em: EntityManager,
  actor: AuditActor,
  blockId: string,
  action: string,
  change: (tx: EntityManager, block: ElasticBlock, allocations: ElasticAllocation[]) => Promise<{ sequence: PackItem[]; refilled?: string[]; subject: string }>,
): Promise<AllocationOutcome> {
  try {
    return await writeTransaction(em, async (tx) => {
      const block = await tx.findOne(ElasticBlock, { id: blockId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!block) throw notFound("Elastic block");
      const allocations = await tx.find(ElasticAllocation, { block: blockId });
      const before = blockView(block, allocations);
      const { sequence, refilled = [], subject } = await change(tx, block, allocations);
      await tx.flush();
      const all = await tx.find(ElasticAllocation, { block: blockId });
      const byId = new Map(all.map((allocation) => [allocation.id, allocation]));
      for (const packed of pack(block.startsAt, sequence)) {
        const allocation = byId.get(packed.id)!;
        allocation.position = packed.position;
        if (packed.expectedStartAt) allocation.expectedStartAt = packed.expectedStartAt;
      }
      for (const id of refilled) byId.get(id)!.position = -1;
      block.version += 1;
      await tx.flush();
      const retimed = await retimeBookedAllocations(tx, blockId);
      const after = blockView(block, all);
      recordAudit(tx, actor, { action, entityType: "ElasticAllocation", entityId: subject, clinicId: block.clinic.id, before, after });
      await tx.flush();
      // The block's new fill to its viewers; the bookings it moved are booking's to announce.
      await recordBlockChanges(tx, (await readBlocks(tx, [blockId])).map((row) => blockChange(row, "changed")));
      if (retimed.length > 0) await recordEvents(tx, [{ name: "block.bookings_retimed", data: { blockId, appointmentIds: retimed } }]);
      return { reply: { allocation: allocationView(byId.get(subject)!), block: after }, retimed };
    });
  } catch (error) {
    if (error instanceof PackingError) {
      throw error.code === "INVALID_POSITION" ? unprocessable(error.code, error.message) : conflict(error.code, error.message);
    }
    throw error;
  }
}

export function createAllocation(em: EntityManager, actor: AuditActor, blockId: string, input: CreateAllocationRequest): Promise<AllocationOutcome> {
  return changeBlock(em, actor, blockId, "scheduling.elastic_allocation.create", async (tx, block, allocations) => {
    const minutes = input.minutes ?? (await serviceMinutes(tx, block.clinic.id, input.serviceId!));
    if (input.patientId && !(await tx.findOne(Patient, { id: input.patientId }))) {
      throw unprocessable("PATIENT_NOT_FOUND", { field: "body.patientId" });
    }
    const placement = insertAllocation(
      block.capacityMinutes,
      allocations.map(packItem),
      { id: "new", durationMinutes: minutes, position: 0, status: "proposed" },
      input.position,
    );
    const allocation = tx.create(ElasticAllocation, {
      block,
      service: input.serviceId ?? null,
      patient: input.patientId ?? null,
      durationMinutes: minutes,
      position: 0,
      expectedStartAt: block.startsAt,
      status: "proposed",
    });
    const sequence = placement.sequence.map((item) => (item.id === "new" ? { ...item, id: allocation.id } : item));
    return { sequence, refilled: placement.refilled, subject: allocation.id };
  });
}

export type AllocationChange = { kind: "confirm" } | { kind: "free" } | { kind: "move"; position: number } | { kind: "resize"; minutes: number };

export async function changeAllocation(em: EntityManager, actor: AuditActor, allocationId: string, change: AllocationChange): Promise<AllocationOutcome> {
  const { blockId } = await em
    .findOne(ElasticAllocation, { id: allocationId })
    .then((allocation) => (allocation ? { blockId: allocation.block.id } : Promise.reject(notFound("Allocation"))));
  return changeBlock(em, actor, blockId, `scheduling.elastic_allocation.${change.kind}`, async (tx, block, allocations) => {
    const target = allocations.find((allocation) => allocation.id === allocationId);
    if (!target) throw notFound("Allocation");
    if (change.kind === "confirm" || change.kind === "free") {
      // A booked allocation follows its appointment: confirm, cancel or reschedule that instead.
      const [booked] = await tx.execute<{ id: string }[]>(`select id from appointment where elastic_allocation_id = ?`, [allocationId]);
      if (booked) {
        throw conflict("ALLOCATION_BOOKED", { appointmentId: booked.id });
      }
    }
    const items = allocations.map(packItem);
    switch (change.kind) {
      case "confirm":
        if (target.status === "freed") throw new PackingError("ALLOCATION_FREED", "A freed allocation cannot be confirmed");
        target.status = "confirmed";
        return { sequence: sequenceOf(items), subject: allocationId };
      case "free":
        target.status = "freed";
        return { sequence: sequenceOf(items.map((item) => (item.id === allocationId ? { ...item, status: "freed" as const } : item))), subject: allocationId };
      case "move":
        return { sequence: moveAllocation(items, allocationId, change.position), subject: allocationId };
      case "resize": {
        const sequence = resizeAllocation(block.capacityMinutes, items, allocationId, change.minutes);
        target.durationMinutes = change.minutes;
        return { sequence, subject: allocationId };
      }
    }
  });
}
