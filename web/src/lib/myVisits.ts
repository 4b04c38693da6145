/**
 * The patient's own visits, as every screen that lists them reads them (home, "My appointments"):
 * queries under `["my-appointments", …]`, re-read together when the patient's `me` topic says a visit
 * changed or its live estimate moved (`eta.moved`), whichever screen heard it.
 */
import { isEventOf, type ReceivedEvent } from "@clinic/shared";
import { queryClient } from "./useLoad";

export const MY_APPOINTMENTS = "my-appointments";

export function refreshMyVisitsOn(event: ReceivedEvent): void {
  if (isEventOf(event, "appointment") || event.type === "eta.moved") void queryClient.invalidateQueries({ queryKey: [MY_APPOINTMENTS] });
}
