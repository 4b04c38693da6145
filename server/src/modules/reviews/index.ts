/** Reviews and ratings of completed visits (docs/reviews.md). */
import type { Module } from "../../platform/module";
import { ReviewSchema } from "./review.entity";
import { reviewRoutes } from "./review.routes";

export const reviewsModule: Module = {
  name: "reviews",
  entities: () => [ReviewSchema],
  routes: (ctx) => reviewRoutes(ctx),
};

