/**
 * Factories: each call writes fresh rows of what its name says, straight to the app's database (the
 * routes that would make them have tests of their own), and returns them. Nothing here is shared
 * between tests, so no test can see another's data by accident. People are signed in without the
 * login route (the login flow has its own tests).
 */
import { randomUUID } from "node:crypto";
import { addDays, clinicSettingsSchema, type ClinicRole, type SlotKind, type SlotStatus, type SubscriptionTier, type UserRole } from "@clinic/shared";
import { Appointment } from "../../server/src/modules/booking/appointment.entity";
import { Clinic } from "../../server/src/modules/directory/clinic.entity";
import { Doctor } from "../../server/src/modules/directory/doctor.entity";
import { ClinicMembership } from "../../server/src/modules/directory/membership.entity";
import { Patient } from "../../server/src/modules/directory/patient.entity";
import { ClinicService } from "../../server/src/modules/directory/service.entity";
import { Specialty } from "../../server/src/modules/directory/specialty.entity";
import { hashPassword } from "../../server/src/modules/identity/password";
import { AuthSession } from "../../server/src/modules/identity/session.entity";
import { signAccessToken } from "../../server/src/modules/identity/tokens";
import { UserAccount } from "../../server/src/modules/identity/user.entity";
import { Slot } from "../../server/src/modules/scheduling/slot.entity";
import { at, dayFromNow, middayZone, mondayIn, ZONE } from "./dates";
import { fork, query } from "./db";
import type { HasRuntime } from "./harness";

// People ------------------------------------------------------------------------------------------

export const TEST_PASSWORD = "correct horse battery";
let cachedHash: Promise<string> | undefined;

export interface TestPerson {
  user: UserAccount;
  token: string;
  doctorId?: string;
  patientId?: string;
  /** `{ authorization: "Bearer …" }` */
  headers: Record<string, string>;
}

/**
 * An active, verified account of `role`, signed in. Staff get memberships of `clinicIds`; doctors
 * get an approved profile working at `clinicIds`; patients get a profile.
 */
export async function buildPerson(
  app: HasRuntime,
  role: UserRole,
  options: { clinicIds?: string[]; email?: string; approved?: boolean } = {},
): Promise<TestPerson> {
  const em = fork(app);
  cachedHash ??= hashPassword(TEST_PASSWORD);
  const email = options.email ?? `${role}-${randomUUID().slice(0, 8)}@test.clinic`;
  const user = em.create(UserAccount, {
    email,
    phone: null,
    passwordHash: await cachedHash,
    role,
    displayName: `${role} ${email.split("@")[0]}`,
    emailVerifiedAt: new Date(),
  });
  const clinicIds = options.clinicIds ?? [];
  let doctorId: string | undefined;
  let patientId: string | undefined;
  if (role === "receptionist" || role === "clinic_admin") {
    for (const clinicId of clinicIds) em.create(ClinicMembership, { user, clinic: clinicId, role: role as ClinicRole });
  }
  if (role === "doctor") {
    const doctor = em.create(Doctor, {
      user,
      displayName: user.displayName,
      approvalStatus: options.approved === false ? "pending" : "approved",
    });
    for (const clinicId of clinicIds) doctor.clinics.add(em.getReference(Clinic, clinicId));
    doctorId = doctor.id;
  }
  if (role === "patient") {
    patientId = em.create(Patient, {
      user,
      fullName: user.displayName,
      email,
    }).id;
  }
  const session = em.create(AuthSession, { user, expiresAt: new Date(Date.now() + 86_400_000) });
  await em.flush();
  const token = signAccessToken(app.runtime.config.auth.jwtSecret, { sub: user.id, sid: session.id, role });
  return { user, token, doctorId, patientId, headers: { authorization: `Bearer ${token}` } };
}

/** A signed-in doctor working at `clinicIds` (with an employment profile when given). */
export async function buildDoctor(
  app: HasRuntime,
  clinicIds: string[],
  profile: { employmentType?: "full_time" | "part_time" | "locum"; maxHoursPerWeek?: number | null } = {},
): Promise<TestPerson & { doctorId: string }> {
  const person = await buildPerson(app, "doctor", { clinicIds });
  if (Object.keys(profile).length) await fork(app).nativeUpdate(Doctor, { id: person.doctorId! }, profile);
  return { ...person, doctorId: person.doctorId! };
}

/**
 * A signed-in patient on a subscription `tier` (standard unless told). `relatedTo` a doctor's id
 * records a doctor–patient relation (a vise patient with one books that doctor free).
 */
export async function buildPatient(
  app: HasRuntime,
  options: { tier?: SubscriptionTier; relatedTo?: string } = {},
): Promise<TestPerson & { patientId: string }> {
  const person = await buildPerson(app, "patient");
  await query(app, `update patient set subscription_tier = ? where id = ?`, [options.tier ?? "standard", person.patientId]);
  if (options.relatedTo) {
    await query(app, `insert into doctor_patient (id, doctor_id, patient_id, created_at) values (gen_random_uuid(), ?, ?, now())`, [
      options.relatedTo,
      person.patientId,
    ]);
  }
  return { ...person, patientId: person.patientId! };
}

export type NamedPatient = TestPerson & { patientId: string; name: string; phone: string };

let phoneCounter = Math.floor(Math.random() * 1_000_000);
/** A patient (no subscription) with a full name and a phone number, which a display must never show. */
export async function buildNamedPatient(app: HasRuntime, name = `Zelda ${randomUUID().slice(0, 6)} Quartermain`): Promise<NamedPatient> {
  const person = await buildPerson(app, "patient");
  const phone = `+4477009${String(phoneCounter++ % 1_000_000).padStart(6, "0")}`;
  await query(app, `update patient set full_name = ?, phone = ? where id = ?`, [name, phone, person.patientId]);
  await query(app, `update user_account set phone = ? where id = ?`, [phone, person.user.id]);
  return { ...person, patientId: person.patientId!, name, phone };
}

export interface DoctorSpec {
  clinicIds: string[];
  specialtyIds?: string[];
  languages?: string[];
  approved?: boolean;
  displayName?: string;
}

/** Listed doctors (with accounts that never sign in), in one flush; returns their ids in order. */
export async function buildDoctors(app: HasRuntime, specs: DoctorSpec[]): Promise<string[]> {
  const em = fork(app);
  const ids = specs.map((spec, i) => {
    const user = em.create(UserAccount, {
      email: `doc-${i}-${randomUUID().slice(0, 8)}@test.clinic`,
      phone: null,
      passwordHash: "unused",
      role: "doctor",
      displayName: spec.displayName ?? `Dr ${i}`,
    });
    const doctor = em.create(Doctor, {
      user,
      displayName: spec.displayName ?? `Dr ${i}`,
      approvalStatus: spec.approved === false ? "pending" : "approved",
      languages: spec.languages ?? ["en"],
    });
    for (const clinicId of spec.clinicIds) doctor.clinics.add(em.getReference(Clinic, clinicId));
    for (const specialtyId of spec.specialtyIds ?? []) doctor.specialties.add(em.getReference(Specialty, specialtyId));
    return doctor.id;
  });
  await em.flush();
  return ids;
}

// Clinics -----------------------------------------------------------------------------------------

/** A clinic in `timeZone` (Europe/London unless told) with the default settings plus `settings`. */
export async function buildClinic(
  app: HasRuntime,
  options: { name?: string; timeZone?: string; settings?: Record<string, unknown>; phone?: string } = {},
): Promise<Clinic> {
  const em = fork(app);
  const name = options.name ?? `Clinic ${randomUUID().slice(0, 8)}`;
  const clinic = em.create(Clinic, {
    slug: name.toLowerCase().replace(/[^a-z0-9]+/g, "-"),
    name,
    timeZone: options.timeZone ?? ZONE,
    settings: clinicSettingsSchema.parse(options.settings ?? {}),
    phone: options.phone ?? null,
  });
  await em.flush();
  return clinic;
}

/** A clinic whose local time is now about midday (see `middayZone`), for tests about "today". */
export const buildMiddayClinic = (app: HasRuntime, settings: Record<string, unknown> = {}) =>
  buildClinic(app, { timeZone: middayZone(), settings });

/** A clinic, a doctor working there and a receptionist of it. */
export async function buildClinicWithDoctor(app: HasRuntime) {
  const clinic = await buildClinic(app);
  const doctor = await buildDoctor(app, [clinic.id]);
  const reception = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
  return { clinicId: clinic.id, doctor, reception };
}

/** Merges `settings` into the clinic's settings. */
export async function setClinicSettings(app: HasRuntime, clinicId: string, settings: Record<string, unknown>): Promise<void> {
  await query(app, `update clinic set settings = settings || ?::jsonb where id = ?`, [JSON.stringify(settings), clinicId]);
}

export async function buildSpecialty(app: HasRuntime, name = `Specialty ${randomUUID().slice(0, 8)}`): Promise<string> {
  const em = fork(app);
  const specialty = em.create(Specialty, { name });
  await em.flush();
  return specialty.id;
}

/** A service of the clinic, `durationMinutes` long; returns its id. */
export async function buildClinicService(app: HasRuntime, clinicId: string, durationMinutes: number): Promise<string> {
  const em = fork(app);
  const service = em.create(ClinicService, { clinic: clinicId, name: `Service ${randomUUID().slice(0, 8)}`, durationMinutes, colour: "#336699" });
  await em.flush();
  return service.id;
}

/** A weekly Mon–Fri availability-rule body (09:00–12:00, 30-minute slots, the next two weeks). */
export function weekdayRule(clinicId: string, overrides: Record<string, unknown> = {}) {
  return {
    clinicId,
    recurrence: { freq: "weekly", interval: 1, weekdays: [1, 2, 3, 4, 5] },
    validFrom: mondayIn(1),
    validUntil: addDays(mondayIn(1), 13),
    startTime: "09:00",
    endTime: "12:00",
    slotMinutes: 30,
    ...overrides,
  };
}

// Slots -------------------------------------------------------------------------------------------

const MINUTE = 60_000;

export interface SlotAt {
  doctorId: string;
  clinicId: string;
  start: Date;
  minutes?: number;
  kind?: SlotKind;
  status?: "available" | "held" | "booked";
  holdExpiresAt?: Date | null;
  /** Exempt from the no-overlap constraint, so a test may place it anywhere. */
  overbooked?: boolean;
}

/** One slot of the doctor at `start`, `minutes` (15) long. */
export async function buildSlot(app: HasRuntime, spec: SlotAt): Promise<Slot> {
  const em = fork(app);
  const slot = em.create(Slot, {
    doctor: spec.doctorId,
    clinic: spec.clinicId,
    startsAt: spec.start,
    endsAt: new Date(spec.start.getTime() + (spec.minutes ?? 15) * MINUTE),
    status: spec.status ?? "available",
    kind: spec.kind ?? "regular",
    holdExpiresAt: spec.holdExpiresAt ?? null,
    overbooked: spec.overbooked ?? false,
    version: 1,
  });
  await em.flush();
  return slot;
}

/**
 * A slot on today's timetable, starting `fromNowMinutes` from now (negative: already started) or at
 * `startsAt`. It is overbooked, so fixtures place appointments and walk-in slots freely.
 */
export async function buildSlotFromNow(
  app: HasRuntime,
  spec: Omit<SlotAt, "start" | "overbooked" | "holdExpiresAt"> & { fromNowMinutes: number; startsAt?: Date },
): Promise<Slot> {
  const { fromNowMinutes, startsAt, ...slot } = spec;
  return buildSlot(app, { ...slot, start: startsAt ?? new Date(Date.now() + fromNowMinutes * MINUTE), overbooked: true });
}

export interface SlotRun {
  doctorId: string;
  clinicId: string;
  count: number;
  /** Local day in ZONE, "YYYY-MM-DD"; five days from now unless told. */
  date?: string;
  /** Local "HH:MM" of the first slot; 09:00 unless told. */
  from?: string;
  /** Each slot's length; 15 unless told. */
  minutes?: number;
  status?: SlotStatus | ((index: number) => SlotStatus);
  kind?: SlotKind;
  serviceId?: string | null;
  tags?: string[];
}

/** `count` back-to-back slots of the doctor from `from` on `date` (in ZONE); returns them in order. */
export async function buildSlots(app: HasRuntime, spec: SlotRun): Promise<Slot[]> {
  const em = fork(app);
  const minutes = spec.minutes ?? 15;
  const first = at(spec.date ?? dayFromNow(5), spec.from ?? "09:00").getTime();
  const slots: Slot[] = [];
  for (let i = 0; i < spec.count; i++) {
    const status = typeof spec.status === "function" ? spec.status(i) : (spec.status ?? "available");
    slots.push(
      em.create(Slot, {
        doctor: spec.doctorId,
        clinic: spec.clinicId,
        service: spec.serviceId ?? null,
        startsAt: new Date(first + i * minutes * MINUTE),
        endsAt: new Date(first + (i + 1) * minutes * MINUTE),
        status,
        kind: spec.kind ?? "regular",
        tags: spec.tags ?? [],
        holdExpiresAt: status === "held" ? new Date(Date.now() + 600_000) : null,
        version: 1,
      }),
    );
  }
  await em.flush();
  return slots;
}

export interface SlotGrid {
  doctorIds: string[];
  clinicId: string;
  /** First local day, "YYYY-MM-DD". */
  firstDay: string;
  days: number;
  perDay: number;
  /** Local wall-clock time of the first slot each day. */
  startTime?: string;
  minutes?: number;
  serviceId?: string | null;
}

/**
 * doctors × days × perDay available regular slots at local times in the clinic's zone, by one
 * `insert … select from generate_series` (so DST days come out as the clinic sees them); returns how many.
 */
export async function buildSlotGrid(app: HasRuntime, grid: SlotGrid): Promise<number> {
  const rows = await query<{ n: number }>(
    app,
    `with inserted as (
       insert into slot (id, doctor_id, clinic_id, service_id, starts_at, ends_at)
       select gen_random_uuid(), doc.id, c.id, ?::uuid,
              (day::date + ?::time + k * make_interval(mins => ?)) at time zone c.time_zone,
              (day::date + ?::time + (k + 1) * make_interval(mins => ?)) at time zone c.time_zone
         from clinic c,
              unnest(string_to_array(?, ',')::uuid[]) doc(id),
              generate_series(?::date, ?::date + (? - 1), interval '1 day') day,
              generate_series(0, ? - 1) k
        where c.id = ?
       returning 1)
     select count(*)::int as n from inserted`,
    [
      grid.serviceId ?? null,
      grid.startTime ?? "09:00",
      grid.minutes ?? 30,
      grid.startTime ?? "09:00",
      grid.minutes ?? 30,
      grid.doctorIds.join(","),
      grid.firstDay,
      grid.firstDay,
      grid.days,
      grid.perDay,
      grid.clinicId,
    ],
  );
  return rows[0]!.n;
}

// Appointments ------------------------------------------------------------------------------------

/** An appointment of the patient in `slot` (scheduled unless told). */
export async function buildAppointment(
  app: HasRuntime,
  spec: { slot: Slot; patientId: string; status?: "pending" | "scheduled" | "cancelled" },
): Promise<Appointment> {
  const em = fork(app);
  const appointment = em.create(Appointment, {
    slot: spec.slot.id,
    patient: spec.patientId,
    doctor: spec.slot.doctor.id,
    clinic: spec.slot.clinic.id,
    startsAt: spec.slot.startsAt,
    endsAt: spec.slot.endsAt,
    status: spec.status ?? "scheduled",
  });
  await em.flush();
  return appointment;
}

/** A scheduled appointment on today's timetable, on a booked slot of its own (see `buildSlotFromNow`). */
export async function buildAppointmentFromNow(
  app: HasRuntime,
  spec: { doctorId: string; clinicId: string; patientId: string; fromNowMinutes: number; minutes?: number },
): Promise<Appointment> {
  const { patientId, ...when } = spec;
  const slot = await buildSlotFromNow(app, { ...when, status: "booked" });
  return buildAppointment(app, { slot, patientId });
}

let pastOffset = 0;

/** A past appointment of a new (or given) patient with the doctor, moved to `status` (completed); each in its own past slot. */
export async function buildPastAppointment(
  app: HasRuntime,
  spec: { doctorId: string; clinicId: string; status?: string; patient?: TestPerson & { patientId: string }; fullName?: string },
) {
  const patient = spec.patient ?? (await buildPatient(app));
  if (spec.fullName) await query(app, `update patient set full_name = ? where id = ?`, [spec.fullName, patient.patientId]);
  pastOffset += 1;
  const slot = await buildSlot(app, {
    doctorId: spec.doctorId,
    clinicId: spec.clinicId,
    start: new Date(Date.now() - (pastOffset + 1) * 30 * MINUTE),
    status: "booked",
  });
  const appointment = await buildAppointment(app, { slot, patientId: patient.patientId });
  await query(app, `update appointment set status = ? where id = ?`, [spec.status ?? "completed", appointment.id]);
  return { patient, appointmentId: appointment.id };
}

// Queue and loyalty ---------------------------------------------------------------------------------

let tickets = 0;

export interface QueueEntrySpec {
  clinicId: string;
  serviceDay: string;
  doctorId: string | null;
  patientId: string;
  kind?: "appointment" | "walk_in" | "emergency";
  status?: "waiting" | "called" | "in_room" | "done" | "left";
  appointmentId?: string;
  /** Minutes before now (PostgreSQL's clock). */
  arrivedAgo: number;
  calledAgo?: number;
  startedAgo?: number;
  finishedAgo?: number;
}

/** A queue entry as the queue's routes would leave it, with its times set minutes before now. */
export async function buildQueueEntry(app: HasRuntime, spec: QueueEntrySpec): Promise<{ id: string; ticket: string }> {
  const id = randomUUID();
  tickets += 1;
  const ticket = `${spec.kind === "appointment" ? "A" : spec.kind === "emergency" ? "E" : "W"}-${String(tickets).padStart(3, "0")}`;
  await query(
    app,
    `insert into queue_entry (id, clinic_id, doctor_id, patient_id, appointment_id, kind, service_day, ticket, status,
                              arrived_at, called_at, started_at, finished_at, version, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?::date, ?, ?,
             now() - make_interval(mins => ?), now() - make_interval(mins => ?), now() - make_interval(mins => ?), now() - make_interval(mins => ?),
             1, now(), now())`,
    [
      id,
      spec.clinicId,
      spec.doctorId,
      spec.patientId,
      spec.appointmentId ?? null,
      spec.kind ?? "walk_in",
      spec.serviceDay,
      ticket,
      spec.status ?? "waiting",
      spec.arrivedAgo,
      spec.calledAgo ?? null,
      spec.startedAgo ?? null,
      spec.finishedAgo ?? null,
    ],
  );
  return { id, ticket };
}

/** Loyalty points awarded without an appointment (what a completed visit's job writes, minus the visit). */
export async function grantPoints(app: HasRuntime, patientId: string, clinicId: string, points: number): Promise<void> {
  await query(
    app,
    `insert into loyalty_points_entry (id, patient_id, clinic_id, appointment_id, kind, points, created_at) values (gen_random_uuid(), ?, ?, null, 'award', ?, now())`,
    [patientId, clinicId, points],
  );
}
