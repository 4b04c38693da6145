/** Loyalty points: awards, balance and history, redemption for a free booking, returns (docs/loyalty.md). */
import type { Module } from "../../platform/module";
import { LoyaltyPointsEntrySchema } from "./loyalty.entity";
import { loyaltyRoutes } from "./loyalty.routes";
import { loyaltyJobs } from "./loyalty.jobs";
import { loyaltyOnBookingChanges, redeemLoyaltyPoints, redemptionCost } from "./loyalty.service";

export const loyaltyModule: Module = {
  name: "loyalty",
  entities: () => [LoyaltyPointsEntrySchema],
  routes: (ctx) => loyaltyRoutes(ctx),
  jobs: (ctx) => loyaltyJobs(ctx),
  subscribers: (ctx) => [loyaltyOnBookingChanges(ctx)],
  // Booking spends points on a hold in its own transaction.
  provide: () => ({ points: { cost: redemptionCost, redeem: redeemLoyaltyPoints } }),
};
