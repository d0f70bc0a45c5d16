/**
 * Where the lab store lives (SPEC section 4): the folder named by the setting
 * `checkpointLab.storeLocation`, else the workspace storage (context.storageUri), else the
 * global storage when no folder is open. Also the registry of every store this extension
 * has opened, kept in global storage, so a `checkpoint-lab:` URI (which carries the
 * store's Id) resolves in any window.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';

export type StoreSource = 'setting' | 'workspace' | 'global';

export interface StoreLocation {
  /** Absolute path of the store folder. */
  path: string;
  source: StoreSource;
}

export interface StoreLocationInputs {
  /** Value of `checkpointLab.storeLocation` (empty or undefined: not set). */
  setting?: string;
  /** context.storageUri?.fsPath */
  workspaceStorage?: string;
  /** context.globalStorageUri.fsPath */
  globalStorage: string;
  /** The first workspace folder, for relative settings and `${workspaceFolder}`. */
  workspaceFolder?: string;
}

export function resolveStoreLocation(inputs: StoreLocationInputs): StoreLocation {
  const setting = inputs.setting?.trim();
  if (setting) {
    let expanded = setting.replace(/^~(?=$|[\\/])/, homedir());
    if (inputs.workspaceFolder) expanded = expanded.replace(/\$\{workspaceFolder\}/g, inputs.workspaceFolder);
    const base = inputs.workspaceFolder ?? homedir();
    return { path: isAbsolute(expanded) ? resolve(expanded) : resolve(base, expanded), source: 'setting' };
  }
  if (inputs.workspaceStorage) return { path: resolve(inputs.workspaceStorage), source: 'workspace' };
  // A subfolder: global storage also holds the store registry, which is not part of any store.
  return { path: join(inputs.globalStorage, 'store'), source: 'global' };
}

export interface StoreRegistryEntry {
  path: string;
  lastOpened: string;
}

interface RegistryFile {
  version: 1;
  stores: Record<string, StoreRegistryEntry>;
}

/** Store Id -> folder, in `<globalStorage>/store-registry.json`. */
export class StoreRegistry {
  readonly file: string;

  constructor(globalStorage: string) {
    this.file = join(globalStorage, 'store-registry.json');
  }

  read(): Record<string, StoreRegistryEntry> {
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<RegistryFile>;
      return parsed && typeof parsed.stores === 'object' && parsed.stores !== null ? parsed.stores : {};
    } catch {
      return {};
    }
  }

  lookup(storeId: string): string | undefined {
    return this.read()[storeId]?.path;
  }

  /** Records (or refreshes) a store; re-reads first so other windows' entries survive. */
  record(storeId: string, path: string, now = new Date()): void {
    const stores = this.read();
    stores[storeId] = { path, lastOpened: now.toISOString() };
    const content: RegistryFile = { version: 1, stores };
    mkdirSync(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(content, null, 2));
    renameSync(temporary, this.file);
  }
}
