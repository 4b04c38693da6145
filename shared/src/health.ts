import { z } from "zod";

export const processRoles = ["api", "worker", "all"] as const;
export type ProcessRole = (typeof processRoles)[number];

export const healthSchema = z.object({
  status: z.literal("ok"),
  version: z.string(),
  role: z.enum(processRoles),
  uptimeSeconds: z.number(),
});
export type Health = z.infer<typeof healthSchema>;

export const dependencyCheckSchema = z.object({
  status: z.enum(["up", "down"]),
  latencyMs: z.number().optional(),
  error: z.string().optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
export type DependencyCheck = z.infer<typeof dependencyCheckSchema>;

/**
 * `ready`: every check is up. `degraded` (still 200): only a check this role can serve without is
 * down (an api node's `worker` heartbeat). `not_ready` (503): a check the role needs is down.
 */
export const readinessSchema = z.object({
  status: z.enum(["ready", "degraded", "not_ready"]),
  checks: z.record(z.string(), dependencyCheckSchema),
});
export type Readiness = z.infer<typeof readinessSchema>;
