/**
 * Handover: moving visits to another doctor at their clinic (docs/handover.md) — one visit for the
 * queue's reassign, a date range of a doctor's appointments for delegation.
 */
import type { Module } from "../../platform/module";
import { handoverRoutes } from "./handover.routes";

export const handoverModule: Module = {
  name: "handover",
  routes: (ctx) => handoverRoutes(ctx),
};

// What other modules may use.
export { freePlaceFor, handOverAppointment } from "./appointment-handover";
