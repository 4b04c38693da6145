/** Pure packing of elastic blocks: expected starts, offers, insertion into gaps, move and resize. */
import { describe, expect, it } from "vitest";
import { insertAllocation, moveAllocation, offers, pack, PackingError, resizeAllocation, type PackItem } from "../../server/src/modules/scheduling/elastic";

const start = new Date("2026-12-01T09:00:00Z");
const minutesAfter = (date: Date | null) => (date ? (date.getTime() - start.getTime()) / 60_000 : null);
const item = (id: string, durationMinutes: number, position: number, status: PackItem["status"] = "proposed"): PackItem => ({
  id,
  durationMinutes,
  position,
  status,
});
const starts = (sequence: PackItem[]) => Object.fromEntries(pack(start, sequence).map((p) => [p.id, minutesAfter(p.expectedStartAt)]));

describe("elastic packing", () => {
  it("packs in position order; freed allocations take no time", () => {
    const items = [item("c", 30, 2), item("a", 10, 0, "confirmed"), item("b", 20, 1, "freed"), item("d", 5, 3)];
    expect(starts(items.sort((x, y) => x.position - y.position))).toEqual({ a: 0, b: 10, c: 10, d: 40 });
    expect(pack(start, items).map((p) => p.position)).toEqual([0, 1, 2, 3]);
  });

  it("offers the end and the places of freed allocations long enough, never past capacity", () => {
    const items = [item("a", 10, 0), item("b", 20, 1, "freed"), item("c", 30, 2), item("d", 5, 3, "freed")];
    const found = offers({ startsAt: start, capacityMinutes: 60 }, items, 15);
    expect(found.map((o) => [minutesAfter(o.start), o.position, o.kind])).toEqual([
      [10, 1, "gap"],
      [40, 4, "end"],
    ]);
    expect(offers({ startsAt: start, capacityMinutes: 60 }, items, 21)).toEqual([]); // 40 used + 21 > 60
    expect(offers({ startsAt: start, capacityMinutes: 60 }, [], 60).map((o) => minutesAfter(o.end))).toEqual([60]);
  });

  it("an allocation put in a freed place takes it over; elsewhere it pushes later ones back", () => {
    const items = [item("a", 10, 0), item("b", 20, 1, "freed"), item("c", 30, 2)];
    const gap = insertAllocation(60, items, item("n", 15, 0), 1);
    expect(gap.refilled).toEqual(["b"]);
    expect(starts(gap.sequence)).toEqual({ a: 0, n: 10, c: 25 });
    const front = insertAllocation(60, items, item("n", 15, 0), 0);
    expect(front.refilled).toEqual([]);
    expect(starts(front.sequence)).toEqual({ n: 0, a: 15, b: 25, c: 25 });
    expect(() => insertAllocation(60, items, item("n", 21, 0))).toThrow(PackingError);
    expect(() => insertAllocation(60, items, item("n", 5, 0), 4)).toThrow(/position/);
  });

  it("moves and resizes re-time everything after", () => {
    const items = [item("a", 10, 0), item("b", 20, 1), item("c", 30, 2)];
    expect(starts(moveAllocation(items, "c", 0))).toEqual({ c: 0, a: 30, b: 40 });
    expect(starts(resizeAllocation(60, items, "a", 5))).toEqual({ a: 0, b: 5, c: 25 });
    expect(() => resizeAllocation(60, items, "a", 11)).toThrow(/would need 61/);
    expect(() => moveAllocation([...items, item("f", 5, 3, "freed")], "f", 0)).toThrow(/freed/);
  });
});
