/**
 * A doctor's slots at one clinic as an iCalendar feed (one VEVENT per slot, UID = slot id, times in
 * UTC) or as CSV in the clinic's wall-clock time (the columns the import reads).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { localDateOf, localTimeOf, type SlotStatus } from "@clinic/shared";
import { invalid } from "../../platform/errors";
import { serializeCsv } from "./csv";
import { serializeIcs, type IcsEventOut } from "./ical";
import { loadClinic, loadDoctor, requireWorksAt } from "./slot-rows";
import { slotColumns, type SlotRow } from "./slot.store";
import { SYSTEM_TAG_PREFIX } from "./unavailability.service";

const DEFAULT_DAYS = 90;
const MAX_DAYS = 366;

const icsStatus: Record<SlotStatus, IcsEventOut["status"]> = {
  booked: "CONFIRMED",
  held: "TENTATIVE",
  available: "TENTATIVE",
  blocked: "CANCELLED",
  expired: "CANCELLED",
};

interface ExportRow extends SlotRow {
  service_name: string | null;
}

async function loadSlots(em: EntityManager, doctorId: string, query: { clinicId: string; from?: string; to?: string }) {
  const doctor = await loadDoctor(em, doctorId);
  const clinic = await loadClinic(em, query.clinicId);
  requireWorksAt(doctor, clinic.id);
  const from = query.from ? new Date(query.from) : new Date();
  const to = query.to ? new Date(query.to) : new Date(from.getTime() + DEFAULT_DAYS * 86_400_000);
  if (to <= from) throw invalid("query.to", "must be after from");
  if (to.getTime() - from.getTime() > MAX_DAYS * 86_400_000) {
    throw invalid("query.to", `at most ${MAX_DAYS} days after from`);
  }
  const rows = await em.execute<ExportRow[]>(
    `select ${slotColumns("s")}, cs.name as service_name
       from slot s left join clinic_service cs on cs.id = s.service_id
      where s.doctor_id = ? and s.clinic_id = ? and s.status <> 'expired' and s.starts_at < ? and s.ends_at > ?
      order by s.starts_at, s.id`,
    [doctorId, clinic.id, to, from],
  );
  const displayName = await em.execute<{ display_name: string }[]>(`select display_name from doctor where id = ?`, [doctorId]);
  return { clinic, rows, doctorName: displayName[0]?.display_name ?? "Doctor" };
}

const publicTags = (tags: string[]) => tags.filter((t) => !t.startsWith(SYSTEM_TAG_PREFIX));
const label = (s: string) => s.charAt(0).toUpperCase() + s.slice(1).replaceAll("_", " ");

export async function exportIcs(em: EntityManager, doctorId: string, query: { clinicId: string; from?: string; to?: string }): Promise<string> {
  const { clinic, rows, doctorName } = await loadSlots(em, doctorId, query);
  return serializeIcs({
    name: `${doctorName} – ${clinic.name}`,
    stamp: new Date(),
    events: rows.map((row) => ({
      uid: row.id,
      start: new Date(row.starts_at),
      end: new Date(row.ends_at),
      summary: [label(row.status), label(row.kind), row.service_name].filter(Boolean).join(" · "),
      status: icsStatus[row.status],
      description: row.note,
      categories: publicTags(row.tags),
      extra: {
        "X-CLINIC-LIVE-STATUS": row.status,
        "X-CLINIC-LIVE-KIND": row.kind,
        ...(row.service_name ? { "X-CLINIC-LIVE-SERVICE": row.service_name } : {}),
      },
    })),
  });
}

export async function exportCsv(em: EntityManager, doctorId: string, query: { clinicId: string; from?: string; to?: string }): Promise<string> {
  const { clinic, rows } = await loadSlots(em, doctorId, query);
  const zone = clinic.timeZone;
  return serializeCsv([
    ["date", "start", "end", "kind", "service", "tags", "note", "status"],
    ...rows.map((row) => [
      localDateOf(new Date(row.starts_at), zone),
      localTimeOf(new Date(row.starts_at), zone),
      localTimeOf(new Date(row.ends_at), zone),
      row.kind,
      row.service_name ?? "",
      publicTags(row.tags).join(";"),
      row.note ?? "",
      row.status,
    ]),
  ]);
}
