/** The audit trail's read side (docs/access.md): `GET /audit`. The recorder is the platform's (platform/audit.ts). */
import type { Module } from "../../platform/module";
import { auditRoutes } from "./audit.routes";

export const auditModule: Module = {
  name: "audit",
  routes: (ctx) => auditRoutes(ctx),
};

