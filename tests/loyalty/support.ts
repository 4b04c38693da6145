/** Loyalty readers: the ledger's own sum and its entries of a kind, to check the balance the API reports. */
import { count } from "../support/db";
import type { HasRuntime } from "../support/harness";

export const ledgerSum = (app: HasRuntime, patientId: string) =>
  count(app, `select coalesce(sum(points), 0) as n from loyalty_points_entry where patient_id = ?`, [patientId]);

export const entries = (app: HasRuntime, patientId: string, kind: string) =>
  count(app, `select count(*) as n from loyalty_points_entry where patient_id = ? and kind = ?`, [patientId, kind]);
