import { z } from "zod";

/** POST /payments/appointments/:id/checkout: the Checkout URL of a pending paid hold. */
export const checkoutReplySchema = z.object({ checkoutUrl: z.url() });
export type CheckoutReply = z.infer<typeof checkoutReplySchema>;
