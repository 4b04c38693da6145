/**
 * Reception's day calendar (/reception/day): one column per doctor, slots and appointments placed
 * by time, coloured by service (a stripe plus the service's name, so colour is never the only
 * signal) with tags as text. An appointment is rescheduled by dragging it onto a free slot, or from
 * the keyboard: "Move", then "Move here" on the free slot; a free slot is booked for a patient who
 * phoned in ("Book"), an appointment cancelled or marked a no-show with a reason. Live from `clinic:{clinicId}`.
 */
import { useEffect, useId, useState, type CSSProperties, type DragEvent } from "react";
import { rescheduleAppointmentReplySchema, type AppointmentView, type ClinicServiceView, type StaffSlotView } from "@clinic/shared";
import { ClinicPicker, useStaffClinics } from "../../components/ClinicPicker";
import { TextField } from "../../components/Field";
import { LiveIndicator } from "../../components/LiveIndicator";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import { formatTime, localDate } from "../../lib/format";
import type { Session } from "../../lib/session";
import { dayBounds, useDayCalendar, type DayData } from "./calendarData";
import { useClinicDoctors } from "../../components/Doctors";
import { usePatientNames } from "./live";
import { BookForPatient } from "./BookForPatient";
import { EndVisit, type Ending } from "./EndVisit";

const PX_PER_MINUTE = 2;
const MINUTE = 60_000;
const DRAG_TYPE = "application/x-clinic-appointment";
const STATUS_TEXT: Record<string, string> = { available: "Free", held: "Held", booked: "Booked", blocked: "Blocked", expired: "Expired" };
const KIND_TEXT: Record<string, string> = { regular: "", walk_in: "Walk-in slot", emergency: "Emergency slot" };

interface Moving {
  appointment: AppointmentView;
  name: string;
}

/** The window shown: whole hours around the day's slots (08:00–18:00 when there are none). */
function windowOf(data: DayData, date: string, timeZone: string) {
  const { from } = dayBounds(date, timeZone);
  const times = [...data.slots, ...data.appointments].flatMap((s) => [Date.parse(s.start), Date.parse(s.end)]);
  const first = times.length ? Math.min(...times) : from.getTime() + 8 * 60 * MINUTE;
  const last = times.length ? Math.max(...times) : from.getTime() + 18 * 60 * MINUTE;
  const hour = 60 * MINUTE;
  const start = from.getTime() + Math.floor((first - from.getTime()) / hour) * hour;
  const end = from.getTime() + Math.ceil((last - from.getTime()) / hour) * hour;
  return { start, end: Math.max(end, start + hour) };
}

function place(startIso: string, endIso: string, windowStart: number): CSSProperties {
  const top = ((Date.parse(startIso) - windowStart) / MINUTE) * PX_PER_MINUTE;
  const height = Math.max(((Date.parse(endIso) - Date.parse(startIso)) / MINUTE) * PX_PER_MINUTE - 2, 18);
  return { top, height };
}

function Legend({ services }: { services: ClinicServiceView[] }) {
  return (
    <ul className="rc-legend" aria-label="Legend">
      {services.map((s) => (
        <li key={s.id}><span className="rc-swatch" style={{ background: s.colour }} aria-hidden="true" /> {s.name}</li>
      ))}
      <li><span className="rc-swatch rc-swatch-none" aria-hidden="true" /> No service</li>
      <li><span className="rc-swatch rc-swatch-free" aria-hidden="true" /> Free (dashed border, “Free”)</li>
      <li><span className="rc-swatch rc-swatch-blocked" aria-hidden="true" /> Blocked (hatched, “Blocked”)</li>
      <li><span className="rc-tag">#tag</span> Slot tags are shown as text</li>
    </ul>
  );
}

export function DayCalendar({ session }: { session: Session }) {
  const id = useId();
  const staff = useStaffClinics(session);
  const clinic = staff.clinic;
  const doctors = useClinicDoctors(clinic?.id ?? null);
  const [date, setDate] = useState("");
  useEffect(() => {
    if (clinic) setDate(localDate(new Date(), clinic.timeZone));
  }, [clinic]);
  const doctorList = doctors.state.data ?? [];
  const { day, live } = useDayCalendar(clinic && date ? clinic : null, doctorList, date);
  const names = usePatientNames(clinic?.id ?? null, (day.state.data?.appointments ?? []).map((a) => a.patientId));
  const [moving, setMoving] = useState<Moving | null>(null);
  const [booking, setBooking] = useState<{ slot: StaffSlotView; doctorName: string } | null>(null);
  const [ending, setEnding] = useState<(Moving & { ending: Ending }) | null>(null);
  const [dragging, setDragging] = useState(false);
  const [message, setMessage] = useState<{ tone: "ok" | "alert"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      setMoving(null);
      setBooking(null);
      setEnding(null);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  if (!staff.hasAny) return <section className="panel"><h1>Day calendar</h1><p>You are not on the staff of any clinic.</p></section>;
  if (!clinic) return <section className="panel"><h1>Day calendar</h1><Async state={staff.state} isEmpty={() => true} empty="No clinic found.">{() => null}</Async></section>;
  const tz = clinic.timeZone;

  async function reschedule(appointment: AppointmentView, slot: StaffSlotView, name: string) {
    setMoving(null);
    setBusy(true);
    try {
      const reply = await api(`/appointments/${appointment.id}/reschedule`, { method: "POST", body: { slotId: slot.id }, schema: rescheduleAppointmentReplySchema });
      const doctor = doctorList.find((d) => d.id === slot.doctorId)?.displayName ?? "the doctor";
      setMessage(
        reply.next === "pay"
          ? { tone: "ok", text: `${formatTime(reply.appointment.start, tz)} with ${doctor} is held for ${name}: the new time costs more, so the move completes when the patient pays the difference.` }
          : { tone: "ok", text: `Moved ${name} to ${formatTime(reply.appointment.start, tz)} with ${doctor}.` },
      );
      await day.reload();
    } catch (error) {
      setMessage({ tone: "alert", text: `Could not move ${name}: ${error instanceof Error ? error.message : "unknown error"}` });
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <section className="panel rc-head" aria-labelledby={`${id}-h`}>
        <div className="rc-title">
          <h1 id={`${id}-h`}>Day calendar · {clinic.name}</h1>
          <span data-testid="calendar-live"><LiveIndicator status={live.status} detail={live.error} /></span>
        </div>
        <ClinicPicker clinics={staff.clinics} value={clinic.id} onChange={staff.choose} />
        <TextField label="Date" type="date" value={date} onChange={(e) => e.target.value && setDate(e.target.value)} />
        <p className="field-hint">Drag an appointment onto a free slot to move it, or use its “Move” button and then “Move here” on a free slot (Escape cancels).</p>
        <div aria-live="polite">
          {moving && <p className="rc-moving" role="status">Moving {moving.name}: choose a free slot. <button type="button" className="button button-quiet" onClick={() => setMoving(null)}>Cancel move</button></p>}
          {message?.tone === "ok" && <p className="rc-done" role="status">{message.text}</p>}
        </div>
        {message?.tone === "alert" && <p className="form-error" role="alert">{message.text}</p>}
        {booking && (
          <BookForPatient key={booking.slot.id} clinic={clinic} slot={booking.slot} doctorName={booking.doctorName} onCancel={() => setBooking(null)}
            onBooked={(text) => {
              setBooking(null);
              setMessage({ tone: "ok", text });
              void day.reload();
            }} />
        )}
        {ending && (
          <EndVisit key={`${ending.ending}-${ending.appointment.id}`} ending={ending.ending} appointment={ending.appointment} name={ending.name} tz={tz}
            onCancel={() => setEnding(null)}
            onDone={(text) => {
              setEnding(null);
              setMessage({ tone: "ok", text });
              void day.reload();
            }} />
        )}
        {day.state.data && <Legend services={day.state.data.services} />}
      </section>
      <Async state={day.state} retry={() => void day.reload()}>
        {(data) => data && (
          <CalendarGrid data={data} date={date} tz={tz} doctors={doctorList.map((d) => ({ id: d.id, name: d.displayName }))} names={names}
            moving={moving} dragging={dragging} busy={busy} onMove={setMoving} onDragging={setDragging} onDrop={reschedule}
            onBook={(slot, doctorName) => {
              setEnding(null);
              setBooking({ slot, doctorName });
            }}
            onEnd={(appointment, name, end) => {
              setBooking(null);
              setEnding({ appointment, name, ending: end });
            }} />
        )}
      </Async>
    </>
  );
}

function CalendarGrid({ data, date, tz, doctors, names, moving, dragging, busy, onMove, onDragging, onDrop, onBook, onEnd }: {
  data: DayData;
  date: string;
  tz: string;
  doctors: { id: string; name: string }[];
  names: Record<string, string>;
  moving: Moving | null;
  dragging: boolean;
  busy: boolean;
  onMove(m: Moving | null): void;
  onDragging(d: boolean): void;
  onDrop(a: AppointmentView, slot: StaffSlotView, name: string): Promise<void>;
  onBook(slot: StaffSlotView, doctorName: string): void;
  onEnd(a: AppointmentView, name: string, ending: Ending): void;
}) {
  const { start, end } = windowOf(data, date, tz);
  const height = ((end - start) / MINUTE) * PX_PER_MINUTE;
  const hours = Array.from({ length: (end - start) / (60 * MINUTE) }, (_, i) => start + i * 60 * MINUTE);
  const service = (serviceId: string | null) => data.services.find((s) => s.id === serviceId) ?? null;
  const live = data.appointments.filter((a) => a.status !== "cancelled" && a.status !== "expired");
  const bySlot = new Map(live.filter((a) => a.slotId).map((a) => [a.slotId!, a]));
  const nameOf = (a: AppointmentView) => names[a.patientId] ?? "Patient";
  const findAppointment = (appointmentId: string) => live.find((a) => a.id === appointmentId);

  const dropProps = (slot: StaffSlotView) => ({
    onDragOver: (e: DragEvent) => {
      if (e.dataTransfer.types.includes(DRAG_TYPE)) e.preventDefault();
    },
    onDrop: (e: DragEvent) => {
      e.preventDefault();
      onDragging(false);
      const appointment = findAppointment(e.dataTransfer.getData(DRAG_TYPE));
      if (appointment) void onDrop(appointment, slot, nameOf(appointment));
    },
  });

  return (
    <div className={`rc-calendar${dragging ? " rc-dragging" : ""}`} data-testid="day-calendar" aria-busy={busy}>
      <div className="rc-hours" style={{ height }} aria-hidden="true">
        {hours.map((h) => <span key={h} style={{ top: ((h - start) / MINUTE) * PX_PER_MINUTE }}>{formatTime(new Date(h).toISOString(), tz)}</span>)}
      </div>
      {doctors.map((doctor) => (
        <section key={doctor.id} className="rc-day-column" aria-label={doctor.name} data-testid={`calendar-column-${doctor.id}`}>
          <h2>{doctor.name}</h2>
          <ul className="rc-day-track" style={{ height }}>
            {data.slots.filter((s) => s.doctorId === doctor.id).map((slot) => {
              const appointment = bySlot.get(slot.id);
              const svc = service(appointment?.serviceId ?? slot.serviceId);
              const time = `${formatTime(slot.start, tz)}–${formatTime(slot.end, tz)}`;
              const style = { ...place(slot.start, slot.end, start), borderLeftColor: svc?.colour ?? "var(--border)" };
              const details = (
                <>
                  <span className="rc-slot-time">{time}</span>
                  <span>{svc?.name ?? "No service"}{KIND_TEXT[slot.kind] ? ` · ${KIND_TEXT[slot.kind]}` : ""}</span>
                  {slot.tags.map((tag) => <span key={tag} className="rc-tag">#{tag}</span>)}
                </>
              );
              if (appointment) {
                const name = nameOf(appointment);
                const movable = appointment.status === "scheduled" || appointment.status === "pending";
                return (
                  <li key={slot.id} className={`rc-block rc-booked${moving?.appointment.id === appointment.id ? " rc-selected" : ""}`} style={style}
                    data-testid={`calendar-appointment-${appointment.id}`} data-slot-id={slot.id} draggable={movable}
                    onDragStart={(e) => {
                      e.dataTransfer.setData(DRAG_TYPE, appointment.id);
                      e.dataTransfer.effectAllowed = "move";
                      onDragging(true);
                    }}
                    onDragEnd={() => onDragging(false)}>
                    <strong className="rc-block-name">{name}</strong>
                    {details}
                    <span>{appointment.status === "pending" ? "Held" : appointment.status.replace("_", " ")}</span>
                    {movable && (
                      <button type="button" className="button button-quiet rc-move" aria-label={`Move ${name} (${time})`}
                        onClick={() => onMove(moving?.appointment.id === appointment.id ? null : { appointment, name })}>
                        {moving?.appointment.id === appointment.id ? "Moving…" : "Move"}
                      </button>
                    )}
                    {movable && !moving && (
                      <button type="button" className="button button-quiet rc-move" aria-label={`Cancel ${name} (${time})`} onClick={() => onEnd(appointment, name, "cancel")}>
                        Cancel
                      </button>
                    )}
                    {appointment.status === "scheduled" && !moving && new Date(appointment.start).getTime() <= Date.now() && (
                      <button type="button" className="button button-quiet rc-move" aria-label={`No-show: ${name} (${time})`} onClick={() => onEnd(appointment, name, "no_show")}>
                        No-show
                      </button>
                    )}
                  </li>
                );
              }
              const free = slot.status === "available";
              return (
                <li key={slot.id} className={`rc-block rc-slot-${slot.status}`} style={style} data-testid={`calendar-slot-${slot.id}`} {...(free ? dropProps(slot) : {})}>
                  <strong>{STATUS_TEXT[slot.status] ?? slot.status}</strong>
                  {details}
                  {free && moving && (
                    <button type="button" className="button rc-move" aria-label={`Move ${moving.name} here: ${doctor.name}, ${time}`}
                      onClick={() => void onDrop(moving.appointment, slot, moving.name)}>
                      Move here
                    </button>
                  )}
                  {free && !moving && slot.kind === "regular" && new Date(slot.start).getTime() > Date.now() && (
                    <button type="button" className="button button-quiet rc-move" aria-label={`Book ${doctor.name}, ${time}`} onClick={() => onBook(slot, doctor.name)}>
                      Book
                    </button>
                  )}
                </li>
              );
            })}
            {live.filter((a) => a.doctorId === doctor.id && !a.slotId).map((a) => (
              <li key={a.id} className="rc-block rc-booked" style={{ ...place(a.start, a.end, start), borderLeftColor: service(a.serviceId)?.colour ?? "var(--border)" }}
                data-testid={`calendar-appointment-${a.id}`}>
                <strong className="rc-block-name">{nameOf(a)}</strong>
                <span className="rc-slot-time">{formatTime(a.start, tz)}–{formatTime(a.end, tz)}</span>
                <span>{service(a.serviceId)?.name ?? "No service"} · flexible block</span>
              </li>
            ))}
          </ul>
        </section>
      ))}
      {doctors.length === 0 && <p className="state">No doctors listed at this clinic.</p>}
    </div>
  );
}
