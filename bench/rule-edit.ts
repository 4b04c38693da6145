/**
 * Editing an availability rule that has laid a doctor's whole horizon (Mon–Fri 09:00–16:00 in
 * 15-minute slots over the default 90 days: ~1,800 future slots). For each edit: the time to the
 * reply and until its domain events are delivered (the outbox idle: the socket fan-out done), and the
 * events it published on `slots:{doctorId}` and `doctor:{doctorId}`; one edit at a time on one
 * doctor (EDITS edits, after one warm-up), then DOCTORS edits at once, one per doctor. A note-only
 * edit replies once the rule is committed; the outbox's `rule-annotations` subscriber then writes the
 * note onto every free slot in chunks ("settled" includes it, and each note edit is checked to have
 * reached every free slot); a colour-only edit writes no slot at all. Issue 18's target, an edit of
 * internal fields replying in < 50 ms, is printed for both.
 * Baseline, same run, same rules: a service change, which changes every slot's public view and so
 * republishes every slot — what a note-only edit did before issue 17.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { topics } from "@clinic/shared";
import { topicStateKey } from "../server/src/platform/events";
import { buildClinic, buildClinicService, buildDoctor, buildPerson, weekdayRule, type TestPerson } from "../tests/support/factories";
import { dayFromNow } from "../tests/support/dates";
import { startBenchApi, startBenchServices } from "./support";

const EDITS = Number(process.env.BENCH_REQUESTS ?? 6);
const DOCTORS = Number(process.env.BENCH_CONCURRENCY ?? 8);

interface Edit {
  replyMs: number;
  settledMs: number;
  publicEvents: number;
  staffEvents: number;
}

const services = await startBenchServices();
try {
  const { runtime, url } = await startBenchApi(services);
  const app = { runtime };
  const seq = async (topic: string) => Number((await runtime.redis.hget(topicStateKey(runtime.config.redis.prefix, topic), "seq")) ?? 0);

  const clinic = await buildClinic(app);
  const admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinic.id] });
  const serviceIds = [await buildClinicService(app, clinic.id, 15), await buildClinicService(app, clinic.id, 15)];
  const doctors = await Promise.all(Array.from({ length: DOCTORS }, () => buildDoctor(app, [clinic.id])));

  async function send(person: TestPerson, method: string, path: string, body: unknown) {
    const response = await fetch(`${url}/api/v1${path}`, { method, headers: { ...person.headers, "content-type": "application/json" }, body: JSON.stringify(body) });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path} → ${response.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as { rule: { id: string }; materialisation: { created: number; kept: number } };
  }

  const rules: string[] = [];
  for (const doctor of doctors) {
    const created = await send(admin, "POST", `/doctors/${doctor.doctorId}/availability-rules`, {
      ...weekdayRule(clinic.id, { validFrom: dayFromNow(0), validUntil: null, startTime: "09:00", endTime: "16:00", slotMinutes: 15 }),
      serviceId: serviceIds[0],
      note: "note 0",
    });
    rules.push(created.rule.id);
  }
  const [counted] = await (runtime.orm.em.fork() as EntityManager).execute<{ n: number }[]>(
    `select count(*)::int as n from slot where rule_id = ? and starts_at > now()`,
    [rules[0]],
  );

  /** Each doctor's rule's service, by index into `serviceIds`; a service change moves it to the other. */
  const serviceOf = doctors.map(() => 0);
  let round = 0;
  type Change = (doctor: number) => Record<string, unknown>;
  /** PATCHes the rule of doctor `i` with `change(i)`; times the reply and the delivery of its events. */
  async function edit(i: number, change: Change): Promise<Edit> {
    const doctorId = doctors[i]!.doctorId;
    const before = [await seq(topics.slots(doctorId)), await seq(topics.doctor(doctorId))];
    const started = performance.now();
    await send(admin, "PATCH", `/availability-rules/${rules[i]}`, change(i));
    const replyMs = performance.now() - started;
    await runtime.outbox.idle();
    const settledMs = performance.now() - started;
    const [stale] = await (runtime.orm.em.fork() as EntityManager).execute<{ n: number }[]>(
      `select count(*)::int as n from slot s join availability_rule r on r.id = s.rule_id
        where r.id = ? and s.starts_at > now() and s.status = 'available' and s.note is distinct from r.note`,
      [rules[i]],
    );
    if (stale!.n > 0) throw new Error(`${stale!.n} free slots of rule ${rules[i]} lack its note once the outbox is idle`);
    return { replyMs, settledMs, publicEvents: (await seq(topics.slots(doctorId))) - before[0]!, staffEvents: (await seq(topics.doctor(doctorId))) - before[1]! };
  }

  async function oneAtATime(change: Change): Promise<Edit[]> {
    await edit(0, change);
    const edits: Edit[] = [];
    for (let n = 0; n < EDITS; n++) edits.push(await edit(0, change));
    return edits;
  }
  const allAtOnce = (change: Change) => Promise.all(doctors.map((_, i) => edit(i, change)));

  const serviceChange: Change = (i) => ({ serviceId: serviceIds[(serviceOf[i] = 1 - serviceOf[i]!)] });
  const noteChange: Change = () => ({ note: `note ${++round}` });
  const colourChange: Change = () => ({ colour: `#0000${(++round % 256).toString(16).padStart(2, "0")}` });
  const cases: [string, Edit[]][] = [
    ["baseline: service change, one at a time", await oneAtATime(serviceChange)],
    ["note-only edit, one at a time", await oneAtATime(noteChange)],
    ["colour-only edit, one at a time", await oneAtATime(colourChange)],
    [`baseline: service change, ${DOCTORS} at once`, await allAtOnce(serviceChange)],
    [`note-only edit, ${DOCTORS} at once`, await allAtOnce(noteChange)],
  ];

  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const max = (values: number[]) => Math.max(...values);
  const baselines = [cases[0]![1], cases[0]![1], cases[0]![1], cases[3]![1], cases[3]![1]];
  const lines = [
    `\nRule edit over ~${counted!.n} future slots per doctor (${EDITS} edits one at a time after a warm-up; ${DOCTORS} doctors at once)`,
    "case".padEnd(42) + "reply p50".padStart(11) + "max".padStart(8) + "settled p50".padStart(13) + "max".padStart(8) + "slots: ev".padStart(11) + "doctor: ev".padStart(12) + "  settled p50 vs baseline",
    ...cases.map(([name, edits], i) => {
      const ratio = median(edits.map((e) => e.settledMs)) / median(baselines[i]!.map((e) => e.settledMs));
      return (
        name.padEnd(42) +
        median(edits.map((e) => e.replyMs)).toFixed(0).padStart(11) +
        max(edits.map((e) => e.replyMs)).toFixed(0).padStart(8) +
        median(edits.map((e) => e.settledMs)).toFixed(0).padStart(13) +
        max(edits.map((e) => e.settledMs)).toFixed(0).padStart(8) +
        median(edits.map((e) => e.publicEvents)).toFixed(0).padStart(11) +
        median(edits.map((e) => e.staffEvents)).toFixed(0).padStart(12) +
        `  ${ratio.toFixed(3)}×`
      );
    }),
    "(times in ms; events: median per edit)",
    ...[1, 2].map((i) => {
      const [name, edits] = cases[i]!;
      const reply = median(edits.map((e) => e.replyMs));
      const baseline = median(baselines[i]!.map((e) => e.replyMs));
      return `target < 50 ms reply — ${name}: ${reply.toFixed(0)} ms (${reply < 50 ? "met" : "not met"}; baseline ${baseline.toFixed(0)} ms, ${(reply / baseline).toFixed(3)}×)`;
    }),
    "",
  ];
  process.stdout.write(lines.join("\n"));
  await runtime.close();
} finally {
  await services.stop();
}
