/**
 * Where uploaded files live (docs/directory.md "Credential documents"): a port with one adapter,
 * the local disk under FILE_STORAGE_DIR. Every api node must see the same directory (a shared volume);
 * an object store is another adapter of the same three calls. Keys are ids the caller made (never a
 * name a user typed), so no path can leave the directory.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

export interface FileStore {
  put(key: string, bytes: Buffer): Promise<void>;
  /** The bytes, or null when there is no such file. */
  get(key: string): Promise<Buffer | null>;
  delete(key: string): Promise<void>;
}

const SAFE_KEY = /^[a-z0-9-]{1,80}$/;

function fileOf(dir: string, key: string): string {
  if (!SAFE_KEY.test(key)) throw new Error(`not a storage key: ${key}`);
  return path.join(dir, key);
}

export function localDiskStore(dir: string): FileStore {
  return {
    async put(key, bytes) {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      // Written whole, then renamed: a reader never sees half a file.
      const partial = path.join(dir, `.${randomUUID()}.partial`);
      await fs.writeFile(partial, bytes, { mode: 0o600 });
      await fs.rename(partial, fileOf(dir, key));
    },
    async get(key) {
      try {
        return await fs.readFile(fileOf(dir, key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw error;
      }
    },
    async delete(key) {
      await fs.rm(fileOf(dir, key), { force: true });
    },
  };
}
