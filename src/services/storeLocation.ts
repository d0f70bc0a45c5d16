/**
 * Where the lab store lives (SPEC section 4): the folder named by the setting
 * `checkpointLab.storeLocation`, else the workspace storage (context.storageUri), else the
 * global storage when no folder is open. Also the registry of every store this extension
 * has opened, kept in global storage, so a `checkpoint-lab:` URI (which carries the
 * store's Id) resolves in any window.
 *
 * A window whose (first) workspace folder is a `checkpoint-lab:` URI (Open Disk, Browse)
 * has workspace storage of its own, which holds no lab: its store is the one the URI names,
 * found in the registry (resolveWindowStoreLocation), so the new window shows the same lab.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { SCHEME } from '../fs/uri';

/** 'registry': the store of this window's `checkpoint-lab:` folder, found in the store registry. */
export type StoreSource = 'setting' | 'workspace' | 'global' | 'registry';

export interface StoreLocation {
  /** Absolute path of the store folder. */
  path: string;
  source: StoreSource;
  /** The store Id this location must hold (source 'registry': the Id in the folder's URI). */
  storeId?: string;
  /**
   * Set when this window's store cannot be used: its `checkpoint-lab:` folder names a store
   * this machine does not know. The message says why; the host refuses to open (or create)
   * anything, rather than showing an empty lab.
   */
  unavailable?: string;
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

/** A workspace folder's URI, as far as the store location cares. */
export interface FolderUri {
  scheme: string;
  authority: string;
}

export interface WindowStoreInputs extends StoreLocationInputs {
  /** The window's workspace folders (vscode.workspace.workspaceFolders' URIs), in order. */
  folders?: readonly FolderUri[];
  /** Store Id -> folder (StoreRegistry.lookup). */
  lookup: (storeId: string) => string | undefined;
  /** Whether a folder holds a lab store (default: it has lab.json). */
  holdsLab?: (path: string) => boolean;
}

/** The store Id of a window whose first workspace folder is a `checkpoint-lab:` URI. */
export function labFolderStoreId(folders: readonly FolderUri[] | undefined): string | undefined {
  const first = folders?.[0];
  return first && first.scheme === SCHEME && first.authority ? first.authority : undefined;
}

/**
 * The store of a window: the setting when it names one; else, when the window's first
 * workspace folder is a `checkpoint-lab://<store Id>/...` URI, the folder the registry
 * records for that Id (source 'registry'), or an `unavailable` location when the Id is not
 * known or its folder no longer holds a lab; else workspace or global storage.
 */
export function resolveWindowStoreLocation(inputs: WindowStoreInputs): StoreLocation {
  const storeId = inputs.setting?.trim() ? undefined : labFolderStoreId(inputs.folders);
  if (storeId === undefined) return resolveStoreLocation(inputs);
  const holdsLab = inputs.holdsLab ?? ((path: string) => existsSync(join(path, 'lab.json')));
  const recorded = inputs.lookup(storeId);
  if (recorded !== undefined && holdsLab(recorded)) return { path: resolve(recorded), source: 'registry', storeId };
  const why =
    recorded === undefined
      ? `the lab store '${storeId}' of this window's folder is not known on this machine`
      : `the lab store '${storeId}' of this window's folder was recorded at '${recorded}', which no longer holds a lab`;
  return {
    ...resolveStoreLocation({ ...inputs, setting: undefined }),
    source: 'registry',
    storeId,
    unavailable:
      `Checkpoint Lab shows no lab in this window: ${why}. Open the lab's disk again from the window that holds the lab, ` +
      `or set "checkpointLab.storeLocation" to the store's folder.`,
  };
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
