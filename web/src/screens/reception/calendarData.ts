/**
 * The day calendar's data: every listed doctor's slots at the clinic on one local date (staff view,
 * with service and tags), the clinic's appointments of that date and its services (colours). Re-read
 * when a `clinic:` slot or appointment event touches the date shown (the events carry no service or
 * tags, so the rows are re-read rather than patched).
 */
import { useCallback, useEffect, useRef } from "react";
import {
  addDays,
  appointmentListSchema,
  clinicServiceListSchema,
  isEventOf,
  staffSlotListSchema,
  zonedToInstant,
  type AppointmentView,
  type ClinicServiceView,
  type ClinicSummary,
  type DoctorSummary,
  type ReceivedEvent,
  type StaffSlotView,
} from "@clinic/shared";
import { api } from "../../lib/api";
import { localDate } from "../../lib/format";
import { useLoad } from "../../lib/useLoad";
import { useClinicLive } from "./live";

export interface DayData {
  slots: StaffSlotView[];
  appointments: AppointmentView[];
  services: ClinicServiceView[];
}

export function dayBounds(date: string, timeZone: string) {
  return { from: zonedToInstant(date, "00:00", timeZone), to: zonedToInstant(addDays(date, 1), "00:00", timeZone) };
}

export function useDayCalendar(clinic: ClinicSummary | null, doctors: DoctorSummary[], date: string) {
  const clinicId = clinic?.id ?? null;
  const doctorKey = doctors.map((d) => d.id).join(",");
  const day = useLoad<DayData | null>(
    async (signal) => {
      if (!clinic) return null;
      const { from, to } = dayBounds(date, clinic.timeZone);
      const range = `clinicId=${clinic.id}&from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
      const [slotLists, appointments, services] = await Promise.all([
        Promise.all(doctors.map((d) => api(`/doctors/${d.id}/slots?${range}`, { schema: staffSlotListSchema, signal }))),
        api(`/clinics/${clinic.id}/day?date=${date}`, { schema: appointmentListSchema, signal }),
        api(`/clinics/${clinic.id}/services`, { schema: clinicServiceListSchema, signal }),
      ]);
      return { slots: slotLists.flatMap((list) => list.items), appointments: appointments.items, services: services.items };
    },
    [clinicId, doctorKey, date],
  );

  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const reloadRef = useRef(day.reload);
  reloadRef.current = day.reload;
  const onEvent = useCallback(
    (event: ReceivedEvent) => {
      if (!clinic || !(isEventOf(event, "slot") || isEventOf(event, "slots") || isEventOf(event, "appointment") || isEventOf(event, "elastic"))) return;
      const start = (event.data as { start?: unknown }).start;
      if (typeof start === "string" && localDate(start, clinic.timeZone) !== date) return;
      // One re-read per burst (a reschedule sends several slot and appointment events).
      clearTimeout(timer.current);
      timer.current = setTimeout(() => void reloadRef.current(), 120);
    },
    [clinic, date],
  );
  useEffect(() => () => clearTimeout(timer.current), []);
  const live = useClinicLive(clinicId, onEvent);
  return { day, live };
}
