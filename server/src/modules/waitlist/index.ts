/** The waitlist: joining, offers held for the patient, accept / decline / timeout (docs/waitlist.md). */
import type { Module } from "../../platform/module";
import { WaitlistEntrySchema, WaitlistOfferSchema } from "./waitlist.entity";
import { waitlistRoutes } from "./waitlist.routes";
import { waitlistJobs, waitlistMatching } from "./waitlist.jobs";
import { registerWaitlistSnapshot, waitlistRealtime } from "./waitlist.realtime";

export const waitlistModule: Module = {
  name: "waitlist",
  entities: () => [WaitlistEntrySchema, WaitlistOfferSchema],
  routes: (ctx) => waitlistRoutes(ctx),
  jobs: (ctx) => waitlistJobs(ctx),
  topics: (realtime, ctx) => registerWaitlistSnapshot(realtime, ctx),
  subscribers: (ctx) => [waitlistMatching(ctx), waitlistRealtime(ctx)],
};
