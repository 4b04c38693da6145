/**
 * The staff calendar's data: the shown doctors' slots at the clinic over the local dates shown (a day,
 * or a week; staff view, with service and tags), the clinic's appointments of those dates and its
 * services (colours). Re-read when a `clinic:` slot or appointment event touches a date shown (the
 * events carry no service or tags, so the rows are re-read rather than patched).
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

/** `dates`: consecutive local days, first to last. */
export function useCalendarData(clinic: ClinicSummary | null, doctors: DoctorSummary[], dates: string[]) {
  const clinicId = clinic?.id ?? null;
  const doctorKey = doctors.map((d) => d.id).join(",");
  const first = dates[0] ?? "";
  const last = dates[dates.length - 1] ?? "";
  const day = useLoad<DayData | null>(
    ["staff-calendar", clinicId, doctorKey, first, last],
    async (signal) => {
      if (!clinic || !first) return null;
      const from = dayBounds(first, clinic.timeZone).from;
      const to = dayBounds(last, clinic.timeZone).to;
      const range = `clinicId=${clinic.id}&from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
      const [slotLists, appointmentLists, services] = await Promise.all([
        Promise.all(doctors.map((d) => api(`/doctors/${d.id}/slots?${range}`, { schema: staffSlotListSchema, signal }))),
        Promise.all(dates.map((date) => api(`/clinics/${clinic.id}/day?date=${date}`, { schema: appointmentListSchema, signal }))),
        api(`/clinics/${clinic.id}/services`, { schema: clinicServiceListSchema, signal }),
      ]);
      return { slots: slotLists.flatMap((list) => list.items), appointments: appointmentLists.flatMap((list) => list.items), services: services.items };
    },
  );

  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const reloadRef = useRef(day.reload);
  reloadRef.current = day.reload;
  const onEvent = useCallback(
    (event: ReceivedEvent) => {
      if (!clinic || !(isEventOf(event, "slot") || isEventOf(event, "slots") || isEventOf(event, "appointment") || isEventOf(event, "elastic"))) return;
      const start = (event.data as { start?: unknown }).start;
      if (typeof start === "string") {
        const date = localDate(start, clinic.timeZone);
        if (date < first || date > last) return;
      }
      // One re-read per burst (a reschedule sends several slot and appointment events).
      clearTimeout(timer.current);
      timer.current = setTimeout(() => void reloadRef.current(), 120);
    },
    [clinic, first, last],
  );
  useEffect(() => () => clearTimeout(timer.current), []);
  const live = useClinicLive(clinicId, onEvent);
  return { day, live };
}
