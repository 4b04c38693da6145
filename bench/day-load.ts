/**
 * The clinic day's load: open-loop booking journeys and queue actions at target rates, through HTTP
 * on keep-alive connections. A booking journey: GET /slots for a doctor's week → POST /appointments
 * (Idempotency-Key) on a free slot → confirm (pay at clinic) or pay (a Checkout completion signed as
 * Stripe signs it, posted to the webhook) → a share cancel, a share reschedule. Queue: receptionists
 * check in today's appointments; doctors call the next patient, start and finish the visit.
 * Every request is timed per route; 409 on a hold is a contested slot (expected), anything else
 * outside 2xx, and every network error, is an error.
 */
import http from "node:http";
import { addDays, zonedToInstant } from "@clinic/shared";
import { paidSession, signedEvent, type StripeStandin } from "../tests/support/stripe-standin";
import type { Region, SeededDoctor } from "./day-seed";

export const now = () => performance.timeOrigin + performance.now();

interface Reply {
  status: number;
  body: Record<string, unknown> | null;
  /** Arrival of the whole reply, epoch ms. */
  at: number;
}

export interface RouteStats {
  latencies: number[];
  errors: number;
  contested: number;
}

export interface Outcomes {
  routes: Map<string, RouteStats>;
  /** Error replies by route and status/code, for the report. */
  errorKinds: Map<string, number>;
  /** Reply arrival (epoch ms) of holds and confirms by slot, `slotId|held` / `slotId|booked`, with the slot's doctor. */
  commits: Map<string, { at: number; doctorId: string }>;
  /** Completion times (epoch ms) of booked visits (confirmed or paid) and of queue actions. */
  booked: number[];
  queueActions: number[];
  journeys: { started: number; dropped: number; noFreeSlot: number; paid: number; cancelled: number; rescheduled: number };
  queue: { checkIns: number; calls: number; nobodyReady: number; noArrivalLeft: number };
}

export function newOutcomes(): Outcomes {
  return {
    routes: new Map(),
    errorKinds: new Map(),
    commits: new Map(),
    booked: [],
    queueActions: [],
    journeys: { started: 0, dropped: 0, noFreeSlot: 0, paid: 0, cancelled: 0, rescheduled: 0 },
    queue: { checkIns: 0, calls: 0, nobodyReady: 0, noArrivalLeft: 0 },
  };
}

export interface LoadOptions {
  base: string;
  region: Region;
  stripe: StripeStandin;
  webhookSecret: string;
  bookingsPerSecond: number;
  queuePerSecond: number;
  cancelShare: number;
  rescheduleShare: number;
  /** Journeys in flight beyond which a tick is dropped (counted): the load stays bounded. */
  maxInFlight: number;
}

class RouteTimer {
  constructor(
    private readonly outcomes: Outcomes,
    private readonly agent: http.Agent,
    private readonly base: string,
    /** Requests count only while recording (the measured window), not in the warm-up. */
    public recording = { on: false },
  ) {}

  /** Once the load stops, journeys and calls take no further step (their requests answer status 0 unsent). */
  stopped = false;

  /** Sends one request; records its latency under `route` and classifies the answer. */
  request(route: string, method: string, path: string, headers: Record<string, string>, body?: unknown, options: { contestable?: boolean; raw?: string } = {}): Promise<Reply> {
    if (this.stopped) return Promise.resolve({ status: 0, body: null, at: now() });
    const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const started = performance.now();
    const recording = this.recording.on;
    return new Promise<Reply>((resolve) => {
      const finish = (status: number, text: string) => {
        const at = now();
        let json: Record<string, unknown> | null = null;
        if (text.startsWith("{")) json = JSON.parse(text) as Record<string, unknown>;
        // A request abandoned when the load stopped (status 0 after stop) is not an answer of the server's.
        if (recording && !(this.stopped && status === 0)) {
          const stats = this.stats(route);
          stats.latencies.push(performance.now() - started);
          if (status === 409 && options.contestable) stats.contested++;
          else if (status < 200 || status >= 300) {
            stats.errors++;
            const kind = `${route} → ${status || "network"} ${String(json?.code ?? (status ? "" : text))}`;
            this.outcomes.errorKinds.set(kind, (this.outcomes.errorKinds.get(kind) ?? 0) + 1);
          }
        }
        resolve({ status, body: json, at });
      };
      const request = http.request(
        `${this.base}${path}`,
        { method, agent: this.agent, headers: { ...headers, ...(payload !== undefined ? { "content-type": "application/json" } : {}) } },
        (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (text += chunk));
          response.on("end", () => finish(response.statusCode ?? 0, text));
          response.on("error", (error: NodeJS.ErrnoException) => finish(0, error.code ?? error.message));
        },
      );
      request.setTimeout(30_000, () => request.destroy(Object.assign(new Error("client timeout"), { code: "CLIENT_TIMEOUT" })));
      request.on("error", (error: NodeJS.ErrnoException) => finish(0, error.code ?? error.message));
      request.end(payload);
    });
  }

  private stats(route: string): RouteStats {
    let stats = this.outcomes.routes.get(route);
    if (!stats) this.outcomes.routes.set(route, (stats = { latencies: [], errors: 0, contested: 0 }));
    return stats;
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * Starts both generators; `stop()` ends the ticks and resolves once everything in flight has
 * answered. `recording.on` switches the measured window on and off.
 */
export function startLoad(options: LoadOptions, outcomes: Outcomes) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const timer = new RouteTimer(outcomes, agent, `${options.base}/api/v1`);
  const { region } = options;
  const inFlight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };
  /** Slots a journey has chosen once: never chosen again, so each hold's screen event is unambiguous. */
  const used = new Set<string>();
  let nextPatient = 0;
  let journeysInFlight = 0;
  // A doctor's week from the day after tomorrow (the patients' cancel cutoff is 24 h).
  const weekStart = (day: number) => zonedToInstant(addDays(region.today, 2 + day), "00:00", region.zone).toISOString();

  const freeSlots = (reply: Reply) =>
    ((reply.body?.items as { id: string; type: string; status: string }[] | undefined) ?? []).filter(
      (item) => item.type === "slot" && item.status === "available" && !used.has(item.id),
    );
  const take = (items: { id: string }[]) => {
    const item = items[Math.floor(Math.random() * items.length)];
    if (item) used.add(item.id);
    return item?.id;
  };

  async function journey(): Promise<void> {
    const patient = region.patients[nextPatient++ % region.patients.length]!;
    const doctor = region.doctors[Math.floor(Math.random() * region.doctors.length)]!;
    const headers = bearer(patient.token);
    const from = weekStart(Math.floor(Math.random() * 5));
    const week = await timer.request("GET /slots (doctor's week)", "GET", `/slots?doctorId=${doctor.id}&from=${encodeURIComponent(from)}&limit=100`, headers);
    if (week.status !== 200) return;
    const choices = freeSlots(week);
    const slotId = take(choices);
    if (!slotId) return void outcomes.journeys.noFreeSlot++;
    const held = await timer.request("POST /appointments", "POST", "/appointments", { ...headers, "idempotency-key": crypto.randomUUID() }, { slotId }, { contestable: true });
    if (held.status !== 201) return;
    outcomes.commits.set(`${slotId}|held`, { at: held.at, doctorId: doctor.id });
    const appointmentId = held.body!.id as string;
    if (held.body!.next === "pay") {
      const sessionId = /\/pay\/([^/?]+)/.exec(String(held.body!.checkoutUrl))?.[1];
      const session = sessionId ? options.stripe.sessions.get(sessionId) : undefined;
      if (!session) {
        outcomes.errorKinds.set("paid hold without a checkout session", (outcomes.errorKinds.get("paid hold without a checkout session") ?? 0) + 1);
        return;
      }
      const delivery = signedEvent("checkout.session.completed", paidSession(session), { secret: options.webhookSecret });
      const paid = await timer.request("POST /payments/webhook (paid)", "POST", "/payments/webhook", { "stripe-signature": delivery.signature }, undefined, {
        raw: delivery.payload,
      });
      if (paid.status !== 200 || paid.body?.outcome !== "booked") return;
      outcomes.journeys.paid++;
      outcomes.commits.set(`${slotId}|booked`, { at: paid.at, doctorId: doctor.id });
    } else {
      const confirmed = await timer.request("POST /appointments/:id/confirm", "POST", `/appointments/${appointmentId}/confirm`, headers);
      if (confirmed.status !== 200) return;
      outcomes.commits.set(`${slotId}|booked`, { at: confirmed.at, doctorId: doctor.id });
    }
    if (timer.recording.on) outcomes.booked.push(now());
    const fate = Math.random();
    if (fate < options.cancelShare) {
      const cancelled = await timer.request("POST /appointments/:id/cancel", "POST", `/appointments/${appointmentId}/cancel`, headers, { reason: "bench: plans changed" });
      if (cancelled.status === 200) outcomes.journeys.cancelled++;
    } else if (fate < options.cancelShare + options.rescheduleShare) {
      const target = take(choices.filter((item) => item.id !== slotId));
      if (!target) return;
      const moved = await timer.request("POST /appointments/:id/reschedule", "POST", `/appointments/${appointmentId}/reschedule`, headers, { slotId: target }, { contestable: true });
      if (moved.status === 200) outcomes.journeys.rescheduled++;
    }
  }

  // ---- queue: check-ins feed each doctor's waiting count; a call takes an idle doctor with someone waiting.
  const waiting = new Map<string, number>();
  const ready: SeededDoctor[] = [];
  const busy = new Set<string>();
  const doctorById = new Map(region.doctors.map((doctor) => [doctor.id, doctor]));
  const receptionOf = new Map(region.clinics.map((clinic) => [clinic.id, clinic.receptionToken]));
  let nextArrival = 0;
  const markReady = (doctor: SeededDoctor) => {
    if (!busy.has(doctor.id) && (waiting.get(doctor.id) ?? 0) > 0 && !ready.includes(doctor)) ready.push(doctor);
  };

  async function checkIn(): Promise<void> {
    const arrival = region.arrivals[nextArrival++];
    if (!arrival) return void outcomes.queue.noArrivalLeft++;
    const reply = await timer.request("POST /clinics/:id/queue/check-in", "POST", `/clinics/${arrival.clinicId}/queue/check-in`, bearer(receptionOf.get(arrival.clinicId)!), {
      appointmentId: arrival.appointmentId,
    });
    if (reply.status !== 201) return;
    if (timer.recording.on) outcomes.queueActions.push(now());
    outcomes.queue.checkIns++;
    waiting.set(arrival.doctorId, (waiting.get(arrival.doctorId) ?? 0) + 1);
    markReady(doctorById.get(arrival.doctorId)!);
  }

  async function callNext(): Promise<void> {
    const doctor = ready.shift();
    if (!doctor) return void outcomes.queue.nobodyReady++;
    busy.add(doctor.id);
    try {
      const headers = bearer(doctor.token);
      const called = await timer.request("POST /doctors/:id/queue/call-next", "POST", `/doctors/${doctor.id}/queue/call-next`, headers, { clinicId: doctor.clinicId });
      const entry = called.body?.entry as { id: string; version: number } | null | undefined;
      if (called.status !== 200 || !entry) return;
      if (timer.recording.on) outcomes.queueActions.push(now());
      outcomes.queue.calls++;
      waiting.set(doctor.id, (waiting.get(doctor.id) ?? 1) - 1);
      const started = await timer.request("POST /queue-entries/:id/start", "POST", `/queue-entries/${entry.id}/start`, headers, { version: entry.version });
      if (started.status !== 200) return;
      await timer.request("POST /queue-entries/:id/finish", "POST", `/queue-entries/${entry.id}/finish`, headers, { version: (started.body as { version: number }).version });
    } finally {
      busy.delete(doctor.id);
      markReady(doctor);
    }
  }

  // ---- open-loop ticks: each generator owes floor(rate × elapsed) actions and sends what it owes.
  let running = true;
  let queueOnlyCheckIns = true;
  const origin = performance.now();
  const sent = { journeys: 0, queue: 0 };
  const tick = setInterval(() => {
    if (!running) return;
    const elapsed = (performance.now() - origin) / 1000;
    while (sent.journeys < Math.floor(elapsed * options.bookingsPerSecond)) {
      sent.journeys++;
      if (timer.recording.on) outcomes.journeys.started++;
      if (journeysInFlight >= options.maxInFlight) {
        if (timer.recording.on) outcomes.journeys.dropped++;
        continue;
      }
      journeysInFlight++;
      track(journey().finally(() => journeysInFlight--));
    }
    while (sent.queue < Math.floor(elapsed * options.queuePerSecond)) {
      sent.queue++;
      // Check-ins and calls alternate; in the warm-up only check-ins, so patients are waiting when calls begin.
      track(queueOnlyCheckIns || sent.queue % 2 === 0 ? checkIn() : callNext());
    }
  }, 5);

  return {
    timer,
    /** The measured window begins: calls join the check-ins. */
    record(on: boolean) {
      timer.recording.on = on;
      if (on) queueOnlyCheckIns = false;
    },
    /**
     * Ends the ticks and every journey after its current request; requests still queued for a
     * connection are abandoned, so stopping an overloaded run takes seconds, not the backlog's drain.
     */
    async stop() {
      running = false;
      clearInterval(tick);
      timer.stopped = true;
      for (const queued of Object.values(agent.requests)) for (const request of queued ?? []) request.destroy();
      while (inFlight.size) await Promise.allSettled([...inFlight]);
      agent.destroy();
    },
  };
}
