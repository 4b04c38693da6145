/**
 * The waitlist: join (doctor, clinic, service, dates, daily window), list and leave; offers arrive
 * live on `me` (`waitlist.offered` …): the slot is held for the patient with a countdown, to accept
 * or decline.
 */
import { useId, useState } from "react";
import {
  isEventOf,
  acceptWaitlistOfferReplySchema,
  addDays,
  clinicServiceListSchema,
  doctorPageSchema,
  waitlistEntryViewSchema,
  waitlistListSchema,
  waitlistOfferViewSchema,
  type WaitlistEntryView,
} from "@clinic/shared";
import { FormError, SelectField, TextField, useSubmit } from "../../components/Field";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import { formatCountdown, formatDate, formatDateTime, localDate } from "../../lib/format";
import { Link, navigate, useSearchParams } from "../../lib/router";
import { useLoad } from "../../lib/useLoad";
import { secondsUntil, useNow } from "../../lib/useNow";
import { useDirectory, useMe, zoneOf } from "./common";
import { askToConfirm } from "../../components/Confirm";

export function Waitlist() {
  const id = useId();
  const list = useLoad(["my-waitlist"], async (signal) => (await api("/waitlist?scope=mine", { schema: waitlistListSchema, signal })).items);
  useMe((event) => {
    if (isEventOf(event, "waitlist") || isEventOf(event, "appointment")) void list.reload();
  });
  const entries = (list.state.data ?? []).filter((e) => e.status !== "left");
  const directory = useDirectory(entries.map((e) => e.doctorId));

  return (
    <>
      <JoinForm onJoined={() => void list.reload()} />
      <section className="panel" aria-labelledby={`${id}-mine`}>
        <h2 id={`${id}-mine`}>My waitlist</h2>
        <Async state={list.state} retry={() => void list.reload()} isEmpty={() => entries.length === 0} empty="You are not waiting for any doctor.">
          {() => (
            <ul className="appointment-list" data-testid="waitlist">
              {entries.map((entry) => (
                <Entry key={entry.id} entry={entry} doctorName={directory.state.data?.doctors.get(entry.doctorId)?.displayName ?? "Doctor"}
                  zone={zoneOf(directory.state.data?.clinics, entry.clinicId)} onChanged={() => void list.reload()} />
              ))}
            </ul>
          )}
        </Async>
      </section>
    </>
  );
}

const ENTRY_TEXT: Record<string, string> = { waiting: "Waiting", offered: "Offer waiting for you", booked: "Booked", left: "Left" };

function Entry({ entry, doctorName, zone, onChanged }: { entry: WaitlistEntryView; doctorName: string; zone: string; onChanged: () => void }) {
  const offer = entry.offer?.status === "offered" ? entry.offer : null;
  const now = useNow(offer !== null);
  const left = offer ? secondsUntil(offer.expiresAt, now) : 0;
  const [result, setResult] = useState<string | null>(null);
  const leave = useSubmit(async () => {
    if (!(await askToConfirm(`Leave the waitlist for ${doctorName}?`, "Leave the waitlist"))) return;
    await api(`/waitlist/${entry.id}`, { method: "DELETE", schema: waitlistEntryViewSchema });
    onChanged();
  });
  const accept = useSubmit(async () => {
    const reply = await api(`/waitlist/offers/${offer!.id}/accept`, { method: "POST", schema: acceptWaitlistOfferReplySchema });
    // A paid booking is confirmed by paying within the hold: the hold page has the Pay button.
    if (reply.next === "pay") return navigate(`/patient/book/${reply.appointmentId}`);
    setResult(`Booked: ${formatDateTime(reply.offer.start, zone)} with ${doctorName}.`);
    onChanged();
  });
  const decline = useSubmit(async () => {
    await api(`/waitlist/offers/${offer!.id}/decline`, { method: "POST", schema: waitlistOfferViewSchema });
    setResult("Declined. You stay on the waitlist.");
    onChanged();
  });
  const dates = `${formatDate(`${entry.from}T12:00:00Z`, "UTC")} – ${formatDate(`${entry.to}T12:00:00Z`, "UTC")}`;

  return (
    <li className="appointment" aria-label={`Waitlist for ${doctorName}`}>
      <p><strong>{doctorName}</strong> <span className="badge appointment-status">{ENTRY_TEXT[entry.status] ?? entry.status}</span></p>
      <p>{dates}{entry.window ? `, between ${entry.window.start} and ${entry.window.end}` : ", any time of day"}</p>
      {result && <p role="status" className="patient-ok">{result}</p>}
      <FormError message={leave.formError ?? accept.formError ?? decline.formError} />
      {offer && left > 0 && (
        <div className="offer" role="alert">
          <p>A time is held for you: <strong>{formatDateTime(offer.start, zone)}</strong></p>
          <p>Answer within <strong className="countdown" data-testid="offer-countdown">{formatCountdown(left)}</strong></p>
          <div className="actions">
            <button type="button" className="button" disabled={accept.busy} onClick={() => void accept.run()}>Accept</button>
            <button type="button" className="button button-quiet" disabled={decline.busy} onClick={() => void decline.run()}>Decline</button>
          </div>
        </div>
      )}
      {entry.status === "booked" && <p><Link to="/patient/appointments">See my appointments</Link></p>}
      {["waiting", "offered"].includes(entry.status) && (
        <button type="button" className="button button-quiet" disabled={leave.busy} onClick={() => void leave.run()} aria-label={`Leave the waitlist for ${doctorName}`}>
          Leave
        </button>
      )}
    </li>
  );
}

function JoinForm({ onJoined }: { onJoined: () => void }) {
  const id = useId();
  const params = useSearchParams();
  const [doctorId, setDoctorId] = useState(params.get("doctorId") ?? "");
  const [clinicId, setClinicId] = useState("");
  const [serviceId, setServiceId] = useState("");
  const today = localDate(new Date(), Intl.DateTimeFormat().resolvedOptions().timeZone);
  const [from, setFrom] = useState(today);
  const [to, setTo] = useState(addDays(today, 14));
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [joined, setJoined] = useState<string | null>(null);

  const doctors = useLoad(["waitlist-doctors"], async (signal) => (await api("/doctors?limit=100", { schema: doctorPageSchema, signal })).items);
  const doctor = doctors.state.data?.find((d) => d.id === doctorId);
  const clinic = clinicId || doctor?.clinics[0]?.id || "";
  const services = useLoad(["clinic-services", clinic], async (signal) => {
    if (!clinic) return [];
    return (await api(`/clinics/${clinic}/services`, { schema: clinicServiceListSchema, signal })).items;
  });

  const join = useSubmit(async () => {
    const body = {
      doctorId,
      ...(clinic ? { clinicId: clinic } : {}),
      ...(serviceId ? { serviceId } : {}),
      from,
      to,
      ...(start || end ? { window: { start, end } } : {}),
    };
    await api("/waitlist", { method: "POST", body, schema: waitlistEntryViewSchema });
    setJoined(`You are on the waitlist for ${doctor?.displayName ?? "the doctor"}. We will hold a matching time for you when one frees up.`);
    onJoined();
  });

  return (
    <section className="panel" aria-labelledby={`${id}-join`}>
      <h1 id={`${id}-join`}>Waitlist</h1>
      <p>Wait for a time with a doctor: when one that fits frees up, it is held for you and you can accept it here.</p>
      {joined && <p role="status" className="patient-ok">{joined}</p>}
      <form onSubmit={join.onSubmit()} noValidate className="search-form">
        <FormError message={join.formError} />
        <SelectField label="Doctor" value={doctorId} onChange={(e) => { setDoctorId(e.target.value); setClinicId(""); setServiceId(""); }} error={join.fieldErrors.doctorId}>
          <option value="">Choose a doctor</option>
          {doctors.state.data?.map((d) => <option key={d.id} value={d.id}>{d.displayName}</option>)}
        </SelectField>
        {doctor && doctor.clinics.length > 1 && (
          <SelectField label="Clinic" value={clinic} onChange={(e) => setClinicId(e.target.value)} error={join.fieldErrors.clinicId}>
            {doctor.clinics.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </SelectField>
        )}
        <SelectField label="Service" value={serviceId} onChange={(e) => setServiceId(e.target.value)} error={join.fieldErrors.serviceId}>
          <option value="">Any service</option>
          {services.state.data?.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
        </SelectField>
        <TextField label="From" type="date" value={from} onChange={(e) => setFrom(e.target.value)} error={join.fieldErrors.from} />
        <TextField label="To" type="date" value={to} onChange={(e) => setTo(e.target.value)} error={join.fieldErrors.to} />
        <TextField label="Earliest time of day" type="time" value={start} onChange={(e) => setStart(e.target.value)} error={join.fieldErrors["window.start"]} hint="Optional, in the clinic's time zone" />
        <TextField label="Latest time of day" type="time" value={end} onChange={(e) => setEnd(e.target.value)} error={join.fieldErrors["window.end"]} />
        <button type="submit" className="button" disabled={join.busy}>{join.busy ? "Joining…" : "Join the waitlist"}</button>
      </form>
    </section>
  );
}
