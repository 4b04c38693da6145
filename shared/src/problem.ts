import { z } from "zod";

/**
 * RFC 9457 problem details, with a stable machine-readable `code`. Loose: extension members a code
 * documents (`nextFreeAt` of NO_WALK_IN_CAPACITY, `currentVersion` of VERSION_CONFLICT …) survive parsing.
 */
export const problemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  requestId: z.string().optional(),
  /** One entry per rejected input field, named by its path (e.g. `body.slotId`). */
  errors: z
    .array(z.object({ field: z.string(), message: z.string() }))
    .optional(),
});
export type Problem = z.infer<typeof problemSchema>;

export const PROBLEM_CONTENT_TYPE = "application/problem+json";
