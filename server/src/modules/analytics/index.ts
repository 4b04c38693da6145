/** Analytics: a clinic's figures over a range of days, and its weekday × hour heatmap (docs/analytics.md). Reads only. */
import type { Module } from "../../platform/module";
import { analyticsRoutes } from "./analytics.routes";

export const analyticsModule: Module = {
  name: "analytics",
  routes: (ctx) => analyticsRoutes(ctx),
};
