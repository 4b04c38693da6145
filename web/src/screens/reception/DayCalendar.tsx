/**
 * The staff calendar (/reception/day): the clinic's day with one column per doctor, or one doctor's
 * week, drawn by react-big-calendar (docs/decisions.md). Slots and appointments are events, coloured
 * by service (a stripe plus the service's name, so colour is never the only signal) with tags as
 * text. Choosing a free slot offers "Book" for a patient who phoned in; choosing an appointment
 * offers Move, Cancel and No-show (each with a reason). An appointment is moved by dragging it onto a
 * free slot, or from the keyboard: choose it, "Move", then choose a free slot and "Move here".
 * Live from `clinic:{clinicId}`; times are the clinic's (wallTime.ts).
 */
import { useEffect, useId, useMemo, useState, type CSSProperties, type ReactNode } from "react";
import { Calendar, dateFnsLocalizer, type EventProps, type View } from "react-big-calendar";
import withDragAndDropExport, { type EventInteractionArgs } from "react-big-calendar/lib/addons/dragAndDrop";
import "react-big-calendar/lib/css/react-big-calendar.css";
import "react-big-calendar/lib/addons/dragAndDrop/styles.css";
import { format, getDay, parse, startOfWeek } from "date-fns";
import { enGB } from "date-fns/locale/en-GB";
import { addDays, isoWeekday, rescheduleAppointmentReplySchema, type AppointmentView, type ClinicServiceView, type ClinicSummary, type StaffSlotView } from "@clinic/shared";
import { ClinicPicker, useStaffClinics } from "../../components/ClinicPicker";
import { DoctorSelect, useClinicDoctors } from "../../components/Doctors";
import { TextField } from "../../components/Field";
import { LiveIndicator } from "../../components/LiveIndicator";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import { formatTime, localDate } from "../../lib/format";
import { useMediaQuery } from "../../lib/useMediaQuery";
import type { Session } from "../../lib/session";
import { useCalendarData, type DayData } from "./calendarData";
import { usePatientNames } from "./live";
import { BookForPatient } from "./BookForPatient";
import { EndVisit, type Ending } from "./EndVisit";
import { fromWall, toWall, wallDate, wallOfDay } from "./wallTime";

const localizer = dateFnsLocalizer({ format, parse, startOfWeek: (date: Date) => startOfWeek(date, { weekStartsOn: 1 }), getDay, locales: { "en-GB": enGB } });
// The drag-and-drop addon ships as CommonJS only: under Node's interop (an ESM package importing
// it) its default import is the module object, with the function on `.default`.
const withDragAndDrop = (withDragAndDropExport as unknown as { default?: typeof withDragAndDropExport }).default ?? withDragAndDropExport;
const DragAndDropCalendar = withDragAndDrop<CalendarEvent, Resource>(Calendar);

/** The grid's step: a drop snaps to it. */
const STEP_MINUTES = 15;
const STATUS_TEXT: Record<string, string> = { available: "Free", held: "Held", booked: "Booked", blocked: "Blocked", expired: "Expired" };
const KIND_TEXT: Record<string, string> = { regular: "", walk_in: "Walk-in slot", emergency: "Emergency slot" };

interface Resource {
  id: string;
  title: string;
}

/** One block on the calendar: a free (or blocked) slot, or an appointment (in its slot, or in a flexible block). */
interface CalendarEvent {
  id: string;
  start: Date;
  end: Date;
  resourceId: string;
  title: string;
  slot: StaffSlotView | null;
  appointment: AppointmentView | null;
  name: string | null;
  service: ClinicServiceView | null;
}

const movable = (appointment: AppointmentView | null) => appointment !== null && (appointment.status === "scheduled" || appointment.status === "pending");

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

/** The calendar's blocks: every slot (an appointment in it shows instead) and appointments without one. */
function eventsOf(data: DayData, names: Record<string, string>, tz: string): CalendarEvent[] {
  const service = (serviceId: string | null) => data.services.find((s) => s.id === serviceId) ?? null;
  const live = data.appointments.filter((a) => a.status !== "cancelled" && a.status !== "expired");
  const bySlot = new Map(live.filter((a) => a.slotId).map((a) => [a.slotId!, a]));
  const nameOf = (a: AppointmentView) => names[a.patientId] ?? "Patient";
  const events: CalendarEvent[] = data.slots.map((slot) => {
    const appointment = bySlot.get(slot.id) ?? null;
    const name = appointment ? nameOf(appointment) : null;
    return {
      id: appointment?.id ?? slot.id,
      start: toWall(slot.start, tz),
      end: toWall(slot.end, tz),
      resourceId: slot.doctorId,
      title: name ?? STATUS_TEXT[slot.status] ?? slot.status,
      slot,
      appointment,
      name,
      service: service(appointment?.serviceId ?? slot.serviceId),
    };
  });
  for (const a of live.filter((x) => !x.slotId)) {
    events.push({ id: a.id, start: toWall(a.start, tz), end: toWall(a.end, tz), resourceId: a.doctorId, title: nameOf(a), slot: null, appointment: a, name: nameOf(a), service: service(a.serviceId) });
  }
  return events;
}

type Selected = { kind: "slot"; event: CalendarEvent } | { kind: "appointment"; event: CalendarEvent };

export function DayCalendar({ session }: { session: Session }) {
  const staff = useStaffClinics(session);
  const clinic = staff.clinic;
  if (!staff.hasAny) return <section className="panel"><h1>Day calendar</h1><p>You are not on the staff of any clinic.</p></section>;
  if (!clinic) return <section className="panel"><h1>Day calendar</h1><Async state={staff.state} isEmpty={() => true} empty="No clinic found.">{() => null}</Async></section>;
  return <StaffCalendar key={clinic.id} clinic={clinic} picker={<ClinicPicker clinics={staff.clinics} value={clinic.id} onChange={staff.choose} />} />;
}

function StaffCalendar({ clinic, picker }: { clinic: ClinicSummary; picker: ReactNode }) {
  const id = useId();
  const tz = clinic.timeZone;
  const doctors = useClinicDoctors(clinic.id);
  const doctorList = useMemo(() => doctors.state.data ?? [], [doctors.state.data]);
  const [date, setDate] = useState(() => localDate(new Date(), tz));
  const [chosenView, setView] = useState<"day" | "week">("day");
  // A phone shows one doctor's day (the doctor picked above it); wider screens every doctor's day, or one doctor's week.
  const narrow = !useMediaQuery("(min-width: 45rem)");
  const view = narrow ? "day" : chosenView;
  const allDoctors = view === "day" && !narrow;
  const [oneDoctorId, setOneDoctorId] = useState("");
  const oneDoctor = doctorList.find((d) => d.id === oneDoctorId) ?? doctorList[0] ?? null;
  const shownDoctors = useMemo(() => (allDoctors ? doctorList : oneDoctor ? [oneDoctor] : []), [allDoctors, doctorList, oneDoctor]);
  const dates = useMemo(() => {
    if (view === "day") return [date];
    const monday = addDays(date, 1 - isoWeekday(date));
    return Array.from({ length: 7 }, (_, i) => addDays(monday, i));
  }, [view, date]);
  const { day, live } = useCalendarData(clinic, shownDoctors, dates);
  const names = usePatientNames(clinic.id, (day.state.data?.appointments ?? []).map((a) => a.patientId));
  const [selected, setSelected] = useState<Selected | null>(null);
  const [moving, setMoving] = useState<CalendarEvent | null>(null);
  const [booking, setBooking] = useState<{ slot: StaffSlotView; doctorName: string } | null>(null);
  const [ending, setEnding] = useState<{ appointment: AppointmentView; name: string; ending: Ending } | null>(null);
  const [message, setMessage] = useState<{ tone: "ok" | "alert"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      setMoving(null);
      setSelected(null);
      setBooking(null);
      setEnding(null);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const events = useMemo(() => (day.state.data ? eventsOf(day.state.data, names, tz) : []), [day.state.data, names, tz]);
  const doctorName = (doctorId: string) => doctorList.find((d) => d.id === doctorId)?.displayName ?? "the doctor";
  const hours = useMemo(() => dayWindow(events), [events]);

  async function reschedule(appointment: AppointmentView, slot: StaffSlotView, name: string) {
    setMoving(null);
    setSelected(null);
    setBusy(true);
    try {
      const reply = await api(`/appointments/${appointment.id}/reschedule`, { method: "POST", body: { slotId: slot.id }, schema: rescheduleAppointmentReplySchema });
      const doctor = doctorName(slot.doctorId);
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

  /**
   * A drop: the free slot of the column's doctor under where the appointment's top was let go (the
   * grid snaps to 15 minutes, slots need not), else one starting within a step of it.
   */
  function dropped({ event, start, resourceId }: EventInteractionArgs<CalendarEvent>) {
    if (!event.appointment || !movable(event.appointment)) return;
    const doctorId = String(resourceId ?? event.resourceId);
    const at = new Date(start).getTime();
    const free = events.filter((e) => e.slot?.status === "available" && !e.appointment && e.resourceId === doctorId);
    const target =
      free.find((e) => e.start.getTime() <= at && at < e.end.getTime()) ?? free.find((e) => Math.abs(e.start.getTime() - at) < STEP_MINUTES * 60_000);
    if (!target?.slot) {
      setMessage({ tone: "alert", text: `No free slot of ${doctorName(doctorId)} starts at ${formatTime(fromWall(new Date(start), tz).toISOString(), tz)}: drop ${event.name} on a free slot.` });
      return;
    }
    void reschedule(event.appointment, target.slot, event.name ?? "the patient");
  }

  function choose(event: CalendarEvent) {
    setMessage(null);
    setBooking(null);
    setEnding(null);
    setSelected(event.appointment ? { kind: "appointment", event } : { kind: "slot", event });
  }

  const resources: Resource[] | undefined = allDoctors ? doctorList.map((d) => ({ id: d.id, title: d.displayName })) : undefined;

  return (
    <>
      <section className="panel rc-head" aria-labelledby={`${id}-h`}>
        <div className="rc-title">
          <h1 id={`${id}-h`}>{view === "day" ? "Day calendar" : "Week calendar"} · {clinic.name}</h1>
          <span data-testid="calendar-live"><LiveIndicator status={live.status} detail={live.error} /></span>
        </div>
        {picker}
        <div className="rc-controls">
          <TextField label="Date" type="date" value={date} onChange={(e) => e.target.value && setDate(e.target.value)} />
          {!narrow && (
            <div className="rc-view" role="group" aria-label="View">
              <button type="button" className="button button-quiet" aria-pressed={view === "day"} onClick={() => setView("day")}>Day · every doctor</button>
              <button type="button" className="button button-quiet" aria-pressed={view === "week"} onClick={() => setView("week")}>Week · one doctor</button>
            </div>
          )}
          {!allDoctors && <DoctorSelect label="Doctor" doctors={doctors.state.data} value={oneDoctor?.id ?? ""} onChange={setOneDoctorId} blank={null} />}
        </div>
        <p className="field-hint">
          Choose a free slot to book it, or an appointment to move, cancel or mark it. Drag an appointment onto a free slot to move it. Times are {clinic.name}'s ({tz}).
        </p>
        <div aria-live="polite">
          {moving && <p className="rc-moving" role="status">Moving {moving.name}: choose a free slot. <button type="button" className="button button-quiet" onClick={() => setMoving(null)}>Cancel move</button></p>}
          {message?.tone === "ok" && <p className="rc-done" role="status">{message.text}</p>}
        </div>
        {message?.tone === "alert" && <p className="form-error" role="alert">{message.text}</p>}
        {selected && !booking && !ending && (
          <SelectedPanel selected={selected} moving={moving} tz={tz} doctorName={doctorName(selected.event.resourceId)}
            onBook={(slot) => setBooking({ slot, doctorName: doctorName(slot.doctorId) })}
            onMoveHere={(slot) => moving?.appointment && void reschedule(moving.appointment, slot, moving.name ?? "the patient")}
            onMove={(event) => {
              setMoving(event);
              setSelected(null);
            }}
            onEnd={(appointment, name, end) => setEnding({ appointment, name, ending: end })}
            onClose={() => setSelected(null)} />
        )}
        {booking && (
          <BookForPatient key={booking.slot.id} clinic={clinic} slot={booking.slot} doctorName={booking.doctorName} onCancel={() => setBooking(null)}
            onBooked={(text) => {
              setBooking(null);
              setSelected(null);
              setMessage({ tone: "ok", text });
              void day.reload();
            }} />
        )}
        {ending && (
          <EndVisit key={`${ending.ending}-${ending.appointment.id}`} ending={ending.ending} appointment={ending.appointment} name={ending.name} tz={tz}
            onCancel={() => setEnding(null)}
            onDone={(text) => {
              setEnding(null);
              setSelected(null);
              setMessage({ tone: "ok", text });
              void day.reload();
            }} />
        )}
        {day.state.data && <Legend services={day.state.data.services} />}
      </section>
      <Async state={day.state} retry={() => void day.reload()}>
        {() => (
          <div className={`rc-calendar${moving ? " rc-is-moving" : ""}`} data-testid="day-calendar" aria-busy={busy}>
            {doctorList.length === 0 && <p className="state">No doctors listed at this clinic.</p>}
            <DragAndDropCalendar
              localizer={localizer}
              culture="en-GB"
              events={events}
              resources={resources}
              resourceIdAccessor="id"
              resourceTitleAccessor="title"
              view={view as View}
              views={["day", "week"]}
              onView={(next) => setView(next === "week" ? "week" : "day")}
              date={wallOfDay(date)}
              onNavigate={(next) => setDate(wallDate(next))}
              toolbar={false}
              step={STEP_MINUTES}
              timeslots={4}
              min={hours.min}
              max={hours.max}
              getNow={() => toWall(new Date(), tz)}
              formats={{ timeGutterFormat: (d: Date) => formatTime(fromWall(d, tz).toISOString(), tz), dayFormat: (d: Date) => format(d, "EEE d MMM", { locale: enGB }) }}
              selected={selected?.event ?? moving ?? undefined}
              onSelectEvent={choose}
              // Click-to-book: a click (or a dragged selection) on the grid chooses the free slot under it.
              selectable
              onSelectSlot={({ start, resourceId }) => {
                const at = new Date(start).getTime();
                const doctorId = resourceId === undefined ? shownDoctors[0]?.id : String(resourceId);
                const under = events.find((e) => !e.appointment && e.slot?.status === "available" && e.resourceId === doctorId && e.start.getTime() <= at && at < e.end.getTime());
                if (under) choose(under);
              }}
              onKeyPressEvent={(event: CalendarEvent, e) => {
                if ((e as unknown as KeyboardEvent).key === "Enter" || (e as unknown as KeyboardEvent).key === " ") choose(event);
              }}
              draggableAccessor={(event) => movable(event.appointment)}
              resizable={false}
              onEventDrop={dropped}
              eventPropGetter={(event) => ({ className: classOf(event, moving), style: styleOf(event) })}
              components={{ event: (props: EventProps<CalendarEvent>) => <EventBody {...props} tz={tz} /> }}
              dayLayoutAlgorithm="no-overlap"
            />
          </div>
        )}
      </Async>
    </>
  );
}

/** Whole hours around the blocks shown (08:00–18:00 when there are none), as wall times on any day. */
function dayWindow(events: CalendarEvent[]): { min: Date; max: Date } {
  const minutes = (d: Date) => d.getHours() * 60 + d.getMinutes();
  const starts = events.map((e) => minutes(e.start));
  const ends = events.map((e) => (e.end.getDate() !== e.start.getDate() ? 24 * 60 : minutes(e.end)));
  const first = starts.length ? Math.floor(Math.min(...starts) / 60) * 60 : 8 * 60;
  const last = ends.length ? Math.min(24 * 60 - 1, Math.ceil(Math.max(...ends) / 60) * 60) : 18 * 60;
  return { min: new Date(1970, 0, 1, Math.floor(first / 60), first % 60), max: new Date(1970, 0, 1, Math.floor(last / 60), last % 60) };
}

function classOf(event: CalendarEvent, moving: CalendarEvent | null): string {
  if (event.appointment) return `rc-event rc-booked${moving?.id === event.id ? " rc-selected" : ""}`;
  return `rc-event rc-slot-${event.slot?.status ?? "available"}`;
}

function styleOf(event: CalendarEvent): CSSProperties {
  return { borderLeftColor: event.service?.colour ?? "var(--border)" };
}

/** What a block says: who (or Free/Blocked), when, the service, the slot kind and tags. */
function EventBody({ event, tz }: EventProps<CalendarEvent> & { tz: string }) {
  const slot = event.slot;
  const time = `${formatTime(fromWall(event.start, tz).toISOString(), tz)}–${formatTime(fromWall(event.end, tz).toISOString(), tz)}`;
  const testId = event.appointment ? `calendar-appointment-${event.appointment.id}` : `calendar-slot-${event.id}`;
  return (
    <span className="rc-event-body" data-testid={testId} data-slot-id={slot?.id}>
      <strong className="rc-block-name">{event.title}</strong>
      <span className="rc-slot-time">{time}</span>
      <span>{event.service?.name ?? "No service"}{slot && KIND_TEXT[slot.kind] ? ` · ${KIND_TEXT[slot.kind]}` : ""}{!slot ? " · flexible block" : ""}</span>
      {event.appointment && <span>{event.appointment.status === "pending" ? "Held" : event.appointment.status.replace("_", " ")}</span>}
      {slot?.tags.map((tag) => <span key={tag} className="rc-tag">#{tag}</span>)}
    </span>
  );
}

/** The chosen block's actions, outside the grid so they are full-size buttons with the keyboard. */
function SelectedPanel({ selected, moving, tz, doctorName, onBook, onMoveHere, onMove, onEnd, onClose }: {
  selected: Selected;
  moving: CalendarEvent | null;
  tz: string;
  doctorName: string;
  onBook(slot: StaffSlotView): void;
  onMoveHere(slot: StaffSlotView): void;
  onMove(event: CalendarEvent): void;
  onEnd(appointment: AppointmentView, name: string, ending: Ending): void;
  onClose(): void;
}) {
  const { event } = selected;
  const time = `${formatTime(fromWall(event.start, tz).toISOString(), tz)}–${formatTime(fromWall(event.end, tz).toISOString(), tz)}`;
  const when = `${doctorName}, ${new Intl.DateTimeFormat("en-GB", { weekday: "short", day: "numeric", month: "short", timeZone: tz }).format(fromWall(event.start, tz))} ${time}`;
  const slot = event.slot;
  const appointment = event.appointment;
  const name = event.name ?? "Patient";
  const free = slot?.status === "available" && !appointment;
  return (
    <section className="rc-selected-panel" aria-label="Chosen" data-testid="calendar-chosen">
      <p>
        <strong>{appointment ? name : STATUS_TEXT[slot?.status ?? ""] ?? "Slot"}</strong> · {when}
        {event.service && ` · ${event.service.name}`}
      </p>
      <div className="rc-chosen-actions">
        {free && moving?.appointment && (
          <button type="button" className="button" aria-label={`Move ${moving.name} here: ${when}`} onClick={() => onMoveHere(slot)}>Move here</button>
        )}
        {free && !moving && slot.kind === "regular" && new Date(slot.start).getTime() > Date.now() && (
          <button type="button" className="button" aria-label={`Book ${when}`} onClick={() => onBook(slot)}>Book</button>
        )}
        {appointment && movable(appointment) && (
          <>
            <button type="button" className="button button-quiet" aria-label={`Move ${name} (${time})`} onClick={() => onMove(event)}>Move</button>
            <button type="button" className="button button-quiet" aria-label={`Cancel ${name} (${time})`} onClick={() => onEnd(appointment, name, "cancel")}>Cancel</button>
          </>
        )}
        {appointment?.status === "scheduled" && new Date(appointment.start).getTime() <= Date.now() && (
          <button type="button" className="button button-quiet" aria-label={`No-show: ${name} (${time})`} onClick={() => onEnd(appointment, name, "no_show")}>No-show</button>
        )}
        <button type="button" className="button button-quiet" onClick={onClose}>Close</button>
      </div>
    </section>
  );
}
