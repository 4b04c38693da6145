/** Every migration, in order. Listed explicitly so the production bundle carries them. */
import { Migration20261122000000_platform } from "./Migration20261122000000_platform";

export const migrationsList = [
  { name: Migration20261122000000_platform.name, class: Migration20261122000000_platform },
];
