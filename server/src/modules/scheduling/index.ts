/** Scheduling: availability rules, templates, slots, elastic blocks, time off, booking rules, import/export, search (docs/scheduling.md). */
import type { Module } from "../../platform/module";
import { AvailabilityRuleSchema } from "./availability-rule.entity";
import { BookingRuleSchema, OverbookingPolicySchema } from "./booking-rule.entity";
import { ElasticAllocationSchema, ElasticBlockSchema } from "./elastic.entity";
import { ScheduleTemplateSchema } from "./schedule-template.entity";
import { SlotSchema } from "./slot.entity";
import { UnavailabilitySchema } from "./unavailability.entity";
import { schedulingRoutes } from "./scheduling.routes";
import { schedulingJobs } from "./scheduling.jobs";
import { ruleAnnotations } from "./rule-annotations";
import { registerSlotTopics, slotRealtime } from "./slot.realtime";
import "./scheduling.ports";

export const schedulingModule: Module = {
  name: "scheduling",
  entities: () => [AvailabilityRuleSchema, SlotSchema, UnavailabilitySchema, ScheduleTemplateSchema, ElasticBlockSchema, ElasticAllocationSchema, BookingRuleSchema, OverbookingPolicySchema],
  routes: (ctx) => schedulingRoutes(ctx),
  jobs: (ctx) => schedulingJobs(ctx),
  topics: (realtime, ctx) => registerSlotTopics(realtime, ctx),
  subscribers: (ctx) => [slotRealtime(ctx), ruleAnnotations(ctx)],
};

// What other modules may use.
export { activeBookingRulesSql, checkBookingCandidate, type BookingRuleFacts } from "./booking-rules.service";
export { ElasticAllocation } from "./elastic.entity";
export { lockBlock, placeAllocation, retimeBookedAllocations, setBookedAllocationStatus, type LockedBlock } from "./elastic.service";
export { blockChange, readBlocks, type BlockChange, type BlockRow } from "./elastic.store";
export { Slot } from "./slot.entity";
export {
  SLOT_COLUMNS,
  freeSlotSql,
  isFree,
  lapsedSlotHoldSql,
  readSlot,
  recordSlotChanges,
  slotChange,
  slotColumns,
  slotTaken,
  takeSlot,
  type SlotChange,
  type SlotRow,
} from "./slot.store";
export type { LeaveCancellations } from "./scheduling.ports";
export { serializeIcs } from "./ical";
export { serializeCsv } from "./csv";
export { doctorWorksAt } from "./availability-rule.service";
export { overbookingAllowance, type OverbookingAllowance } from "./overbooking.service";
export { SYSTEM_TAG_PREFIX, coveringUnavailability } from "./unavailability.service";
