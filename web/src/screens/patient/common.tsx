/**
 * Small helpers the patient screens share: names for lists of ids (through lib/directory.ts), a
 * one-shot notice carried across a navigation, and the shared `me` topic hook (the countdown clock
 * is lib/useNow.ts).
 */
import { useSyncExternalStore } from "react";
import { MY_TOPIC, type ClinicSummary, type ReceivedEvent } from "@clinic/shared";
import { loadClinics, loadDoctor } from "../../lib/directory";
import { useLoad } from "../../lib/useLoad";
import { useTopic } from "../../lib/useTopic";
import { meFromSnapshot, reduceMe, type MeState } from "./live";

/** Clinics by id and doctors by id for lists that show names next to ids. */
export function useDirectory(doctorIds: readonly string[]) {
  const key = [...new Set(doctorIds)].sort().join(",");
  return useLoad(["directory", key], async () => {
    const [clinics, list] = await Promise.all([loadClinics(), Promise.all(key ? key.split(",").map(loadDoctor) : [])]);
    return {
      clinics: new Map(clinics.map((clinic) => [clinic.id, clinic])),
      doctors: new Map(list.map((doctor) => [doctor.id, doctor])),
    };
  });
}

export const zoneOf = (clinics: ReadonlyMap<string, ClinicSummary> | undefined, clinicId: string) =>
  clinics?.get(clinicId)?.timeZone ?? "UTC";

// ---------------------------------------------------------------- a notice across navigation

let notice: string | null = null;
const noticeListeners = new Set<() => void>();
/** Shows `message` on the next screen that reads it (e.g. "your hold expired" back on the week). */
export function setNotice(message: string | null) {
  notice = message;
  for (const listener of noticeListeners) listener();
}
export function useNotice(): [string | null, () => void] {
  const value = useSyncExternalStore(
    (listener) => {
      noticeListeners.add(listener);
      return () => noticeListeners.delete(listener);
    },
    () => notice,
  );
  return [value, () => setNotice(null)];
}

export function Notice() {
  const [message, clear] = useNotice();
  if (!message) return null;
  return (
    <div className="patient-notice" role="alert">
      <p>{message}</p>
      <button type="button" className="button button-quiet" onClick={clear}>Dismiss</button>
    </div>
  );
}

// ---------------------------------------------------------------- me

/** The signed-in patient's `me` topic: appointments, unread count and waitlist entries, live. */
export function useMe(onEvent?: (event: ReceivedEvent) => void) {
  return useTopic<MeState>(MY_TOPIC, { fromSnapshot: meFromSnapshot, reduce: reduceMe, onEvent });
}
