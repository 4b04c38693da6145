/** Every migration, in order. Listed explicitly so the production bundle carries them. */
import { Migration20261122000000_platform } from "./Migration20261122000000_platform";
import { Migration20261122015407_identity_directory_audit } from "./Migration20261122015407_identity_directory_audit";
import { Migration20261122021715_scheduling } from "./Migration20261122021715_scheduling";
import { Migration20261122024645_booking } from "./Migration20261122024645_booking";
import { Migration20261122034749_elastic_booking } from "./Migration20261122034749_elastic_booking";
import { Migration20261122034959_display_tokens } from "./Migration20261122034959_display_tokens";
import { Migration20261122043643_notification_delivery } from "./Migration20261122043643_notification_delivery";
import { Migration20261122044305_lifecycle_loyalty } from "./Migration20261122044305_lifecycle_loyalty";
import { Migration20261122044326_waitlist } from "./Migration20261122044326_waitlist";
import { Migration20261122044330_notification_preferences } from "./Migration20261122044330_notification_preferences";
import { Migration20261122052410_waiting_queue } from "./Migration20261122052410_waiting_queue";
import { Migration20261122052925_eta_notice } from "./Migration20261122052925_eta_notice";
import { Migration20261122080233_reviews } from "./Migration20261122080233_reviews";
import { Migration20261122080250_payments } from "./Migration20261122080250_payments";
import { Migration20261122080740_loyalty_redeem } from "./Migration20261122080740_loyalty_redeem";
import { Migration20261122083525_refunds_wallet } from "./Migration20261122083525_refunds_wallet";
import { Migration20261207090000_money_follows_visit } from "./Migration20261207090000_money_follows_visit";
import { Migration20261207100000_queue_one_called } from "./Migration20261207100000_queue_one_called";
import { Migration20261207120000_domain_events } from "./Migration20261207120000_domain_events";
import { Migration20261214090000_pending_holds_index } from "./Migration20261214090000_pending_holds_index";
import { Migration20261221090000_doctor_documents } from "./Migration20261221090000_doctor_documents";
import { Migration20261228090000_appointment_scheduled_at } from "./Migration20261228090000_appointment_scheduled_at";

export const migrationsList = [
  Migration20261122000000_platform,
  Migration20261122015407_identity_directory_audit,
  Migration20261122021715_scheduling,
  Migration20261122024645_booking,
  Migration20261122034749_elastic_booking,
  Migration20261122034959_display_tokens,
  Migration20261122043643_notification_delivery,
  Migration20261122044305_lifecycle_loyalty,
  Migration20261122044326_waitlist,
  Migration20261122044330_notification_preferences,
  Migration20261122052410_waiting_queue,
  Migration20261122052925_eta_notice,
  Migration20261122080233_reviews,
  Migration20261122080250_payments,
  Migration20261122080740_loyalty_redeem,
  Migration20261122083525_refunds_wallet,
  Migration20261207090000_money_follows_visit,
  Migration20261207100000_queue_one_called,
  Migration20261207120000_domain_events,
  Migration20261214090000_pending_holds_index,
  Migration20261221090000_doctor_documents,
  Migration20261228090000_appointment_scheduled_at,
].map((migration) => ({ name: migration.name, class: migration }));
