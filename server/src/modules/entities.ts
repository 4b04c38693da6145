/** Every entity the ORM knows; each module adds its own here. */
import { ClinicSchema } from "./directory/clinic.entity";
import { UserAccountSchema } from "./identity/user.entity";

export const entities = [ClinicSchema, UserAccountSchema];
