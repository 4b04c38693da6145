/**
 * Elastic blocks, packed: pure functions, no I/O.
 *
 * The block's allocations form one sequence by `position` (0, 1, 2, … with no holes). Proposed and
 * confirmed allocations take their minutes back to back from the block's start:
 * expectedStartAt = block start + the minutes of every earlier allocation that is not freed.
 * A freed allocation keeps its place as a *gap marker*: its minutes are given back (later patients
 * move earlier) and a new allocation no longer than it may take its place, so nobody after it ends
 * later than they did before it was freed. Once refilled, the marker leaves the sequence (position -1).
 */

export type AllocationStatus = "proposed" | "confirmed" | "freed";

export interface PackItem {
  id: string;
  durationMinutes: number;
  position: number;
  status: AllocationStatus;
}

export interface Packed {
  id: string;
  position: number;
  /** null for a refilled gap marker (its time is history and stays as it was). */
  expectedStartAt: Date | null;
}

export interface Offer {
  start: Date;
  end: Date;
  position: number;
  kind: "end" | "gap";
}

const MINUTE = 60_000;
const isLive = (item: PackItem) => item.status !== "freed";

/** The sequence (refilled gap markers left out), in position order. */
export function sequenceOf<T extends PackItem>(items: T[]): T[] {
  return items.filter((item) => item.position >= 0).sort((a, b) => a.position - b.position);
}

export function usedMinutes(items: PackItem[]): number {
  return items.filter(isLive).reduce((sum, item) => sum + item.durationMinutes, 0);
}

/** Dense positions and expected starts for a sequence in its intended order. */
export function pack(blockStart: Date, sequence: PackItem[]): Packed[] {
  let offset = 0;
  return sequence.map((item, position) => {
    const packed = { id: item.id, position, expectedStartAt: new Date(blockStart.getTime() + offset * MINUTE) };
    if (isLive(item)) offset += item.durationMinutes;
    return packed;
  });
}

/**
 * Where an allocation of `minutes` fits: the place of each freed allocation at least that long,
 * and the end of the sequence; none when the block's capacity would overflow. One offer per start.
 */
export function offers(block: { startsAt: Date; capacityMinutes: number }, items: PackItem[], minutes: number): Offer[] {
  if (usedMinutes(items) + minutes > block.capacityMinutes) return [];
  const sequence = sequenceOf(items);
  const found: Offer[] = [];
  let offset = 0;
  sequence.forEach((item, position) => {
    if (isLive(item)) offset += item.durationMinutes;
    else if (item.durationMinutes >= minutes) found.push(offer(block.startsAt, offset, minutes, position, "gap"));
  });
  found.push(offer(block.startsAt, offset, minutes, sequence.length, "end"));
  const seen = new Set<number>();
  return found.filter((o) => (seen.has(o.start.getTime()) ? false : (seen.add(o.start.getTime()), true)));
}

function offer(blockStart: Date, offset: number, minutes: number, position: number, kind: Offer["kind"]): Offer {
  const start = new Date(blockStart.getTime() + offset * MINUTE);
  return { start, end: new Date(start.getTime() + minutes * MINUTE), position, kind };
}

export class PackingError extends Error {
  constructor(readonly code: "BLOCK_FULL" | "INVALID_POSITION" | "ALLOCATION_FREED", message: string) {
    super(message);
  }
}

export interface Placement {
  /** The new order of the sequence (refilled markers excluded). */
  sequence: PackItem[];
  /** Gap markers taken over by the change: they leave the sequence. */
  refilled: string[];
}

/**
 * Adds `added` at `position` (default: the end). On a freed allocation's place it takes that
 * place; elsewhere it is inserted and the later ones move back.
 */
export function insertAllocation(capacityMinutes: number, items: PackItem[], added: PackItem, position?: number): Placement {
  if (usedMinutes(items) + added.durationMinutes > capacityMinutes) {
    throw new PackingError("BLOCK_FULL", `The block has ${capacityMinutes - usedMinutes(items)} minutes left; ${added.durationMinutes} asked`);
  }
  const sequence = sequenceOf(items);
  const at = position ?? sequence.length;
  if (at < 0 || at > sequence.length) throw new PackingError("INVALID_POSITION", `position must be between 0 and ${sequence.length}`);
  const replaced = sequence[at];
  if (replaced && !isLive(replaced)) {
    sequence.splice(at, 1, added);
    return { sequence, refilled: [replaced.id] };
  }
  sequence.splice(at, 0, added);
  return { sequence, refilled: [] };
}

/** Moves a live allocation to `position` in the sequence. */
export function moveAllocation(items: PackItem[], id: string, position: number): PackItem[] {
  const sequence = sequenceOf(items);
  const index = sequence.findIndex((item) => item.id === id);
  const moving = sequence[index];
  if (!moving) throw new PackingError("INVALID_POSITION", "The allocation is not in the block's sequence");
  if (!isLive(moving)) throw new PackingError("ALLOCATION_FREED", "A freed allocation cannot move");
  if (position < 0 || position >= sequence.length) throw new PackingError("INVALID_POSITION", `position must be between 0 and ${sequence.length - 1}`);
  sequence.splice(index, 1);
  sequence.splice(position, 0, moving);
  return sequence;
}

/** Changes a live allocation's length, refusing when the block would overflow. */
export function resizeAllocation(capacityMinutes: number, items: PackItem[], id: string, minutes: number): PackItem[] {
  const target = items.find((item) => item.id === id);
  if (!target) throw new PackingError("INVALID_POSITION", "No such allocation in the block");
  if (!isLive(target)) throw new PackingError("ALLOCATION_FREED", "A freed allocation cannot be resized");
  const used = usedMinutes(items) - target.durationMinutes + minutes;
  if (used > capacityMinutes) {
    throw new PackingError("BLOCK_FULL", `Resizing to ${minutes} minutes would need ${used} of the block's ${capacityMinutes}`);
  }
  return sequenceOf(items.map((item) => (item.id === id ? { ...item, durationMinutes: minutes } : item)));
}
