/**
 * R32: stores written by an older format are migrated forward on open, after a copy of
 * their metadata is kept under Backups/format-<old>-<time>/. Each migration turns format
 * n into n+1 inside one store commit, so a crash mid-migration leaves the old format.
 *
 * Format 0 (the prototype): metadata files were plain JSON objects {"format": 0, ...fields}
 * without a checksum. Format 1 wraps them in the checksummed envelope (codec.ts).
 */
import * as path from 'node:path';
import { STORE_FORMAT } from './codec';
import type { Store, Transaction } from './store';

export type Migration = (store: Store, tx: Transaction, metadataFiles: string[]) => void;

const METADATA = /\.(json|vmcx|vmrs)$/;

export const migrations = new Map<number, Migration>([
  [
    0,
    (store, tx, files) => {
      for (const rel of files) {
        const { format: _format, ...data } = JSON.parse(store.readFile(rel).toString('utf8')) as Record<string, unknown>;
        void _format;
        tx.writeJson(rel, data);
      }
    },
  ],
]);

/** Registers (or replaces) the migration from `fromFormat` to `fromFormat + 1`. */
export function registerMigration(fromFormat: number, migration: Migration): void {
  migrations.set(fromFormat, migration);
}

export function runMigrations(store: Store, fromFormat: number): void {
  const files = store.listFiles().filter((rel) => METADATA.test(rel));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const backup = `Backups/format-${fromFormat}-${stamp}`;
  // Keep a copy first (R32), durably, before anything is rewritten.
  store.commit((tx) => {
    for (const rel of files) tx.writeFile(path.posix.join(backup, rel), store.readFile(rel));
  });
  for (let format = fromFormat; format < STORE_FORMAT; format++) {
    const migration = migrations.get(format);
    if (!migration) throw new Error(`no migration from store format ${format}`);
    store.commit((tx) => migration(store, tx, files));
  }
}
