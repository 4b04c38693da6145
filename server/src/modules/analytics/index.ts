/** Analytics: a clinic's figures over a range of days, its heatmap, the platform overview, and the live `analytics:` topic (docs/analytics.md). */
import type { Module } from "../../platform/module";
import { analyticsRoutes } from "./analytics.routes";
import { analyticsRealtime, registerAnalyticsTopic } from "./analytics.realtime";

export const analyticsModule: Module = {
  name: "analytics",
  routes: (ctx) => analyticsRoutes(ctx),
  topics: (realtime) => registerAnalyticsTopic(realtime),
  subscribers: (ctx) => [analyticsRealtime(ctx)],
};
