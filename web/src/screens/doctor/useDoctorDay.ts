/**
 * The data of a doctor's day at one clinic: the live topic merged with HTTP reads (the day's
 * appointments, their patients' names, the schedule's slots) and with the queue entries that action
 * replies and re-reads bring. Slot and elastic events trigger a re-read of the day's slots.
 */
import { useCallback, useMemo, useState } from "react";
import {
  appointmentListSchema,
  clinicListSchema,
  dayPatientListSchema,
  doctorSchema,
  localDateOf,
  queueListSchema,
  staffSlotListSchema,
  zonedToInstant,
  addDays,
  isEventOf,
  topics,
  type ClinicSummary,
  type QueueEntryView,
} from "@clinic/shared";
import { api } from "../../lib/api";
import { useLoad } from "../../lib/useLoad";
import { useTopic } from "../../lib/useTopic";
import { byId, mergeByVersion, upsert, type ById } from "../../lib/liveRows";
import { fromView, liveFromSnapshot, reduceLive, type DayAppointment } from "./dayState";

/** The clinics the doctor works at, with their time zones. */
export function useDoctorClinics(doctorId: string) {
  return useLoad(["doctor-clinics", doctorId], async (signal) => {
    const [doctor, clinics] = await Promise.all([
      api(`/doctors/${doctorId}`, { schema: doctorSchema, signal }),
      api("/clinics", { schema: clinicListSchema, signal }),
    ]);
    const mine = new Set(doctor.clinics.map((clinic) => clinic.id));
    return clinics.items.filter((clinic) => mine.has(clinic.id));
  });
}

/** The local day's bounds as instants in the clinic's zone. */
export function dayBounds(date: string, timeZone: string): { from: string; to: string } {
  return { from: zonedToInstant(date, "00:00", timeZone).toISOString(), to: zonedToInstant(addDays(date, 1), "00:00", timeZone).toISOString() };
}

export function useDoctorDay(doctorId: string, clinic: ClinicSummary, date: string) {
  const [slotTick, setSlotTick] = useState(0);
  const [local, setLocal] = useState<ById<QueueEntryView>>({});
  const topic = useTopic(topics.doctor(doctorId), {
    fromSnapshot: liveFromSnapshot,
    reduce: reduceLive,
    onEvent: (event) => {
      const data = event.data as { clinicId?: unknown } | null;
      // The schedule changed at this clinic (or a rule's note and tags did): re-read the day's slots (breaks, free and blocked time).
      if ((isEventOf(event, "slot") || isEventOf(event, "elastic") || isEventOf(event, "slots")) && data?.clinicId === clinic.id) setSlotTick((t) => t + 1);
    },
  });

  const day = useLoad(
    ["doctor-day", doctorId, date],
    async (signal) => (await api(`/doctors/${doctorId}/day?date=${date}`, { schema: appointmentListSchema, signal })).items.map(fromView),
  );
  const { from, to } = dayBounds(date, clinic.timeZone);
  const slots = useLoad(
    ["doctor-slots", doctorId, clinic.id, from, to, slotTick],
    async (signal) =>
      (await api(`/doctors/${doctorId}/slots?clinicId=${clinic.id}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, { schema: staffSlotListSchema, signal })).items,
  );

  const onDay = useCallback(
    (appointment: DayAppointment) =>
      appointment.doctorId === doctorId && appointment.clinicId === clinic.id && localDateOf(new Date(appointment.start), clinic.timeZone) === date,
    [doctorId, clinic.id, clinic.timeZone, date],
  );
  const appointments = useMemo(() => {
    const merged = mergeByVersion(byId(day.state.data ?? [], (a) => a.id), topic.state?.appointments ?? {});
    return Object.values(merged).filter(onDay).sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  }, [day.state.data, topic.state?.appointments, onDay]);

  const queue = useMemo(() => {
    const merged = mergeByVersion(topic.state?.queue ?? {}, local);
    return Object.values(merged).filter(
      (entry) => entry.clinicId === clinic.id && entry.serviceDay === date && (entry.doctorId === doctorId || entry.doctorId === null),
    );
  }, [topic.state?.queue, local, clinic.id, date, doctorId]);

  // Names: the queue knows those who arrived; the day's list names the rest (re-read when someone new books).
  const missing = appointments.map((a) => a.patientId).filter((id) => !queue.some((e) => e.patientId === id));
  const missingKey = [...new Set(missing)].sort().join(",");
  const names = useLoad(
    ["doctor-day-patients", doctorId, date, missingKey],
    async (signal) => {
      if (!missingKey) return {};
      const reply = await api(`/doctors/${doctorId}/day/patients?date=${date}`, { schema: dayPatientListSchema, signal });
      return Object.fromEntries(reply.items.map((p) => [p.patientId, p.fullName]));
    },
  );
  const nameOf = (patientId: string): string | null =>
    queue.find((entry) => entry.patientId === patientId)?.patientName ?? names.state.data?.[patientId] ?? null;

  /** An entry from an action's reply: shown at once, before its event arrives. */
  const putEntry = useCallback((entry: QueueEntryView) => setLocal((rows) => upsert(rows, entry.id, entry)), []);
  /** Re-reads today's queue (after a conflict: someone else changed an entry). */
  const refreshQueue = useCallback(async () => {
    const reply = await api(`/doctors/${doctorId}/queue`, { schema: queueListSchema });
    setLocal((rows) => mergeByVersion(rows, byId(reply.items, (e) => e.id)));
  }, [doctorId]);

  return {
    status: topic.status,
    error: topic.error,
    eta: topic.state?.eta[clinic.id],
    appointments,
    queue,
    slots: slots.state,
    day: day.state,
    reloadDay: day.reload,
    reloadSlots: slots.reload,
    nameOf,
    putEntry,
    refreshQueue,
  };
}
