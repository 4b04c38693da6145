/** Every migration, in order. Listed explicitly so the production bundle carries them. */
import { Migration20261122000000_platform } from "./Migration20261122000000_platform";
import { Migration20261122015407_identity_directory_audit } from "./Migration20261122015407_identity_directory_audit";
import { Migration20261122021715_scheduling } from "./Migration20261122021715_scheduling";

export const migrationsList = [
  Migration20261122000000_platform,
  Migration20261122015407_identity_directory_audit,
  Migration20261122021715_scheduling,
].map((migration) => ({ name: migration.name, class: migration }));
