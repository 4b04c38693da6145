/** Every entity the ORM knows; each module adds its own here. */
import { AuditEventSchema } from "../platform/audit.entity";
import { AppointmentSchema } from "./booking/appointment.entity";
import { IdempotencyRecordSchema } from "./booking/idempotency.entity";
import { LoyaltyPointsEntrySchema } from "./loyalty/loyalty.entity";
import { WaitlistEntrySchema, WaitlistOfferSchema } from "./waitlist/waitlist.entity";
import { ClinicSchema } from "./directory/clinic.entity";
import { DoctorSchema } from "./directory/doctor.entity";
import { DoctorPatientSchema, PatientSchema } from "./directory/patient.entity";
import { ClinicServiceSchema } from "./directory/service.entity";
import { SpecialtySchema } from "./directory/specialty.entity";
import { OneTimeCodeSchema, TotpBackupCodeSchema } from "./identity/code.entity";
import { ClinicMembershipSchema } from "./identity/membership.entity";
import { AuthSessionSchema, RefreshTokenSchema } from "./identity/session.entity";
import { UserAccountSchema } from "./identity/user.entity";
import { OutboxMessageSchema } from "./notifications/outbox.entity";
import { NotificationPreferenceSchema } from "./notifications/preference.entity";
import { DisplayTokenSchema } from "./queue/display-token.entity";
import { QueueEntrySchema, QueueTicketCounterSchema } from "./queue/queue-entry.entity";
import { EtaNoticeSchema } from "./queue/eta-notice.entity";
import { CheckoutSessionSchema, PaymentEventSchema, PaymentTransactionSchema, StripeCustomerSchema, WalletEntrySchema } from "./payments/payments.entity";
import { AvailabilityRuleSchema } from "./scheduling/availability-rule.entity";
import { BookingRuleSchema, OverbookingPolicySchema } from "./scheduling/booking-rule.entity";
import { ElasticAllocationSchema, ElasticBlockSchema } from "./scheduling/elastic.entity";
import { ScheduleTemplateSchema } from "./scheduling/schedule-template.entity";
import { ReviewSchema } from "./reviews/review.entity";
import { SlotSchema } from "./scheduling/slot.entity";
import { UnavailabilitySchema } from "./scheduling/unavailability.entity";

export const entities = [
  AuditEventSchema,
  ClinicSchema,
  ClinicServiceSchema,
  DoctorSchema,
  DoctorPatientSchema,
  PatientSchema,
  SpecialtySchema,
  UserAccountSchema,
  ClinicMembershipSchema,
  AuthSessionSchema,
  RefreshTokenSchema,
  OneTimeCodeSchema,
  TotpBackupCodeSchema,
  OutboxMessageSchema,
  NotificationPreferenceSchema,
  AvailabilityRuleSchema,
  SlotSchema,
  UnavailabilitySchema,
  ScheduleTemplateSchema,
  ElasticBlockSchema,
  ElasticAllocationSchema,
  BookingRuleSchema,
  OverbookingPolicySchema,
  AppointmentSchema,
  IdempotencyRecordSchema,
  LoyaltyPointsEntrySchema,
  DisplayTokenSchema,
  QueueEntrySchema,
  QueueTicketCounterSchema,
  EtaNoticeSchema,
  WaitlistEntrySchema,
  WaitlistOfferSchema,
  ReviewSchema,
  StripeCustomerSchema,
  CheckoutSessionSchema,
  PaymentEventSchema,
  PaymentTransactionSchema,
  WalletEntrySchema,
];
