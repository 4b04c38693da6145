/**
 * The clinic day's region, seeded by set-based SQL (`generate_series`), not through HTTP: clinics in
 * one zone where it is now about midday (so "today" holds still for the run), doctors with accounts
 * and one clinic each, a free ("pay at clinic") and a paid service per clinic, standard-tier patients
 * with accounts, a receptionist per clinic, two waiting-room display tokens per clinic, and
 * `DAYS` days × 16 half-hour slots per doctor from today. Today's first slots carry scheduled
 * appointments for the receptionists to check in. Every account gets a session row, and its access
 * token is signed with identity's own `signAccessToken` (as the login route does after the password
 * check), so 20,000 patients are signed in without 20,000 scrypt logins.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type pg from "pg";
import { clinicSettingsSchema } from "@clinic/shared";
import { signAccessToken } from "../server/src/modules/identity/tokens";
import { middayZone } from "../tests/support/dates";

export const SLOTS_PER_DAY = 16;

export interface RegionSize {
  clinics: number;
  doctors: number;
  patients: number;
  days: number;
  /** Scheduled appointments today per doctor, for check-ins (at most SLOTS_PER_DAY). */
  todayPerDoctor: number;
  /** One slot in `paidEvery` has the paid service (the rest are paid at the clinic: free online). */
  paidEvery: number;
}

export interface SeededDoctor {
  id: string;
  clinicId: string;
  token: string;
}

export interface Region {
  zone: string;
  /** Today in the clinic zone, YYYY-MM-DD. */
  today: string;
  clinics: { id: string; receptionToken: string; displayTokens: string[] }[];
  doctors: SeededDoctor[];
  patients: { id: string; token: string }[];
  /** Today's scheduled appointments, in the order they are checked in (spread over doctors). */
  arrivals: { appointmentId: string; clinicId: string; doctorId: string }[];
  slots: number;
}

/** Runs `text` and returns its rows. */
async function rows<Row>(client: pg.Client, text: string, values: unknown[] = []): Promise<Row[]> {
  return (await client.query(text, values)).rows as Row[];
}

export async function seedRegion(client: pg.Client, size: RegionSize, jwtSecret: string): Promise<Region> {
  const zone = middayZone();
  const settings = JSON.stringify(clinicSettingsSchema.parse({}));
  await client.query("begin");
  // Numbered ids, so each table's rows can be joined to their clinic, doctor or patient by number.
  await client.query(`create temp table day_clinic on commit drop as
    select i, gen_random_uuid() as id, gen_random_uuid() as reception_user_id,
           gen_random_uuid() as free_service_id, gen_random_uuid() as paid_service_id
      from generate_series(1, $1::int) i`, [size.clinics]);
  await client.query(`create temp table day_doctor on commit drop as
    select i, gen_random_uuid() as id, gen_random_uuid() as user_id, 1 + (i - 1) % $2::int as clinic_i
      from generate_series(1, $1::int) i`, [size.doctors, size.clinics]);
  await client.query(`create temp table day_patient on commit drop as
    select i, gen_random_uuid() as id, gen_random_uuid() as user_id from generate_series(1, $1::int) i`, [size.patients]);

  await client.query(
    `insert into clinic (id, slug, name, time_zone, settings)
     select id, 'day-clinic-' || i, 'Day clinic ' || i, $1, $2::jsonb from day_clinic`,
    [zone, settings],
  );
  await client.query(`insert into clinic_service (id, clinic_id, name, duration_minutes, colour, price_minor, payment_required)
    select free_service_id, id, 'Consultation (pay at clinic)', 30, '#336699', 4000, false from day_clinic
    union all
    select paid_service_id, id, 'Consultation (paid online)', 30, '#993366', 5050, true from day_clinic`);
  await client.query(`insert into user_account (id, email, password_hash, role, display_name, email_verified_at)
    select reception_user_id, 'reception' || i || '@day.bench', '!bench', 'receptionist', 'Reception ' || i, now() from day_clinic
    union all
    select user_id, 'dr' || i || '@day.bench', '!bench', 'doctor', 'Dr Day ' || i, now() from day_doctor
    union all
    select user_id, 'patient' || i || '@day.bench', '!bench', 'patient', 'Patient ' || i, now() from day_patient`);
  await client.query(`insert into clinic_membership (id, user_id, clinic_id, role)
    select gen_random_uuid(), reception_user_id, id, 'receptionist' from day_clinic`);
  await client.query(`insert into doctor (id, user_id, display_name, languages, consultation_fee_minor, approval_status)
    select id, user_id, 'Dr Day ' || i, '{en}', 5050, 'approved' from day_doctor`);
  await client.query(`insert into doctor_clinic (doctor_id, clinic_id) select d.id, c.id from day_doctor d join day_clinic c on c.i = d.clinic_i`);
  await client.query(`insert into patient (id, user_id, full_name, email, subscription_tier)
    select id, user_id, 'Patient ' || i, 'patient' || i || '@day.bench', 'standard' from day_patient`);

  const [{ today }] = await rows<{ today: string }>(client, `select to_char((now() at time zone $1)::date, 'YYYY-MM-DD') as today`, [zone]) as [{ today: string }];
  const [{ n: slots }] = (await rows<{ n: number }>(
    client,
    `with inserted as (
       insert into slot (id, doctor_id, clinic_id, service_id, starts_at, ends_at)
       select gen_random_uuid(), d.id, c.id, case when ((day::date - $2::date) * ${SLOTS_PER_DAY} + k) % $4::int = $4::int - 1 then c.paid_service_id else c.free_service_id end,
              (day::date + time '09:00' + k * interval '30 minutes') at time zone $1,
              (day::date + time '09:00' + (k + 1) * interval '30 minutes') at time zone $1
         from day_doctor d join day_clinic c on c.i = d.clinic_i,
              generate_series($2::date, $2::date + ($3::int - 1), interval '1 day') day,
              generate_series(0, ${SLOTS_PER_DAY - 1}) k
       returning 1)
     select count(*)::int as n from inserted`,
    [zone, today, size.days, size.paidEvery],
  )) as [{ n: number }];

  // Today's first slots of every doctor booked by patients from the end of the list (the journeys
  // start from the front), checked in later in slot order across doctors.
  const arrivals = await rows<{ appointment_id: string; clinic_id: string; doctor_id: string }>(
    client,
    `with today as (
       select s.id, s.doctor_id, s.clinic_id, s.starts_at, s.ends_at, d.i as doctor_i,
              row_number() over (partition by s.doctor_id order by s.starts_at) as k
         from slot s join day_doctor d on d.id = s.doctor_id
        where s.starts_at >= ($2::date + time '00:00') at time zone $1 and s.starts_at < ($2::date + 1 + time '00:00') at time zone $1),
     chosen as (
       select t.*, p.id as patient_id from today t
         join day_patient p on p.i = $3::int - ((t.doctor_i - 1) * $4::int + t.k - 1)
        where t.k <= $4::int),
     booked as (update slot set status = 'booked', version = version + 1 where id in (select id from chosen) returning id),
     inserted as (
       insert into appointment (id, slot_id, patient_id, doctor_id, clinic_id, starts_at, ends_at, status, payment_status)
       select gen_random_uuid(), c.id, c.patient_id, c.doctor_id, c.clinic_id, c.starts_at, c.ends_at, 'scheduled', 'not_required'
         from chosen c where c.id in (select id from booked)
       returning id, clinic_id, doctor_id, starts_at)
     select id as appointment_id, clinic_id, doctor_id from inserted order by starts_at, doctor_id`,
    [zone, today, size.patients, size.todayPerDoctor],
  );

  await client.query(`insert into auth_session (id, user_id, expires_at, user_agent)
    select gen_random_uuid(), id, now() + interval '1 day', 'bench:day' from user_account where email like '%@day.bench'`);
  const clinicRows = await rows<{ id: string; reception_user_id: string }>(client, `select id, reception_user_id from day_clinic order by i`);
  const doctorRows = await rows<{ id: string; user_id: string; clinic_id: string }>(
    client,
    `select d.id, d.user_id, c.id as clinic_id from day_doctor d join day_clinic c on c.i = d.clinic_i order by d.i`,
  );
  const patientRows = await rows<{ id: string; user_id: string }>(client, `select id, user_id from day_patient order by i`);
  const sessionRows = await rows<{ user_id: string; session_id: string; role: "patient" | "doctor" | "receptionist" }>(
    client,
    `select s.user_id, s.id as session_id, u.role from auth_session s join user_account u on u.id = s.user_id where s.user_agent = 'bench:day'`,
  );
  const tokenOf = new Map(sessionRows.map((row) => [row.user_id, signAccessToken(jwtSecret, { sub: row.user_id, sid: row.session_id, role: row.role })]));

  // Display tokens as display-token.service.ts issues them: `dsp_<id>.<secret>`, SHA-256 of the secret stored.
  const clinics: Region["clinics"] = [];
  for (const clinic of clinicRows) {
    const displayTokens: string[] = [];
    for (let screen = 1; screen <= 2; screen++) {
      const id = randomUUID();
      const secret = randomBytes(32).toString("base64url");
      await client.query(`insert into display_token (id, clinic_id, name, secret_hash) values ($1, $2, $3, $4)`, [
        id,
        clinic.id,
        `Waiting room ${screen}`,
        createHash("sha256").update(secret).digest("hex"),
      ]);
      displayTokens.push(`dsp_${id}.${secret}`);
    }
    clinics.push({ id: clinic.id, receptionToken: tokenOf.get(clinic.reception_user_id)!, displayTokens });
  }
  await client.query("commit");
  await client.query("vacuum analyze");
  return {
    zone,
    today,
    clinics,
    doctors: doctorRows.map((row) => ({ id: row.id, clinicId: row.clinic_id, token: tokenOf.get(row.user_id)! })),
    patients: patientRows.map((row) => ({ id: row.id, token: tokenOf.get(row.user_id)! })),
    arrivals: arrivals.map((row) => ({ appointmentId: row.appointment_id, clinicId: row.clinic_id, doctorId: row.doctor_id })),
    slots,
  };
}
