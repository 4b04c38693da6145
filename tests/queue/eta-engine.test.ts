/** The pure ETA engine: rolling means and fallbacks, overruns, breaks, early running, booked times. */
import { describe, expect, it } from "vitest";
import {
  breaksFromSchedule,
  DEFAULT_MINUTES,
  estimateDay,
  expectedMinutes,
  ROLLING_WINDOW,
  type DayInput,
  type WaitingEntry,
} from "../../server/src/modules/queue/eta";

const T0 = Date.parse("2026-03-02T09:00:00Z");
/** 2026-03-02 at minute `m` after 09:00 UTC. */
const at = (m: number) => new Date(T0 + m * 60_000);
const mins = (date: Date) => (date.getTime() - T0) / 60_000;

const day = (overrides: Partial<DayInput>): DayInput => ({
  now: at(0),
  inRoom: null,
  finished: [],
  waiting: [],
  later: [],
  breaks: [],
  ...overrides,
});
const walkIn = (id: string, arrived: number, extra: Partial<WaitingEntry> = {}): WaitingEntry => ({
  entryId: id,
  kind: "walk_in",
  status: "waiting",
  arrivedAt: at(arrived),
  ...extra,
});
const starts = (estimate: ReturnType<typeof estimateDay>) =>
  Object.fromEntries([
    ...estimate.entries.map((e) => [e.entryId, mins(e.expectedAt)]),
    ...estimate.appointments.map((a) => [a.appointmentId, mins(a.expectedAt)]),
  ]);

describe("expected consultation length", () => {
  it("is the mean of today's lengths for the service, then for any service, then the service's duration, then the booked length, then the default", () => {
    const finished = [
      { serviceId: "s1", minutes: 10 },
      { serviceId: "s2", minutes: 30 },
      { serviceId: "s1", minutes: 20 },
    ];
    expect(expectedMinutes(finished, { serviceId: "s1", serviceMinutes: 60 })).toBe(15);
    expect(expectedMinutes(finished, { serviceId: "s3", serviceMinutes: 60 })).toBe(20);
    expect(expectedMinutes(finished, { serviceId: null, bookedMinutes: 45 })).toBe(20);
    expect(expectedMinutes([], { serviceId: "s1", serviceMinutes: 25, bookedMinutes: 45 })).toBe(25);
    expect(expectedMinutes([], { serviceId: "s1", serviceMinutes: null, bookedMinutes: 45 })).toBe(45);
    expect(expectedMinutes([], {})).toBe(DEFAULT_MINUTES);
  });

  it("rolls: only the last ROLLING_WINDOW consultations count", () => {
    const old = Array.from({ length: ROLLING_WINDOW }, () => ({ serviceId: "s1", minutes: 60 }));
    const recent = Array.from({ length: ROLLING_WINDOW }, () => ({ serviceId: "s1", minutes: 12 }));
    expect(expectedMinutes([...old, ...recent], { serviceId: "s1" })).toBe(12);
    expect(expectedMinutes([...old, ...recent.slice(0, ROLLING_WINDOW / 2)], { serviceId: "s1" })).toBe(36);
  });
});

describe("estimateDay", () => {
  it("queues waiting patients behind the one in the room at the expected lengths", () => {
    const estimate = estimateDay(
      day({
        now: at(5),
        inRoom: { entryId: "r", startedAt: at(0), serviceMinutes: 20 },
        waiting: [walkIn("w1", -10, { serviceMinutes: 10 }), walkIn("w2", -5, { serviceMinutes: 30 })],
      }),
    );
    expect(starts(estimate)).toEqual({ w1: 20, w2: 30 });
    expect(estimate.state).toBe("consulting");
    expect(mins(estimate.inRoomEndsAt!)).toBe(20);
  });

  it("an overrunning consultation pushes everyone later, and the ETAs drift with the clock", () => {
    const input = (now: number) =>
      day({
        now: at(now),
        inRoom: { entryId: "r", startedAt: at(0), serviceMinutes: 15 },
        waiting: [walkIn("w1", -10, { serviceMinutes: 15 })],
        later: [{ appointmentId: "a1", bookedStart: at(30), bookedMinutes: 15, serviceMinutes: 15 }],
      });
    expect(starts(estimateDay(input(10)))).toEqual({ w1: 15, a1: 30 });
    const overrun = estimateDay(input(40));
    expect(overrun.state).toBe("overrunning");
    expect(starts(overrun)).toEqual({ a1: 40, w1: 55 }); // the appointment has arrived by now: it goes before the walk-in
    expect(overrun.lateByMinutes).toBe(10);
    expect(starts(estimateDay(input(50)))).toEqual({ a1: 50, w1: 65 });
  });

  it("orders by the call rule: called, emergencies, ranked, appointments by booked time, walk-ins by arrival", () => {
    const estimate = estimateDay(
      day({
        now: at(0),
        waiting: ([
          walkIn("walk-early", -60),
          { entryId: "appt-late", kind: "appointment", status: "waiting", arrivedAt: at(-50), bookedStart: at(-5) },
          { entryId: "appt-early", kind: "appointment", status: "waiting", arrivedAt: at(-20), bookedStart: at(-10) },
          { entryId: "emergency", kind: "emergency", status: "waiting", arrivedAt: at(-1) },
          walkIn("ranked", -2, { manualRank: 1 }),
          walkIn("called", -3, { status: "called", calledAt: at(-1) }),
        ] satisfies WaitingEntry[]).map((entry) => ({ ...entry, serviceMinutes: 10 })),
      }),
    );
    expect(estimate.entries.map((entry) => entry.entryId)).toEqual(["called", "emergency", "ranked", "appt-early", "appt-late", "walk-early"]);
    expect(starts(estimate)).toMatchObject({ called: 0, emergency: 10, ranked: 20, "appt-early": 30, "appt-late": 40, "walk-early": 50 });
  });

  it("never expects a patient who has not arrived before the booked time; the doctor idles until then", () => {
    const estimate = estimateDay(
      day({
        now: at(0),
        later: [
          { appointmentId: "a1", bookedStart: at(30), bookedMinutes: 15 },
          { appointmentId: "a2", bookedStart: at(45), bookedMinutes: 15 },
        ],
      }),
    );
    expect(starts(estimate)).toEqual({ a1: 30, a2: 45 });
    expect(estimate.lateByMinutes).toBe(0);
    expect(estimate.state).toBe("idle");
  });

  it("runs early: a checked-in patient may be seen before the booked time when the doctor is free", () => {
    const estimate = estimateDay(
      day({
        now: at(0),
        finished: [{ serviceId: "s1", minutes: 5 }],
        waiting: [{ entryId: "e1", kind: "appointment", status: "waiting", arrivedAt: at(-5), bookedStart: at(20), serviceId: "s1" }],
        later: [{ appointmentId: "a2", bookedStart: at(35), serviceId: "s1" }],
      }),
    );
    expect(starts(estimate)).toEqual({ e1: 0, a2: 35 });
    expect(estimate.lateByMinutes).toBe(-20);
  });

  it("no consultation starts in a break; a running one is not cut by it", () => {
    const breaks = [{ start: at(20), end: at(50) }];
    const estimate = estimateDay(
      day({
        now: at(0),
        inRoom: { entryId: "r", startedAt: at(-5), serviceMinutes: 15 },
        waiting: [walkIn("w1", -10, { serviceMinutes: 15 }), walkIn("w2", -5, { serviceMinutes: 15 }), walkIn("w3", -1, { serviceMinutes: 15 })],
        breaks,
      }),
    );
    // w1 starts at 10 and runs into the break; w2 would start at 25, inside it: after the break.
    expect(starts(estimate)).toEqual({ w1: 10, w2: 50, w3: 65 });
    expect(estimateDay(day({ now: at(30), breaks })).state).toBe("on_break");
  });

  it("nobody is expected before the day opens unless the doctor has started", () => {
    const waiting = [walkIn("w1", -30, { serviceMinutes: 10 })];
    expect(starts(estimateDay(day({ now: at(-20), waiting, opensAt: at(0) })))).toEqual({ w1: 0 });
    expect(starts(estimateDay(day({ now: at(-20), waiting, opensAt: at(0), finished: [{ serviceId: null, minutes: 10 }] })))).toEqual({ w1: -20 });
  });

  it("lateness comes from the appointment in the room when nobody else is booked", () => {
    const estimate = estimateDay(
      day({ now: at(25), inRoom: { entryId: "r", startedAt: at(5), bookedStart: at(0), bookedMinutes: 15, serviceMinutes: 15 } }),
    );
    expect(estimate.state).toBe("overrunning");
    expect(estimate.lateByMinutes).toBe(10);
  });
});

describe("breaksFromSchedule", () => {
  it("blocked periods and gaps of at least 15 minutes between working periods are breaks; short buffers are not", () => {
    const working = [
      { start: at(0), end: at(15) },
      { start: at(20), end: at(35) }, // 5-minute buffer before: not a break
      { start: at(60), end: at(75) }, // 25-minute gap before: a break
      { start: at(75), end: at(90) },
    ];
    const blocked = [{ start: at(90), end: at(100) }];
    const breaks = breaksFromSchedule(working, blocked).map((b) => [mins(b.start), mins(b.end)]);
    expect(breaks).toEqual([
      [35, 60],
      [90, 100],
    ]);
  });
});
