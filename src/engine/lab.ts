/**
 * The lab facade: open a store, list and find VMs and checkpoints, and every operation of
 * SPEC sections 2-3 with Hyper-V's rules. The CLI, the tree, the commands and the file
 * system provider call only this class.
 *
 * How it works:
 * - lab.json is the registry and the index (vm.ts): listings read it alone (one JSON read,
 *   no WebAssembly, no disk maps), checking file presence with a few readdirs for R25.
 * - Every changing operation runs under the store's lock (R31) and commits once (R28): the
 *   registry is cloned, changed, and written in the same transaction as the disk and
 *   config changes; the clone replaces the cached registry only after the commit point.
 * - Per VM, a runtime keeps the loaded disks (VmDisks), Now's mounted ext4 (GuestFs) and
 *   the memory (RunFs). A guest write is synced and committed before it returns; any
 *   failure drops the runtime, so the next operation reloads the committed state.
 * - Another process's commit (the store's sequence moved) drops every runtime and cache.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { descendantIds, findCheckpoint, removeFromTree, selectCheckpoints, treeOrder } from './checkpoint';
import { LabError, StoreFileError } from './errors';
import { type Disposable, type LabChange, type LabChangeListener, LabEventEmitter } from './events';
import { guestLoaded, loadGuest, setGuestTemplateDirectory } from './guestModule';
import { type DiskBlockDevice, DISKS_DIR, VmDisks } from './disk/vmDisks';
import { HEADER_SIZE, headerGeneration } from './disk/diskFile';
import { type MountKind, mountBudget } from './mounts';
import { crc32, decodeJson, encodeJson } from './store/codec';
import type { Io } from './store/io';
import { LAB_FILE, type Problem, Store, type Transaction } from './store/store';
import type { GuestFs, GuestView, RunFs } from './guest';
import type {
  ApplyOptions,
  ApplyResult,
  CheckpointFilter,
  CheckpointInfo,
  CheckpointOptions,
  CheckpointRef,
  CheckpointResult,
  CreateVmOptions,
  DiskFormat,
  ExportOptions,
  ExportResult,
  GuestChangeInfo,
  GuestFileInfo,
  GuestFiles,
  GuestTarget,
  ImportOptions,
  ItemStatus,
  ProgressOptions,
  RemoveCheckpointOptions,
  RemoveCheckpointResult,
  VerifyResult,
  VmChanges,
  VmDetails,
  VmInfo,
  VmRef,
} from './model';
import {
  automaticCheckpointName,
  chooseCheckpoint,
  DEFAULT_DISK_GIB,
  DEFAULT_MEMORY_BYTES,
  GIB,
  hasWildcards,
  labError,
  type LifecycleAction,
  matchesPattern,
  MAX_CHECKPOINTS,
  messages,
  nextState,
  sameName,
  validateCheckpointType,
  validateDiskGiB,
  validateGeneration,
  validateGuestOs,
  validateMemory,
  validateName,
  validateSnapshotLocation,
  defaultCheckpointName,
} from './rules';
import {
  type CheckpointRecord,
  checkpointFile,
  ENGINE_FORMAT,
  hardwareOf,
  isVmRecord,
  type LabRegistry,
  type MemoryFile,
  SNAPSHOTS_DIR,
  toCheckpointInfo,
  toVmInfo,
  vmConfigFile,
  vmConfigOf,
  vmMemoryFile,
  type VmRecord,
  VMS_DIR,
} from './vm';

export interface LabOptions {
  /** R31: how long to wait for another process's lock (default 5000 ms). */
  lockTimeoutMs?: number;
  /** File-system access (tests inject faults). */
  io?: Io;
  /** Clock for default names (R3) and CreationTime (tests). */
  now?: () => Date;
  /** Source of VM and checkpoint Ids (tests); default crypto.randomUUID. */
  newId?: () => string;
  /** Where the ext4 templates live when not found next to the code. */
  templateDirectory?: string;
}

/** What an export writes into its .vmcx (and import reads back). */
interface ExportedConfig {
  Kind: 'CheckpointLabExport';
  Id: string;
  Name: string;
  Generation: 1 | 2;
  GuestOs: 'linux' | 'windows';
  MemoryStartupBytes: number;
  DiskSizeBytes: number;
  CheckpointType: VmRecord['CheckpointType'];
  AutomaticCheckpointsEnabled: boolean;
  BackupIntegration: boolean;
  ShutdownIntegration: boolean;
  GuestServicesIntegration: boolean;
  Notes: string;
  SourceCheckpointId: string | null;
  SourceCheckpointName: string | null;
  DiskFile: string;
  ExportedAt: string;
}

/** Per-VM loaded state (see the file comment). */
interface Runtime {
  disks?: VmDisks;
  nowFs?: GuestFs;
  run?: RunFs;
  /** Read-only checkpoint mounts kept between reads, by checkpoint Id (see checkpointFs). */
  checkpointFs?: Map<string, { fs: GuestFs; device: DiskBlockDevice; disks: VmDisks }>;
}

/**
 * lab.json's record of each config file: rel path -> [size, crc32 of the bytes as committed,
 * and once a later commit has seen the file in place intact, its fingerprint (see fingerprint())].
 */
const CONFIG_CHECKS = 'ConfigChecks';
type ConfigRecord = [number, number] | [number, number, string];
type ConfigChecks = Record<string, ConfigRecord>;

/**
 * What changes whenever a file's bytes change: its inode (a rewrite is a new file renamed
 * into place) and ctime (any write or rename; unlike mtime, no tool can set it back).
 */
function fingerprint(stat: fs.Stats): string {
  return `${stat.ino}:${stat.ctimeMs}`;
}

/** A config file's verdict, valid while its size, mtime, ctime and inode stay the same. */
interface ConfigVerdict {
  key: string;
  ok: boolean;
}

/**
 * One listing's view of which files exist (R25), built from a few readdirs, and whether
 * each .vmcx is intact: a stat per file, compared with the fingerprint lab.json recorded
 * when a commit last saw the file intact, or with the verdict this process reached before
 * (verdicts: the Lab's cache); only a file that changed since (or was written by the last
 * commits) is read and its bytes' crc32 compared with the one lab.json recorded when it
 * was committed (a file from before such records: its own envelope checksum).
 */
class PresenceIndex {
  private readonly dirs = new Map<string, Set<string> | null>();
  private readonly absDirs = new Map<string, string>();
  constructor(
    private readonly store: Store,
    private readonly checks?: ConfigChecks,
    private readonly verdicts?: Map<string, ConfigVerdict>,
  ) {}

  /** True when the config file at rel (present) is intact. */
  configOk(rel: string): boolean {
    if (!this.verdicts) return true;
    const abs = this.absOf(rel);
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(abs, { throwIfNoEntry: false });
    } catch {
      stat = undefined;
    }
    if (!stat) return false;
    const recorded = this.checks?.[rel];
    // the common case, in a fresh process too: unchanged since a commit saw it intact
    if (recorded && recorded.length === 3 && recorded[0] === stat.size && recorded[2] === fingerprint(stat)) return true;
    const key = `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}:${recorded ? recorded.join(':') : ''}`;
    const known = this.verdicts.get(rel);
    if (known?.key === key) return known.ok;
    let ok: boolean;
    if (recorded && recorded[0] !== stat.size) ok = false;
    else {
      try {
        const bytes = this.store.io.readFile(abs);
        if (recorded) ok = bytes.length === recorded[0] && crc32(bytes) === recorded[1];
        else {
          decodeJson(rel, bytes);
          ok = true;
        }
      } catch {
        ok = false;
      }
    }
    this.verdicts.set(rel, { key, ok });
    return ok;
  }
  /** store.abs(rel), with the folder's part worked out once per folder (thousands of files per listing). */
  private absOf(rel: string): string {
    const at = rel.lastIndexOf('/');
    if (at <= 0) return this.store.abs(rel);
    const dirRel = rel.slice(0, at);
    let dir = this.absDirs.get(dirRel);
    if (dir === undefined) {
      dir = this.store.abs(dirRel);
      this.absDirs.set(dirRel, dir);
    }
    return path.join(dir, rel.slice(at + 1));
  }

  has(dirRel: string, name: string): boolean {
    let names = this.dirs.get(dirRel);
    if (names === undefined) {
      try {
        names = new Set(this.store.io.readdir(this.store.abs(dirRel)));
      } catch {
        names = null;
      }
      this.dirs.set(dirRel, names);
    }
    return names !== null && names.has(name);
  }
}

/**
 * VM names in listing order: what `a.localeCompare(b, undefined, { sensitivity: 'base' })`
 * gives, with one collator (localeCompare with options builds one per call).
 */
let nameCollator: Intl.Collator | undefined;
function compareNames(a: string, b: string): number {
  nameCollator ??= new Intl.Collator(undefined, { sensitivity: 'base' });
  return nameCollator.compare(a, b);
}

const RUN_PREFIX = '/run';

function isRunPath(p: string): boolean {
  const normalized = p.replace(/\/+/g, '/');
  return normalized === RUN_PREFIX || normalized.startsWith(`${RUN_PREFIX}/`);
}

function cancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw labError('Cancelled', messages.cancelled());
}

/** A folder name from a VM name (export): characters no file system likes become '_'. */
function folderName(name: string): string {
  const safe = name.replace(/[\\/:*?"<>|]/g, '_').replace(/^\.+$/, '_');
  return safe.length > 0 ? safe : '_';
}

export class Lab {
  private readonly events = new LabEventEmitter();
  private registry!: LabRegistry;
  private registrySeq = -1;
  /** Highest sequence this Lab has seen (its own commits or refresh()). */
  private observedSeq = -1;
  private readonly runtimes = new Map<string, Runtime>();
  /** R25: this process's verdicts on config files (see PresenceIndex). */
  private readonly configVerdicts = new Map<string, ConfigVerdict>();
  /** Config files written by the commit being built: recorded in lab.json with it. */
  private writtenConfigs: ConfigChecks | undefined;
  /** Mounts the running operation uses: pinned in the process's mount budget until it ends. */
  private readonly pinned: GuestFs[] = [];
  /** Ids of VMs and checkpoints whose files failed to load or verify (R25), this process. */
  private readonly damaged = new Set<string>();
  private readonly timers = new Set<ReturnType<typeof setInterval>>();
  private closed = false;
  /** VMs whose R30 usage figures are behind their disks (see refreshUsage). */
  private readonly usageStale = new Set<string>();
  private usageRefresh: Promise<void> | undefined;
  private readonly now: () => Date;
  private readonly newId: () => string;

  private constructor(
    private readonly store: Store,
    options: LabOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
  }

  // ------------------------------------------------------------------ opening

  /** Opens (creating if needed) the store at storeRoot; recovers an interrupted operation first (R28). */
  static async open(storeRoot: string, options: LabOptions = {}): Promise<Lab> {
    if (options.templateDirectory) setGuestTemplateDirectory(options.templateDirectory);
    const store = await Store.open(storeRoot, { lockTimeoutMs: options.lockTimeoutMs, io: options.io });
    const lab = new Lab(store, options);
    store.addVerifier(() => lab.verifyReferences());
    // The common case needs no lock: the store's open read lab.json (nothing to recover)
    // and there are no orphaned disk folders (a readdir says so).
    const opened = store.takeOpenedLab();
    const fast = opened !== undefined && opened.seq === store.knownSequence;
    if (fast) lab.setRegistry(opened.data as unknown as LabRegistry, opened.seq);
    if (!fast || lab.hasOrphans()) {
      await store.withLock(() => {
        lab.readRegistry();
        lab.sweepOrphans();
      });
    }
    lab.observedSeq = store.knownSequence;
    return lab;
  }

  /**
   * The store's commit sequence now (lab.seq, read without the lock): it moves with every
   * commit by any process. Equal values mean nothing in the store changed.
   */
  get commitSequence(): number {
    return this.store.readSequence();
  }

  /**
   * A version of the VM's Now (its disk's contents and its memory, /run): equal strings
   * mean nobody, in any process, changed what Now holds between the two reads. A change
   * always gives a new string; a few operations that leave Now's contents as they were
   * (a checkpoint's merge, a lifecycle change) give one too. Read without the lock (like
   * listings), without loading the disks: the registry's NowVersion and Now's disk
   * generation (one 512-byte header read). Unknown VM: the usual VmNotFound error.
   */
  async nowVersion(vm: VmRef): Promise<string> {
    await this.settleUsage();
    return this.readConsistent((registry) => {
      const record = this.findVmIn(registry, vm);
      const file = this.store.abs(`${DISKS_DIR}/${record.Id}/${record.CurrentDisk}`);
      let generation: number | undefined;
      try {
        const fd = this.store.io.openRead(file);
        try {
          const header = Buffer.alloc(HEADER_SIZE);
          if (this.store.io.pread(fd, header, 0, HEADER_SIZE, 0) === HEADER_SIZE) generation = headerGeneration(header);
        } finally {
          this.store.io.close(fd);
        }
      } catch {
        generation = undefined;
      }
      // a disk that cannot be read: a version that matches nothing, so callers re-read
      return generation === undefined ? `?${randomUUID()}` : `${record.Id}:${record.NowVersion ?? 0}:${generation}`;
    });
  }

  /** The store's Id (for checkpoint-lab: URIs). */
  get storeId(): string {
    return this.store.id;
  }

  /** Absolute path of the store folder. */
  get root(): string {
    return this.store.root;
  }

  /** Releases file handles and mounted file systems. Uncommitted work does not exist: every operation committed. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.settleUsage();
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
    // nothing loaded (a listing): nothing to release, no need for the lock
    if (this.runtimes.size > 0) await this.store.withLock(() => this.dropAllRuntimes()).catch(() => this.dropAllRuntimes());
    this.closed = true;
    this.events.clear();
  }

  // ------------------------------------------------------------------ events

  /** Subscribes to change events (vm added/changed/removed, checkpoints changed, guest files changed, store changed). */
  onDidChange(listener: LabChangeListener): Disposable {
    return this.events.on(listener);
  }

  /**
   * Checks whether another process committed to the store since this Lab last looked; if so,
   * drops caches and emits 'storeChanged'. Cheap (reads a 16-byte file); returns true on change.
   */
  async refresh(): Promise<boolean> {
    if (this.closed) return false;
    let seq: number;
    try {
      seq = this.store.readSequence();
    } catch {
      return false;
    }
    if (seq === this.observedSeq) return false;
    this.observedSeq = seq;
    this.events.emit({ kind: 'storeChanged', origin: 'external' });
    return true;
  }

  /** Polls refresh() every intervalMs (default 500) until disposed (R31: the tree refreshes within a second). */
  watch(intervalMs = 500): Disposable {
    const timer = setInterval(() => void this.refresh(), intervalMs);
    timer.unref?.();
    this.timers.add(timer);
    return {
      dispose: () => {
        clearInterval(timer);
        this.timers.delete(timer);
      },
    };
  }

  // ------------------------------------------------------------------ VMs

  /** Every VM, sorted by name. One JSON read; Status reflects missing files (R25). */
  async listVms(): Promise<VmInfo[]> {
    await this.settleUsage();
    return this.readConsistent((registry) => {
      const presence = this.presence(registry);
      return [...registry.vms]
        .sort((a, b) => compareNames(a.Name, b.Name) || (a.Id < b.Id ? -1 : 1))
        .map((vm) => toVmInfo(vm, this.store.root, this.vmStatus(vm, presence)));
    });
  }

  /** One VM by Id or name; "No virtual machine named '<name>' was found." */
  async getVm(vm: VmRef): Promise<VmInfo> {
    return this.readConsistent((registry) => this.info(this.findVmIn(registry, vm)));
  }

  /** VmInfo plus creation time, checkpoint count, boot id and uptime. */
  async getVmDetails(vm: VmRef): Promise<VmDetails> {
    return this.op(async () => {
      const record = this.findVm(vm);
      let uptime: number | null = null;
      if (record.State !== 'Off') {
        try {
          uptime = this.runOf(record, this.rt(record.Id)).uptimeMs(this.now().getTime());
        } catch {
          uptime = null;
        }
      }
      return {
        vm: this.info(record),
        CreationTime: record.CreationTime,
        CheckpointCount: record.Checkpoints.length,
        BootId: record.State === 'Off' ? null : record.BootId,
        UptimeMs: uptime,
      };
    });
  }

  /** new-vm: creates a VM, Off, with a formatted ext4 disk (or the given image's). */
  async createVm(options: CreateVmOptions): Promise<VmInfo> {
    const name = validateName(options.name);
    const generation = validateGeneration(options.generation ?? 2);
    const guestOs = validateGuestOs(options.guestOs ?? 'linux');
    const memory = validateMemory(options.memoryStartupBytes ?? DEFAULT_MEMORY_BYTES);
    const diskGiB = options.vhdPath === undefined ? validateDiskGiB(options.diskSizeGiB ?? DEFAULT_DISK_GIB) : undefined;
    return this.op(async () => {
      this.assertNameFree(name);
      const id = this.newId();
      const record = this.newVmRecord(id, name, { Generation: generation, GuestOs: guestOs, MemoryStartupBytes: memory });
      if (options.vhdPath !== undefined) {
        await this.createFromImage(record, options.vhdPath, {});
        return this.info(this.findVm({ id }));
      }
      const guest = loadGuest();
      record.DiskSizeBytes = diskGiB! * GIB;
      const disks = this.prepareDisks(record);
      try {
        const device = disks.device(record.CurrentDisk, 'rw');
        try {
          guest.formatDisk(device, diskGiB!);
        } finally {
          device.dispose();
        }
        this.registerNewVm(record, disks);
      } catch (error) {
        disks.close();
        throw error;
      }
      return this.info(this.findVm({ id }));
    });
  }

  /** set-vm with SPEC section 1 validation (memory and generation only while Off; R22 for the location). */
  async setVm(vm: VmRef, changes: VmChanges): Promise<VmInfo> {
    return this.op(async () => {
      const current = this.findVm(vm);
      const name = changes.name === undefined ? undefined : validateName(changes.name);
      if (name !== undefined) this.assertNameFree(name, current.Id);
      const checkpointType = changes.checkpointType === undefined ? undefined : validateCheckpointType(changes.checkpointType);
      for (const key of ['automaticCheckpointsEnabled', 'backupIntegration', 'shutdownIntegration', 'guestServicesIntegration'] as const) {
        if (changes[key] !== undefined && typeof changes[key] !== 'boolean') throw labError('InvalidSetting', `The setting ${key} must be true or false.`);
      }
      if (changes.notes !== undefined && typeof changes.notes !== 'string') throw labError('InvalidSetting', 'Notes must be text.');
      const memory = changes.memoryStartupBytes === undefined ? undefined : validateMemory(changes.memoryStartupBytes);
      const generation = changes.generation === undefined ? undefined : validateGeneration(changes.generation);
      if ((memory !== undefined && memory !== current.MemoryStartupBytes) || (generation !== undefined && generation !== current.Generation)) {
        if (current.State !== 'Off') throw labError('InvalidState', messages.invalidState(current.Name, current.State));
      }
      let location: string | null | undefined;
      if (changes.snapshotFileLocation !== undefined) {
        const defaultLocation = path.join(this.store.root, SNAPSHOTS_DIR);
        const wanted = changes.snapshotFileLocation === null ? null : validateSnapshotLocation(changes.snapshotFileLocation);
        location = wanted === null || path.resolve(wanted) === defaultLocation ? null : wanted;
        if (location !== current.SnapshotFileLocation && current.Checkpoints.length > 0) {
          throw labError('SnapshotLocationLocked', messages.locationLocked());
        }
      }
      const renamed = name !== undefined && name !== current.Name;
      if (renamed) await this.dropNowFs(current.Id);
      this.commitChange([{ kind: 'vmChanged', vmId: current.Id, origin: 'local' }, ...(renamed ? [{ kind: 'checkpointsChanged' as const, vmId: current.Id, origin: 'local' as const }] : [])], (tx, registry) => {
        const v = this.findVmIn(registry, { id: current.Id });
        if (name !== undefined) v.Name = name;
        if (changes.notes !== undefined) v.Notes = changes.notes;
        if (checkpointType !== undefined) v.CheckpointType = checkpointType;
        if (location !== undefined) v.SnapshotFileLocation = location;
        if (changes.automaticCheckpointsEnabled !== undefined) v.AutomaticCheckpointsEnabled = changes.automaticCheckpointsEnabled;
        if (changes.backupIntegration !== undefined) v.BackupIntegration = changes.backupIntegration;
        if (changes.shutdownIntegration !== undefined) v.ShutdownIntegration = changes.shutdownIntegration;
        if (changes.guestServicesIntegration !== undefined) v.GuestServicesIntegration = changes.guestServicesIntegration;
        if (memory !== undefined) v.MemoryStartupBytes = memory;
        if (generation !== undefined) v.Generation = generation;
        this.writeConfig(tx, vmConfigFile(v.Id), vmConfigOf(v));
      });
      return this.info(this.findVm({ id: current.Id }));
    });
  }

  /** Renames a VM (same validation as R4, unique case-insensitively). */
  async renameVm(vm: VmRef, newName: string): Promise<VmInfo> {
    return this.setVm(vm, { name: newName });
  }

  /** remove-vm: refuses Running or Paused ("Turn off '<VM>' first."); deletes the VM's files. Works on a Missing VM (R25). */
  async removeVm(vm: VmRef): Promise<void> {
    return this.op(async () => {
      const current = this.findVm(vm);
      if (current.State === 'Running' || current.State === 'Paused') throw labError('TurnOffFirst', messages.turnOffFirst(current.Name));
      await this.dropRuntime(current.Id);
      this.commitChange([{ kind: 'vmRemoved', vmId: current.Id, origin: 'local' }], (tx, registry) => {
        const v = this.findVmIn(registry, { id: current.Id });
        for (const cp of v.Checkpoints) this.deleteCheckpointFiles(tx, cp);
        tx.deleteFile(vmConfigFile(v.Id));
        tx.deleteFile(vmMemoryFile(v.Id));
        VmDisks.removeAll(tx, v.Id);
        registry.vms = registry.vms.filter((x) => x.Id !== v.Id);
      });
      this.damaged.delete(current.Id);
    });
  }

  // ------------------------------------------------------------------ lifecycle (SPEC section 2)

  /** Off -> Running (R14 first) or Saved -> Running (same boot id and /run). */
  async start(vm: VmRef): Promise<VmInfo> {
    return this.lifecycle(vm, 'start');
  }

  /** Running -> Paused (suspend-vm). */
  async pause(vm: VmRef): Promise<VmInfo> {
    return this.lifecycle(vm, 'pause');
  }

  /** Paused -> Running. */
  async resume(vm: VmRef): Promise<VmInfo> {
    return this.lifecycle(vm, 'resume');
  }

  /** Running or Paused -> Saved (memory kept in `Virtual Machines/<Id>.vmrs`). */
  async save(vm: VmRef): Promise<VmInfo> {
    return this.lifecycle(vm, 'save');
  }

  /** Clean Running -> Off: needs the Shutdown integration service; R15. */
  async shutDown(vm: VmRef): Promise<VmInfo> {
    return this.lifecycle(vm, 'shutDown');
  }

  /** Running or Paused -> Off, memory lost. */
  async turnOff(vm: VmRef): Promise<VmInfo> {
    return this.lifecycle(vm, 'turnOff');
  }

  /** Saved -> Off, memory discarded (remove-saved-state). */
  async removeSavedState(vm: VmRef): Promise<VmInfo> {
    return this.lifecycle(vm, 'removeSavedState');
  }

  /** Extension deactivation (lab rule): every Running or Paused VM is Saved. Returns the VMs saved. */
  async saveAllRunning(): Promise<VmInfo[]> {
    return this.op(async () => {
      const saved: VmInfo[] = [];
      for (const vm of [...this.registry.vms]) {
        if (vm.State === 'Running' || vm.State === 'Paused') saved.push(await this.lifecycleLocked({ id: vm.Id }, 'save'));
      }
      return saved;
    });
  }

  // ------------------------------------------------------------------ checkpoints (SPEC section 3)

  /** checkpoint-vm: R1-R10; `notice` carries R9's fallback text. */
  async checkpoint(vm: VmRef, options: CheckpointOptions = {}): Promise<CheckpointResult> {
    const name = options.name === undefined ? undefined : validateName(options.name);
    return this.op(async () => {
      const current = this.findVm(vm);
      this.assertVmUsable(current);
      this.precheckCheckpoint(current);
      const rt = this.rt(current.Id);
      await this.quiesce(current, rt);
      let taken!: { cp: CheckpointRecord; notice?: string };
      this.commitChange(this.checkpointEvents(current.Id), (tx, registry) => {
        const v = this.findVmIn(registry, { id: current.Id });
        taken = this.takeCheckpoint(tx, v, rt, { name, recovery: options.recovery === true });
        this.collapseAndUsage(tx, v, rt);
      });
      const after = this.findVm({ id: current.Id });
      return { checkpoint: this.cpInfo(after, after.Checkpoints.find((c) => c.Id === taken.cp.Id)!), ...(taken.notice ? { notice: taken.notice } : {}) };
    });
  }

  /**
   * get-vmsnapshot: checkpoints of one VM (filter.vm) or of every VM, in tree order
   * (parents before children, siblings by creation time). One JSON read, no WebAssembly.
   */
  async listCheckpoints(filter: CheckpointFilter = {}): Promise<CheckpointInfo[]> {
    await this.settleUsage();
    return this.readConsistent((registry) => this.listCheckpointsIn(registry, filter));
  }

  private listCheckpointsIn(registry: LabRegistry, filter: CheckpointFilter): CheckpointInfo[] {
    const vms = filter.vm !== undefined ? [this.findVmIn(registry, filter.vm)] : [...registry.vms].sort((a, b) => compareNames(a.Name, b.Name));
    if (filter.childOf !== undefined && filter.vm === undefined) {
      throw labError('InvalidSetting', 'Selecting checkpoints by parent (childOf) needs the virtual machine.');
    }
    const presence = this.presence(registry);
    const out: CheckpointInfo[] = [];
    for (const vm of vms) {
      let list = treeOrder(vm.Checkpoints);
      if (filter.childOf !== undefined) {
        const parent = findCheckpoint(vm, filter.childOf);
        const under = descendantIds(vm, parent.Id);
        list = list.filter((c) => under.has(c.Id));
      }
      if (filter.id !== undefined) list = list.filter((c) => c.Id.toLowerCase() === filter.id!.trim().toLowerCase());
      if (filter.name !== undefined) {
        const pattern = filter.name;
        list = list.filter((c) => (hasWildcards(pattern) ? matchesPattern(c.Name, pattern) : sameName(c.Name, pattern.trim())));
      }
      if (filter.snapshotType !== undefined) list = list.filter((c) => c.SnapshotType === filter.snapshotType);
      const byId = new Map(vm.Checkpoints.map((c) => [c.Id, c]));
      for (const cp of list) out.push(toCheckpointInfo(vm, cp, this.cpStatus(vm, cp, presence), byId));
    }
    if (out.length === 0 && filter.vm !== undefined) {
      const vm = vms[0];
      if (filter.name !== undefined && !hasWildcards(filter.name)) throw labError('CheckpointNotFound', messages.checkpointNotFound(vm.Name, filter.name));
      if (filter.id !== undefined) throw labError('CheckpointNotFound', messages.checkpointIdNotFound(vm.Name, filter.id));
    }
    return out;
  }

  /** One checkpoint by Id or name (R24 errors). */
  async getCheckpoint(vm: VmRef, checkpoint: CheckpointRef): Promise<CheckpointInfo> {
    await this.settleUsage();
    return this.readConsistent((registry) => {
      const record = this.findVmIn(registry, vm);
      return this.cpInfo(record, findCheckpoint(record, checkpoint));
    });
  }

  /** restore-vmsnapshot: R11-R13. */
  async apply(vm: VmRef, checkpoint: CheckpointRef, options: ApplyOptions = {}): Promise<ApplyResult> {
    return this.op(async () => {
      const current = this.findVm(vm);
      const target = findCheckpoint(current, checkpoint);
      return this.applyLocked(current, target, options);
    });
  }

  /** revert-vm: Apply of ParentCheckpoint (R13); "'<VM>' has no checkpoint to revert to." */
  async revert(vm: VmRef, options: ApplyOptions = {}): Promise<ApplyResult> {
    return this.op(async () => {
      const current = this.findVm(vm);
      const parent = current.ParentCheckpointId === null ? undefined : current.Checkpoints.find((c) => c.Id === current.ParentCheckpointId);
      if (!parent) throw labError('NoCheckpointToRevert', messages.noRevert(current.Name));
      return this.applyLocked(current, parent, options);
    });
  }

  /**
   * remove-vmsnapshot: R16-R19. A name selector may use `*` and `?` and removes every match
   * (R24); an Id or plain name selects one. includeChildren removes whole subtrees (R17).
   */
  async removeCheckpoint(vm: VmRef, selector: CheckpointRef, options: RemoveCheckpointOptions = {}): Promise<RemoveCheckpointResult> {
    return this.op(async () => {
      const current = this.findVm(vm);
      const selected = selectCheckpoints(current, selector);
      const ids = new Set(selected.map((c) => c.Id));
      if (options.includeChildren) for (const cp of selected) for (const id of descendantIds(current, cp.Id)) ids.add(id);
      const removed = treeOrder(current.Checkpoints.filter((c) => ids.has(c.Id))).map((c) => this.cpInfo(current, c));
      const rt = this.rt(current.Id);
      const disks = this.tryDisks(current, rt);
      if (disks) await this.quiesce(current, rt);
      this.commitChange(this.checkpointEvents(current.Id), (tx, registry) => {
        const v = this.findVmIn(registry, { id: current.Id });
        for (const cp of v.Checkpoints) if (ids.has(cp.Id)) this.deleteCheckpointFiles(tx, cp);
        removeFromTree(v, ids);
        if (disks) this.collapseAndUsage(tx, v, rt);
      });
      for (const id of ids) this.damaged.delete(id);
      return { removed };
    });
  }

  /** rename-vmsnapshot (R21, R4 validation). */
  async renameCheckpoint(vm: VmRef, checkpoint: CheckpointRef, newName: string): Promise<CheckpointInfo> {
    const name = validateName(newName);
    return this.editCheckpoint(vm, checkpoint, (cp) => {
      cp.Name = name;
    });
  }

  /** Notes of a checkpoint (R21: free text). */
  async setCheckpointNotes(vm: VmRef, checkpoint: CheckpointRef, notes: string): Promise<CheckpointInfo> {
    if (typeof notes !== 'string') throw labError('InvalidSetting', 'Notes must be text.');
    return this.editCheckpoint(vm, checkpoint, (cp) => {
      cp.Notes = notes;
    });
  }

  // ------------------------------------------------------------------ export / import (R23)

  /** export-vm: Now, to `<dir>/<VM name>/`. */
  async exportVm(vm: VmRef, dir: string, options: ExportOptions = {}): Promise<ExportResult> {
    return this.op(async () => {
      const current = this.findVm(vm);
      return this.exportLocked(current, undefined, dir, options);
    });
  }

  /** export-vmsnapshot: a checkpoint's disk and config, to `<dir>/<VM name>/`. */
  async exportCheckpoint(vm: VmRef, checkpoint: CheckpointRef, dir: string, options: ExportOptions = {}): Promise<ExportResult> {
    return this.op(async () => {
      const current = this.findVm(vm);
      return this.exportLocked(current, findCheckpoint(current, checkpoint), dir, options);
    });
  }

  /** import-vm: an exported folder, its .vmcx, or a bare raw/VHDX disk; a new VM (new Id), Off. */
  async importVm(importPath: string, options: ImportOptions = {}): Promise<VmInfo> {
    const source = this.resolveImport(importPath);
    const name = validateName(options.name ?? source.config?.Name ?? path.basename(source.diskFile).replace(/\.[^.]*$/, ''));
    return this.op(async () => {
      if (this.registry.vms.some((v) => sameName(v.Name, name))) {
        throw labError('VmNameInUse', `${messages.vmNameInUse(name)} Give the imported virtual machine a new name.`);
      }
      const id = this.newId();
      const c = source.config;
      const record = this.newVmRecord(id, name, {
        Generation: c ? validateGeneration(c.Generation) : 2,
        GuestOs: c ? validateGuestOs(c.GuestOs) : 'linux',
        MemoryStartupBytes: c ? validateMemory(c.MemoryStartupBytes) : DEFAULT_MEMORY_BYTES,
      });
      if (c) {
        record.CheckpointType = validateCheckpointType(c.CheckpointType);
        record.AutomaticCheckpointsEnabled = c.AutomaticCheckpointsEnabled === true;
        record.BackupIntegration = c.BackupIntegration !== false;
        record.ShutdownIntegration = c.ShutdownIntegration !== false;
        record.GuestServicesIntegration = c.GuestServicesIntegration !== false;
        record.Notes = typeof c.Notes === 'string' ? c.Notes : '';
      }
      await this.createFromImage(record, source.diskFile, options);
      return this.info(this.findVm({ id }));
    });
  }

  // ------------------------------------------------------------------ guest files

  /** get-vmfile: a file's bytes, from Now or a checkpoint. */
  async readFile(vm: VmRef, filePath: string, target: GuestTarget = {}): Promise<Buffer> {
    return this.guestRead(vm, target, (view) => view.readFile(filePath));
  }

  /** list-vmfiles rows for a folder (or one file). */
  async listFiles(vm: VmRef, dirPath = '/', target: GuestTarget = {}): Promise<GuestFileInfo[]> {
    return this.guestRead(vm, target, (view) => view.listing(dirPath));
  }

  /** One row for path (throws when it does not exist). */
  async statFile(vm: VmRef, filePath: string, target: GuestTarget = {}): Promise<GuestFileInfo> {
    return this.guestRead(vm, target, async (view) => statRow(await view.stat(filePath)));
  }

  /** True when path exists in Now or the checkpoint. */
  async fileExists(vm: VmRef, filePath: string, target: GuestTarget = {}): Promise<boolean> {
    return this.guestRead(vm, target, (view) => view.exists(filePath));
  }

  /** write-vmfile and editor saves: durable when it returns. */
  async writeFile(vm: VmRef, filePath: string, data: Uint8Array | string, options: { createParents?: boolean } = {}): Promise<void> {
    return this.guestWrite(vm, (files) => files.writeFile(filePath, data, options));
  }

  /** copy-vmfile: a host file into the guest (GuestServices rule for a Running VM). */
  async copyFileIn(vm: VmRef, hostPath: string, guestPath: string, options: { createParents?: boolean } = {}): Promise<void> {
    let data: Buffer;
    try {
      data = await fs.promises.readFile(hostPath);
    } catch (error) {
      throw new LabError('HostFileUnreadable', `The host file '${hostPath}' cannot be read: ${(error as Error).message}`);
    }
    return this.guestWrite(vm, (files) => files.copyIn(guestPath, data, options));
  }

  /** remove-vmfile. */
  async removeFile(vm: VmRef, filePath: string, options: { recursive?: boolean } = {}): Promise<void> {
    return this.guestWrite(vm, (files) => files.remove(filePath, options));
  }

  async mkdir(vm: VmRef, dirPath: string, options: { parents?: boolean } = {}): Promise<void> {
    return this.guestWrite(vm, (files) => files.mkdir(dirPath, options));
  }

  async renameFile(vm: VmRef, from: string, to: string, options: { overwrite?: boolean } = {}): Promise<void> {
    return this.guestWrite(vm, (files) => files.rename(from, to, options));
  }

  /**
   * Many guest changes as one operation (sync-vmfolder, folder copies): fn gets Now's files;
   * everything it wrote is committed once when it resolves, and nothing when it throws.
   */
  async editFiles<T>(vm: VmRef, fn: (files: GuestFiles) => Promise<T>, options: ProgressOptions = {}): Promise<T> {
    return this.guestWrite(vm, async (files) => {
      cancelled(options.signal);
      const result = await fn(files);
      cancelled(options.signal);
      return result;
    });
  }

  /** compare-vmsnapshot: changes from checkpoint `from` to `to` (default Now). */
  async compare(vm: VmRef, from: CheckpointRef, to?: CheckpointRef): Promise<GuestChangeInfo[]> {
    return this.op(async () => {
      const current = this.findVm(vm);
      const fromCp = findCheckpoint(current, from);
      const toCp = to === undefined ? undefined : findCheckpoint(current, to);
      const rt = this.rt(current.Id);
      const guest = loadGuest();
      const left = await this.checkpointFs(current, rt, fromCp);
      if (toCp) return guest.compareStates(left, await this.checkpointFs(current, rt, toCp));
      return guest.compareStates(left, await this.nowFs(current, rt));
    });
  }

  // ------------------------------------------------------------------ store

  /**
   * What this Lab holds open now: disk devices and loaded disk sets; and in the whole
   * process, mounted guest file systems and the WebAssembly heap they hold (estimated).
   * For leak checks and diagnostics.
   */
  resourceCounts(): { openDevices: number; mountedFileSystems: number; loadedDisks: number; mountHeapBytes: number } {
    let openDevices = 0;
    let loadedDisks = 0;
    for (const rt of this.runtimes.values()) {
      if (!rt.disks) continue;
      loadedDisks++;
      openDevices += rt.disks.openDeviceCount;
    }
    const mountedFileSystems = guestLoaded() ? loadGuest().GuestFs.mountedCount : 0;
    // mountHeapBytes: the process's estimate of the WebAssembly heap its mounts hold (mounts.ts)
    return { openDevices, mountedFileSystems, loadedDisks, mountHeapBytes: mountBudget.usedBytes };
  }

  /** test-vmstore (R29): store files, disks and the engine's references; changes nothing. */
  async verify(): Promise<VerifyResult> {
    return this.op(async () => {
      const problems = this.store.verify();
      this.markDamaged(problems);
      return { Healthy: problems.length === 0, Problems: problems.map((p) => ({ File: p.file, Problem: p.problem })) };
    });
  }

  // ================================================================== internals

  /** A public operation: after any pending usage refresh, under the lock, caught up with the store. Never nested. */
  private async op<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.closed) throw labError('LabClosed', messages.closed());
    await this.settleUsage();
    return this.lockedOp(fn);
  }

  private async lockedOp<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.closed) throw labError('LabClosed', messages.closed());
    return this.store.withLock(async () => {
      await this.syncUnderLock();
      try {
        return await fn();
      } finally {
        // mounts used by the operation may be evicted again (least recently used first)
        for (const fsx of this.pinned.splice(0)) mountBudget.unpin(fsx);
      }
    });
  }

  /** Under the lock: catch up with other processes' commits (drop every runtime and cache). */
  private async syncUnderLock(): Promise<void> {
    if (this.store.changedElsewhere()) {
      await this.dropAllRuntimes();
      this.damaged.clear();
      this.store.markSeen();
      this.readRegistry();
      if (this.observedSeq !== this.store.knownSequence) {
        this.observedSeq = this.store.knownSequence;
        this.events.emit({ kind: 'storeChanged', origin: 'external' });
      }
    } else if (this.registrySeq !== this.store.knownSequence) {
      this.readRegistry();
    }
  }

  private readRegistry(): void {
    const seq = this.store.readSequence();
    this.setRegistry(this.store.readJson<LabRegistry>(LAB_FILE), seq);
  }

  private setRegistry(data: LabRegistry, seq: number): void {
    const vms = Array.isArray(data.vms) ? data.vms.filter(isVmRecord) : [];
    this.registry = { ...data, vms };
    this.registrySeq = seq;
  }

  /**
   * A listing without the lock that never shows a half-applied commit: lab.seq is read
   * before (currentRegistry) and after, and the journal checked before and after (see
   * Store.journalPending). A commit that touched lab.json or any file the listing looked at
   * in between leaves its record in the journal or has moved lab.seq: read again. After
   * three tries (or while a commit is applied) under the lock, which recovers first.
   * fn's error counts only from a consistent read (a VM renamed meanwhile is not "not found").
   */
  private async readConsistent<T>(fn: (registry: LabRegistry) => T): Promise<T> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.store.journalPending()) break;
      const registry = this.currentRegistry();
      const seq = this.registrySeq;
      let result: { value: T } | { error: unknown };
      try {
        result = { value: fn(registry) };
      } catch (error) {
        result = { error };
      }
      if (!this.store.journalPending() && this.store.readSequence() === seq) {
        if ('error' in result) throw result.error;
        return result.value;
      }
    }
    return this.store.withLock(() => fn(this.currentRegistry()));
  }

  /** True when the disks folder names a VM the registry does not know (see sweepOrphans). */
  private hasOrphans(): boolean {
    if (!this.store.exists(DISKS_DIR)) return false;
    const known = new Set(this.registry.vms.map((v) => v.Id));
    return this.store.io.readdir(this.store.abs(DISKS_DIR)).some((name) => !known.has(name) && /^[0-9a-fA-F-]{36}$/.test(name));
  }

  /** The registry for a listing: cached, or re-read (without the lock) when the sequence moved. */
  private currentRegistry(): LabRegistry {
    if (this.closed) throw labError('LabClosed', messages.closed());
    for (let attempt = 0; ; attempt++) {
      const seq = this.store.readSequence();
      if (seq === this.registrySeq && this.registry) return this.registry;
      const data = this.store.readJson<LabRegistry>(LAB_FILE);
      if (this.store.readSequence() === seq || attempt >= 3) {
        this.registry = { ...data, vms: Array.isArray(data.vms) ? data.vms.filter(isVmRecord) : [] };
        this.registrySeq = seq;
        return this.registry;
      }
    }
  }

  /**
   * R28, defence only: a new VM's disks are created in the same commit that registers it
   * (prepareDisks), so no crash leaves a disk folder that no VM names; stores written by
   * older versions (two commits) could. Reclaim such folders.
   */
  private sweepOrphans(): void {
    if (!this.store.exists(DISKS_DIR)) return;
    const known = new Set(this.registry.vms.map((v) => v.Id));
    const orphans = this.store.io.readdir(this.store.abs(DISKS_DIR)).filter((name) => !known.has(name) && /^[0-9a-fA-F-]{36}$/.test(name));
    if (orphans.length === 0) return;
    this.store.commit((tx) => {
      for (const id of orphans) VmDisks.removeAll(tx, id);
    });
    this.registrySeq = this.store.knownSequence;
  }

  /** A listing's (or a check's) view of the store's files: presence and config integrity (R25). */
  private presence(registry: LabRegistry = this.registry): PresenceIndex {
    const checks = registry?.[CONFIG_CHECKS];
    return new PresenceIndex(this.store, checks && typeof checks === 'object' ? (checks as ConfigChecks) : undefined, this.configVerdicts);
  }

  /** Writes a .vmcx in tx and records its size and checksum in the lab.json of the same commit (R25). */
  private writeConfig(tx: Transaction, rel: string, value: unknown): void {
    const bytes = encodeJson(value);
    tx.writeFile(rel, bytes);
    if (this.writtenConfigs) this.writtenConfigs[rel] = [bytes.length, crc32(bytes)];
  }

  /** lab.json's config records: those just written, the others kept while their item exists. */
  private recordConfigs(next: LabRegistry, written: ConfigChecks): void {
    const before = next[CONFIG_CHECKS] && typeof next[CONFIG_CHECKS] === 'object' ? (next[CONFIG_CHECKS] as ConfigChecks) : {};
    const checks: ConfigChecks = {};
    for (const vm of next.vms) {
      const files = [vmConfigFile(vm.Id), ...vm.Checkpoints.map((cp) => checkpointFile(cp.Location, cp.Id, 'vmcx'))];
      for (const file of files) {
        const record = written[file] ?? this.fingerprinted(file, before[file]);
        if (Array.isArray(record)) checks[file] = record;
      }
    }
    next[CONFIG_CHECKS] = checks;
  }

  /**
   * A config file's record with its fingerprint, for a file written by an earlier commit
   * (usually the last one): the file is read once and fingerprinted only if its bytes are
   * still the ones committed (or, without a record, from an older store, if its own checksum
   * holds). A damaged file keeps no fingerprint, so listings keep reading it (Missing).
   */
  private fingerprinted(rel: string, record: ConfigRecord | undefined): ConfigRecord | undefined {
    if (record && record.length === 3) return record;
    try {
      const abs = this.store.abs(rel);
      const stat = fs.statSync(abs, { throwIfNoEntry: false });
      if (!stat) return record;
      const bytes = this.store.io.readFile(abs);
      if (record) return bytes.length === record[0] && crc32(bytes) === record[1] ? [record[0], record[1], fingerprint(stat)] : record;
      decodeJson(rel, bytes);
      return [bytes.length, crc32(bytes), fingerprint(stat)];
    } catch {
      return record;
    }
  }

  /** One atomic commit of registry changes (plus whatever build adds); events after the commit point. */
  private commitChange(changes: LabChange[], build: (tx: Transaction, registry: LabRegistry) => void, options: { writeRegistry?: boolean } = {}): void {
    const next: LabRegistry = structuredClone(this.registry);
    next.engineFormat = ENGINE_FORMAT;
    const written: ConfigChecks = {};
    this.store.commit((tx) => {
      this.writtenConfigs = written;
      try {
        build(tx, next);
      } finally {
        this.writtenConfigs = undefined;
      }
      if (options.writeRegistry !== false) {
        this.recordConfigs(next, written);
        tx.writeJson(LAB_FILE, next, { compact: true });
      }
    });
    if (options.writeRegistry !== false) this.registry = next;
    this.registrySeq = this.store.knownSequence;
    this.observedSeq = this.store.knownSequence;
    for (const change of changes) {
      if (change.kind !== 'checkpointsChanged' && change.kind !== 'vmRemoved') continue;
      const rt = this.runtimes.get(change.vmId);
      // cached checkpoint mounts may name deleted or renamed checkpoints: mount afresh
      if (rt) void this.dropCheckpointFs(rt);
    }
    this.events.emitAll(changes);
  }

  private findVmIn(registry: LabRegistry, ref: VmRef): VmRecord {
    if (typeof ref === 'string') {
      const wanted = ref.trim();
      const byId = registry.vms.find((v) => v.Id.toLowerCase() === wanted.toLowerCase());
      if (byId) return byId;
      const byName = registry.vms.find((v) => sameName(v.Name, wanted));
      if (byName) return byName;
      throw labError('VmNotFound', messages.vmNotFound(ref));
    }
    if ('id' in ref) {
      const found = registry.vms.find((v) => v.Id.toLowerCase() === ref.id.trim().toLowerCase());
      if (!found) throw labError('VmNotFound', `No virtual machine with Id '${ref.id}' was found.`);
      return found;
    }
    const found = registry.vms.find((v) => sameName(v.Name, ref.name.trim()));
    if (!found) throw labError('VmNotFound', messages.vmNotFound(ref.name));
    return found;
  }

  private findVm(ref: VmRef): VmRecord {
    return this.findVmIn(this.registry, ref);
  }

  private assertNameFree(name: string, exceptId?: string): void {
    if (this.registry.vms.some((v) => v.Id !== exceptId && sameName(v.Name, name))) throw labError('VmNameInUse', messages.vmNameInUse(name));
  }

  private newVmRecord(id: string, name: string, hw: Pick<VmRecord, 'Generation' | 'GuestOs' | 'MemoryStartupBytes'>): VmRecord {
    return {
      Id: id,
      Name: name,
      Generation: hw.Generation,
      GuestOs: hw.GuestOs,
      MemoryStartupBytes: hw.MemoryStartupBytes,
      DiskSizeBytes: DEFAULT_DISK_GIB * GIB,
      CheckpointType: 'Production',
      SnapshotFileLocation: null,
      AutomaticCheckpointsEnabled: false,
      BackupIntegration: true,
      ShutdownIntegration: true,
      GuestServicesIntegration: true,
      Notes: '',
      State: 'Off',
      ParentCheckpointId: null,
      CreationTime: this.now().toISOString(),
      CurrentDisk: 'disk0.vhdx',
      BootId: null,
      Checkpoints: [],
    };
  }

  private info(vm: VmRecord): VmInfo {
    return toVmInfo(vm, this.store.root, this.vmStatus(vm, this.presence()));
  }

  private cpInfo(vm: VmRecord, cp: CheckpointRecord): CheckpointInfo {
    return toCheckpointInfo(vm, cp, this.cpStatus(vm, cp, this.presence()));
  }

  /** R25: Missing when a file the VM needs is absent (or failed to load here). */
  private vmStatus(vm: VmRecord, presence: PresenceIndex): ItemStatus {
    if (this.damaged.has(vm.Id)) return 'Missing';
    if (!presence.has(VMS_DIR, `${vm.Id}.vmcx`)) return 'Missing';
    if (!presence.configOk(vmConfigFile(vm.Id))) return 'Missing';
    if (!presence.has(`${DISKS_DIR}/${vm.Id}`, vm.CurrentDisk)) return 'Missing';
    if (vm.State !== 'Off' && !presence.has(VMS_DIR, `${vm.Id}.vmrs`)) return 'Missing';
    return 'Ok';
  }

  private cpStatus(vm: VmRecord, cp: CheckpointRecord, presence: PresenceIndex): ItemStatus {
    if (this.damaged.has(cp.Id)) return 'Missing';
    const dir = cp.Location ?? SNAPSHOTS_DIR;
    if (!presence.has(dir, `${cp.Id}.vmcx`)) return 'Missing';
    if (!presence.configOk(checkpointFile(cp.Location, cp.Id, 'vmcx'))) return 'Missing';
    if (cp.HasSavedState && !presence.has(dir, `${cp.Id}.vmrs`)) return 'Missing';
    if (!presence.has(`${DISKS_DIR}/${vm.Id}`, cp.Disk)) return 'Missing';
    return 'Ok';
  }

  private assertVmUsable(vm: VmRecord): void {
    if (this.vmStatus(vm, this.presence()) === 'Missing') {
      throw labError('ItemMissing', messages.itemMissing(`The virtual machine '${vm.Name}'`));
    }
  }

  private assertCheckpointUsable(vm: VmRecord, cp: CheckpointRecord): void {
    if (this.cpStatus(vm, cp, this.presence()) === 'Missing') {
      throw labError('ItemMissing', messages.itemMissing(`The checkpoint '${cp.Name}' of '${vm.Name}'`));
    }
  }

  // ------------------------------------------------------------------ runtimes

  private rt(vmId: string): Runtime {
    let rt = this.runtimes.get(vmId);
    if (!rt) this.runtimes.set(vmId, (rt = {}));
    return rt;
  }

  private disksOf(vm: VmRecord, rt: Runtime): VmDisks {
    if (!rt.disks) {
      try {
        rt.disks = VmDisks.load(this.store, vm.Id);
      } catch (error) {
        if (error instanceof StoreFileError) {
          this.damaged.add(vm.Id);
          throw labError('ItemMissing', `${messages.itemMissing(`The virtual machine '${vm.Name}'`)} (${error.message})`);
        }
        throw error;
      }
    }
    return rt.disks;
  }

  private tryDisks(vm: VmRecord, rt: Runtime): VmDisks | undefined {
    try {
      return this.disksOf(vm, rt);
    } catch (error) {
      if (error instanceof LabError && error.code === 'ItemMissing') return undefined;
      throw error;
    }
  }

  /**
   * Now's mounted file system, pinned for the running operation. Mounted through the
   * process's mount budget (mounts.ts): to make room, Now mounts of other VMs that are idle
   * (synced: every guest write syncs before it commits) are unmounted, least recently used
   * first, and mounted again on their next use.
   */
  private async nowFs(vm: VmRecord, rt: Runtime): Promise<GuestFs> {
    if (rt.nowFs) {
      this.pin(rt.nowFs);
      return rt.nowFs;
    }
    const disks = this.disksOf(vm, rt);
    const mounted = await this.mountDevice(disks.device(vm.CurrentDisk, 'rw'), 'now', `'${vm.Name}'`, (evicted) => {
      if (rt.nowFs === evicted) rt.nowFs = undefined;
    });
    rt.nowFs = mounted;
    return mounted;
  }

  /**
   * Mounts a device through the mount budget, pinned for the running operation; the device
   * is disposed with the mount, or at once when mounting fails. `evicted` runs when the
   * budget unmounts it to make room.
   */
  private async mountDevice(device: DiskBlockDevice, kind: MountKind, label: string, evicted: (fsx: GuestFs) => void): Promise<GuestFs> {
    let mounted: GuestFs | undefined;
    try {
      mounted = await mountBudget.mount(
        device.capacity,
        kind,
        () => loadGuest().GuestFs.mount(device, { label, onUnmount: () => device.dispose() }),
        () => evicted(mounted!),
      );
    } catch (error) {
      device.dispose();
      throw error;
    }
    this.pinned.push(mounted);
    return mounted;
  }

  private pin(fsx: GuestFs): void {
    mountBudget.pin(fsx);
    this.pinned.push(fsx);
  }

  /**
   * A checkpoint's file system, read-only, pinned for the running operation. Kept mounted
   * between reads (a mount costs a superblock, descriptors and bitmaps: ~4 ms) in a small
   * cache, bounded by the mount budget; dropped when the VM's checkpoints change, the VM's
   * disks are reloaded (another process changed the store) or the budget needs the room.
   */
  private async checkpointFs(vm: VmRecord, rt: Runtime, cp: CheckpointRecord): Promise<GuestFs> {
    this.assertCheckpointUsable(vm, cp);
    const guest = loadGuest();
    const disks = this.disksOf(vm, rt);
    const label = guest.checkpointLabel(vm.Name, cp.Name);
    const cache = (rt.checkpointFs ??= new Map());
    const hit = cache.get(cp.Id);
    if (hit) {
      if (hit.disks === disks && !hit.device.removed && hit.device.file === cp.Disk && hit.fs.label === label && hit.fs.mounted) {
        this.pin(hit.fs);
        return hit.fs;
      }
      cache.delete(cp.Id);
      await mountBudget.unmount(hit.fs).catch(() => undefined);
    }
    const device = disks.device(cp.Disk, 'ro');
    const mounted = await this.mountDevice(device, 'checkpoint', label, (evicted) => {
      if (cache.get(cp.Id)?.fs === evicted) cache.delete(cp.Id);
    });
    cache.set(cp.Id, { fs: mounted, device, disks });
    return mounted;
  }

  /** Unmounts the cached checkpoint file systems of a VM (its checkpoints or disks changed). */
  private async dropCheckpointFs(rt: Runtime): Promise<void> {
    const cache = rt.checkpointFs;
    if (!cache) return;
    rt.checkpointFs = undefined;
    for (const { fs: fsx } of cache.values()) await mountBudget.unmount(fsx).catch(() => undefined);
  }

  private readMemory(rel: string, label: string): { file: MemoryFile; run: RunFs } {
    const file = this.store.readJson<MemoryFile>(rel);
    if (typeof file?.run !== 'string') throw new StoreFileError(rel, 'the memory state has no payload.');
    const run = loadGuest().RunFs.deserialize(Buffer.from(file.run, 'base64'), { source: `'${rel}'`, label });
    return { file, run };
  }

  /** The memory of a VM that has it, loaded from its .vmrs once. */
  private runOf(vm: VmRecord, rt: Runtime): RunFs {
    if (!rt.run) {
      try {
        const { file, run } = this.readMemory(vmMemoryFile(vm.Id), `'${vm.Name}'`);
        if (vm.State === 'Running') run.startClock(file.savedAtMs);
        rt.run = run;
      } catch (error) {
        this.damaged.add(vm.Id);
        throw error;
      }
    }
    return rt.run;
  }

  private memoryPayload(run: RunFs, nowMs: number): MemoryFile {
    return { savedAtMs: nowMs, bootId: run.bootId, run: run.serialize(nowMs).toString('base64') };
  }

  /** Before anything swaps Now's disk: flush the guest (the R8 quiesce) and unmount it. */
  private async quiesce(vm: VmRecord, rt: Runtime): Promise<void> {
    if (!rt.nowFs) return;
    const fsx = rt.nowFs;
    rt.nowFs = undefined;
    try {
      await fsx.sync();
      await mountBudget.unmount(fsx);
    } catch (error) {
      await this.dropRuntime(vm.Id);
      throw error;
    }
  }

  private async dropNowFs(vmId: string): Promise<void> {
    const rt = this.runtimes.get(vmId);
    if (!rt?.nowFs) return;
    const fsx = rt.nowFs;
    rt.nowFs = undefined;
    await mountBudget.unmount(fsx).catch(() => undefined);
    // unmounting may flush file-system metadata into the disk's buffer: forget it
    if (rt.disks?.hasUncommittedWrites()) {
      rt.disks.close();
      rt.disks = undefined;
    }
  }

  /** Forgets everything loaded for a VM; the next operation reloads the committed state. */
  private async dropRuntime(vmId: string): Promise<void> {
    const rt = this.runtimes.get(vmId);
    if (!rt) return;
    this.runtimes.delete(vmId);
    if (rt.nowFs) await mountBudget.unmount(rt.nowFs).catch(() => undefined);
    rt.nowFs = undefined;
    await this.dropCheckpointFs(rt);
    rt.disks?.close();
  }

  private async dropAllRuntimes(): Promise<void> {
    for (const id of [...this.runtimes.keys()]) await this.dropRuntime(id);
  }

  // ------------------------------------------------------------------ lifecycle internals

  private async lifecycle(ref: VmRef, action: LifecycleAction): Promise<VmInfo> {
    return this.op(() => this.lifecycleLocked(ref, action));
  }

  private async lifecycleLocked(ref: VmRef, action: LifecycleAction): Promise<VmInfo> {
    {
      const vm = this.findVm(ref);
      const to = nextState(vm.Name, vm.State, action);
      if (action === 'shutDown' && !vm.ShutdownIntegration) throw labError('ShutdownUnavailable', messages.shutdownUnavailable(vm.Name));
      this.assertVmUsable(vm);
      const rt = this.rt(vm.Id);
      const nowMs = this.now().getTime();
      const guest = loadGuest();
      const events: LabChange[] = [{ kind: 'vmChanged', vmId: vm.Id, origin: 'local' }];
      let run: RunFs | undefined;
      let automatic = false;
      let r15: CheckpointRecord | undefined;
      if (action === 'start' && vm.State === 'Off') {
        run = guest.RunFs.boot({ label: `'${vm.Name}'`, now: nowMs });
        // R14: only for a VM with no checkpoints, silently skipped when checkpoints are disabled
        automatic = vm.AutomaticCheckpointsEnabled && vm.Checkpoints.length === 0 && vm.CheckpointType !== 'Disabled';
        if (automatic) {
          this.disksOf(vm, rt);
          await this.quiesce(vm, rt);
          events.push({ kind: 'checkpointsChanged', vmId: vm.Id, origin: 'local' });
        }
      } else if (action === 'shutDown') {
        // R15: the automatic checkpoint this run's Start created, if it is still there and has no children
        r15 = vm.Checkpoints.find((c) => c.IsAutomatic && c.AutomaticBootId !== null && c.AutomaticBootId === vm.BootId);
        if (r15 && vm.Checkpoints.some((c) => c.ParentId === r15!.Id)) r15 = undefined;
        if (r15 && !this.tryDisks(vm, rt)) r15 = undefined;
        if (r15) {
          await this.quiesce(vm, rt);
          events.push({ kind: 'checkpointsChanged', vmId: vm.Id, origin: 'local' });
        }
      } else if (to !== 'Off') {
        run = this.runOf(vm, rt);
      }
      this.commitChange(events, (tx, registry) => {
        const v = this.findVmIn(registry, { id: vm.Id });
        if (automatic && run) {
          this.takeCheckpoint(tx, v, rt, { name: automaticCheckpointName(v.Name, new Date(nowMs)), automaticBootId: run.bootId });
          this.collapseAndUsage(tx, v, rt);
        }
        if (r15) {
          this.deleteCheckpointFiles(tx, r15);
          removeFromTree(v, new Set([r15.Id]));
          this.collapseAndUsage(tx, v, rt);
        }
        let memory: RunFs | undefined;
        if (to === 'Off') {
          tx.deleteFile(vmMemoryFile(v.Id));
          v.BootId = null;
        } else {
          // the clock runs while Running only
          memory = action === 'start' && vm.State === 'Off' ? run! : run!.clone(nowMs);
          if (to === 'Running') memory.startClock(nowMs);
          else memory.stopClock(nowMs);
          tx.writeJson(vmMemoryFile(v.Id), this.memoryPayload(memory, nowMs));
          v.BootId = memory.bootId;
        }
        v.State = to;
        v.NowVersion = (v.NowVersion ?? 0) + 1;
        tx.onCommitted(() => {
          rt.run = memory;
        });
      });
      return this.info(this.findVm({ id: vm.Id }));
    }
  }

  // ------------------------------------------------------------------ checkpoint internals

  private checkpointEvents(vmId: string): LabChange[] {
    return [
      { kind: 'checkpointsChanged', vmId, origin: 'local' },
      { kind: 'vmChanged', vmId, origin: 'local' },
    ];
  }

  /** R2, R5, R9 (ProductionOnly) before anything is touched. */
  private precheckCheckpoint(vm: VmRecord): void {
    chooseCheckpoint(vm, vm.State); // throws R2 / R9
    if (vm.Checkpoints.length >= MAX_CHECKPOINTS) throw labError('CheckpointLimit', messages.checkpointLimit(vm.Name));
  }

  /** R1-R10 inside a transaction: freeze Now's disk, record the checkpoint and its memory. */
  private takeCheckpoint(
    tx: Transaction,
    vm: VmRecord,
    rt: Runtime,
    options: { name?: string; recovery?: boolean; automaticBootId?: string },
  ): { cp: CheckpointRecord; notice?: string } {
    const choice = chooseCheckpoint(vm, vm.State);
    if (vm.Checkpoints.length >= MAX_CHECKPOINTS) throw labError('CheckpointLimit', messages.checkpointLimit(vm.Name));
    const now = this.now();
    const disks = this.disksOf(vm, rt);
    if (disks.hasUncommittedWrites()) disks.commitWrites(tx);
    const frozen = vm.CurrentDisk;
    vm.CurrentDisk = disks.freeze(tx, frozen);
    const cp: CheckpointRecord = {
      Id: this.newId(),
      Name: options.name ?? defaultCheckpointName(vm.Name, now),
      ParentId: vm.ParentCheckpointId,
      CreationTime: now.toISOString(),
      SnapshotType: options.recovery ? 'Recovery' : 'Standard',
      CheckpointType: choice.type,
      IsAutomatic: options.automaticBootId !== undefined,
      HasSavedState: choice.hasSavedState,
      VmState: vm.State,
      Notes: '',
      Config: hardwareOf(vm),
      Disk: frozen,
      Location: vm.SnapshotFileLocation,
      AutomaticBootId: options.automaticBootId ?? null,
      MemoryBootId: null,
      ExclusiveBytes: 0,
      SharedBytes: 0,
    };
    if (choice.hasSavedState) {
      const run = this.runOf(vm, rt);
      cp.MemoryBootId = run.bootId;
      tx.writeJson(checkpointFile(cp.Location, cp.Id, 'vmrs'), this.memoryPayload(run, now.getTime()));
    }
    this.writeConfig(tx, checkpointFile(cp.Location, cp.Id, 'vmcx'), checkpointConfigOf(cp));
    vm.Checkpoints.push(cp);
    vm.ParentCheckpointId = cp.Id;
    return { cp, notice: choice.notice };
  }

  /**
   * R16/R19 disk rules for every disk no checkpoint or Now references, then the names merges
   * changed, then R30's usage figures in the index.
   */
  private collapseAndUsage(tx: Transaction, vm: VmRecord, rt: Runtime): void {
    const disks = this.disksOf(vm, rt);
    if (disks.hasUncommittedWrites()) disks.commitWrites(tx);
    const referenced = new Set<string>();
    for (const cp of vm.Checkpoints) if (disks.has(cp.Disk)) referenced.add(cp.Disk);
    if (disks.has(vm.CurrentDisk)) referenced.add(vm.CurrentDisk);
    const renames = disks.collapse(tx, referenced);
    if (renames.size > 0) {
      if (renames.has(vm.CurrentDisk)) vm.CurrentDisk = renames.get(vm.CurrentDisk)!;
      for (const cp of vm.Checkpoints) {
        const renamed = renames.get(cp.Disk);
        if (renamed !== undefined) {
          cp.Disk = renamed;
          this.writeConfig(tx, checkpointFile(cp.Location, cp.Id, 'vmcx'), checkpointConfigOf(cp));
        }
      }
    }
    this.markUsageStale(vm.Id, tx);
  }

  /**
   * R30's figures cost a pass over every block map of the VM (tens of ms at 1 GiB), so they
   * are not computed inside the operation: once it has committed, one coalesced follow-up
   * commit writes them to the index. Listings in this process and close() wait for it, so
   * callers never see stale figures; another process sees them one commit later.
   */
  private markUsageStale(vmId: string, tx: Transaction): void {
    tx.onCommitted(() => {
      this.usageStale.add(vmId);
      if (!this.usageRefresh) {
        this.usageRefresh = new Promise<void>((resolve) => setImmediate(resolve))
          .then(() => this.refreshUsage())
          .finally(() => {
            this.usageRefresh = undefined;
          });
      }
    });
  }

  private async settleUsage(): Promise<void> {
    while (this.usageRefresh) await this.usageRefresh.catch(() => undefined);
  }

  private async refreshUsage(): Promise<void> {
    if (this.closed || this.usageStale.size === 0) return;
    await this.lockedOp(() => {
      const ids = [...this.usageStale].filter((id) => this.registry.vms.some((v) => v.Id === id));
      this.usageStale.clear();
      if (ids.length === 0) return;
      const changes: LabChange[] = [];
      this.commitChange(changes, (_tx, registry) => {
        for (const id of ids) {
          const vm = this.findVmIn(registry, { id });
          const disks = this.tryDisks(vm, this.rt(id));
          if (!disks) continue;
          const before = JSON.stringify(vm.Checkpoints.map((c) => [c.ExclusiveBytes, c.SharedBytes]));
          this.updateUsage(vm, disks);
          if (JSON.stringify(vm.Checkpoints.map((c) => [c.ExclusiveBytes, c.SharedBytes])) !== before) changes.push({ kind: 'checkpointsChanged', vmId: id, origin: 'local' });
        }
      });
    }).catch(() => {
      // figures stay as they were; the next operation on the VM refreshes them
    });
  }

  /** R30: ExclusiveBytes and SharedBytes of every checkpoint, kept in the index for listings. */
  private updateUsage(vm: VmRecord, disks: VmDisks): void {
    const present = vm.Checkpoints.filter((c) => disks.has(c.Disk));
    if (present.length === 0) return;
    const views = present.map((c) => c.Disk);
    if (disks.has(vm.CurrentDisk)) views.push(vm.CurrentDisk);
    const usage = disks.usage(views);
    for (const cp of present) {
      const u = usage.get(cp.Disk)!;
      cp.ExclusiveBytes = u.exclusiveBytes;
      cp.SharedBytes = u.sharedBytes;
    }
  }

  private deleteCheckpointFiles(tx: Transaction, cp: CheckpointRecord): void {
    tx.deleteFile(checkpointFile(cp.Location, cp.Id, 'vmcx'));
    tx.deleteFile(checkpointFile(cp.Location, cp.Id, 'vmrs'));
  }

  /** R11-R13 under the lock. */
  private async applyLocked(vm: VmRecord, target: CheckpointRecord, options: ApplyOptions): Promise<ApplyResult> {
    this.assertVmUsable(vm);
    this.assertCheckpointUsable(vm, target);
    if (options.checkpointFirst) this.precheckCheckpoint(vm); // R13: if that fails, nothing is applied
    const rt = this.rt(vm.Id);
    this.disksOf(vm, rt);
    let memoryBytes: Buffer | undefined;
    if (target.HasSavedState) {
      const rel = checkpointFile(target.Location, target.Id, 'vmrs');
      try {
        this.readMemory(rel, `'${vm.Name}'`); // refuse damaged memory before changing anything
      } catch (error) {
        this.damaged.add(target.Id);
        throw error;
      }
      memoryBytes = this.store.readFile(rel);
    }
    if (options.checkpointFirst && vm.State !== 'Off') this.runOf(vm, this.rt(vm.Id));
    await this.quiesce(vm, rt);
    let taken: { cp: CheckpointRecord; notice?: string } | undefined;
    this.commitChange(
      [...this.checkpointEvents(vm.Id), { kind: 'guestFilesChanged', vmId: vm.Id, origin: 'local' }],
      (tx, registry) => {
        const v = this.findVmIn(registry, { id: vm.Id });
        if (options.checkpointFirst) taken = this.takeCheckpoint(tx, v, rt, {});
        const cp = v.Checkpoints.find((c) => c.Id === target.Id)!;
        const disks = this.disksOf(v, rt);
        disks.discard(tx, v.CurrentDisk);
        v.CurrentDisk = disks.createChild(tx, cp.Disk);
        v.NowVersion = (v.NowVersion ?? 0) + 1;
        // R11: hardware configuration restored; checkpoint settings are not
        Object.assign(v, cp.Config);
        if (memoryBytes) {
          tx.writeFile(vmMemoryFile(v.Id), memoryBytes);
          v.State = 'Saved';
          v.BootId = cp.MemoryBootId;
        } else {
          tx.deleteFile(vmMemoryFile(v.Id));
          v.State = 'Off';
          v.BootId = null;
        }
        v.ParentCheckpointId = cp.Id;
        this.writeConfig(tx, vmConfigFile(v.Id), vmConfigOf(v));
        this.collapseAndUsage(tx, v, rt);
        tx.onCommitted(() => {
          rt.run = undefined;
        });
      },
    );
    const after = this.findVm({ id: vm.Id });
    const result: ApplyResult = { vm: this.info(after) };
    if (taken) {
      result.checkpointTaken = this.cpInfo(after, after.Checkpoints.find((c) => c.Id === taken!.cp.Id)!);
      if (taken.notice) result.notice = taken.notice;
    }
    return result;
  }

  private async editCheckpoint(ref: VmRef, checkpoint: CheckpointRef, change: (cp: CheckpointRecord) => void): Promise<CheckpointInfo> {
    return this.op(async () => {
      const vm = this.findVm(ref);
      const id = findCheckpoint(vm, checkpoint).Id;
      this.commitChange([{ kind: 'checkpointsChanged', vmId: vm.Id, origin: 'local' }, { kind: 'vmChanged', vmId: vm.Id, origin: 'local' }], (tx, registry) => {
        const v = this.findVmIn(registry, { id: vm.Id });
        const cp = v.Checkpoints.find((c) => c.Id === id)!;
        change(cp);
        const file = checkpointFile(cp.Location, cp.Id, 'vmcx');
        if (this.store.exists(file)) this.writeConfig(tx, file, checkpointConfigOf(cp));
      });
      const after = this.findVm({ id: vm.Id });
      return this.cpInfo(after, after.Checkpoints.find((c) => c.Id === id)!);
    });
  }

  // ------------------------------------------------------------------ export / import internals

  private async exportLocked(vm: VmRecord, cp: CheckpointRecord | undefined, dir: string, options: ExportOptions): Promise<ExportResult> {
    const format: DiskFormat = options.diskFormat ?? 'vhdx';
    if (format !== 'vhdx' && format !== 'raw') throw labError('InvalidSetting', `The disk format must be vhdx or raw (got '${String(format)}').`);
    if (cp) this.assertCheckpointUsable(vm, cp);
    else this.assertVmUsable(vm);
    cancelled(options.signal);
    const rt = this.rt(vm.Id);
    const disks = this.disksOf(vm, rt);
    if (!cp && rt.nowFs) await rt.nowFs.sync();
    const folder = path.join(path.resolve(dir), folderName(vm.Name));
    const configFile = path.join(folder, 'Virtual Machines', `${vm.Id}.vmcx`);
    const diskFile = path.join(folder, 'Virtual Hard Disks', `disk0.${format}`);
    if (fs.existsSync(configFile) || fs.existsSync(diskFile)) {
      throw labError('ExportExists', `The export folder '${folder}' already holds an export of '${vm.Name}'. Choose another folder.`);
    }
    const hw = cp ? cp.Config : hardwareOf(vm);
    const config: ExportedConfig = {
      Kind: 'CheckpointLabExport',
      Id: vm.Id,
      Name: vm.Name,
      Generation: hw.Generation,
      GuestOs: vm.GuestOs,
      MemoryStartupBytes: hw.MemoryStartupBytes,
      DiskSizeBytes: vm.DiskSizeBytes,
      CheckpointType: vm.CheckpointType,
      AutomaticCheckpointsEnabled: vm.AutomaticCheckpointsEnabled,
      BackupIntegration: hw.BackupIntegration,
      ShutdownIntegration: hw.ShutdownIntegration,
      GuestServicesIntegration: hw.GuestServicesIntegration,
      Notes: vm.Notes,
      SourceCheckpointId: cp ? cp.Id : null,
      SourceCheckpointName: cp ? cp.Name : null,
      DiskFile: `disk0.${format}`,
      ExportedAt: this.now().toISOString(),
    };
    fs.mkdirSync(path.dirname(configFile), { recursive: true });
    fs.mkdirSync(path.dirname(diskFile), { recursive: true });
    const device = disks.device(cp ? cp.Disk : vm.CurrentDisk, 'ro');
    try {
      await loadGuest().exportDisk(device, diskFile, format, { onProgress: options.onProgress, signal: options.signal });
      cancelled(options.signal);
      fs.writeFileSync(configFile, encodeJson(config));
    } catch (error) {
      fs.rmSync(diskFile, { force: true });
      fs.rmSync(configFile, { force: true });
      if (options.signal?.aborted) throw labError('Cancelled', messages.cancelled());
      throw error;
    } finally {
      device.dispose();
    }
    return { folder, configFile, diskFile };
  }

  private resolveImport(importPath: string): { config?: ExportedConfig; diskFile: string } {
    const resolved = path.resolve(importPath);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(resolved);
    } catch {
      throw labError('ImportRefused', `The path '${importPath}' does not exist.`);
    }
    let configFile: string | undefined;
    if (stat.isDirectory()) {
      const vmsDir = path.join(resolved, 'Virtual Machines');
      const found = fs.existsSync(vmsDir) ? fs.readdirSync(vmsDir).filter((n) => n.toLowerCase().endsWith('.vmcx')) : [];
      if (found.length !== 1) {
        throw labError(
          'ImportRefused',
          `The folder '${importPath}' is not an exported virtual machine: it must hold exactly one 'Virtual Machines/<Id>.vmcx' (found ${found.length}).`,
        );
      }
      configFile = path.join(vmsDir, found[0]);
    } else if (resolved.toLowerCase().endsWith('.vmcx')) {
      configFile = resolved;
    } else {
      return { diskFile: resolved };
    }
    let config: ExportedConfig;
    try {
      config = decodeJson<ExportedConfig>(path.basename(configFile), fs.readFileSync(configFile));
    } catch (error) {
      throw labError('ImportRefused', `The configuration file '${configFile}' cannot be imported: ${(error as Error).message}`);
    }
    if (config?.Kind !== 'CheckpointLabExport' || typeof config.Name !== 'string') {
      throw labError('ImportRefused', `The configuration file '${configFile}' is not a Checkpoint Lab export.`);
    }
    const disksDir = path.join(path.dirname(path.dirname(configFile)), 'Virtual Hard Disks');
    const candidates = [typeof config.DiskFile === 'string' ? path.basename(config.DiskFile) : '', 'disk0.vhdx', 'disk0.raw'].filter((n) => n);
    const diskFile = candidates.map((n) => path.join(disksDir, n)).find((f) => fs.existsSync(f));
    if (!diskFile) throw labError('ImportRefused', `The export '${path.dirname(path.dirname(configFile))}' has no disk in 'Virtual Hard Disks' (disk0.vhdx or disk0.raw).`);
    return { config, diskFile };
  }

  /** A new VM whose disk is a copy of an image: disks, data and registry entry in one commit (R28). */
  private async createFromImage(record: VmRecord, imagePath: string, options: ProgressOptions): Promise<void> {
    const guest = loadGuest();
    const image = await guest.openImportImage(imagePath);
    let disks: VmDisks | undefined;
    try {
      record.DiskSizeBytes = image.sizeGiB * GIB;
      cancelled(options.signal);
      disks = this.prepareDisks(record);
      const device = disks.device(record.CurrentDisk, 'rw');
      try {
        await image.copyTo(device, { onProgress: options.onProgress, signal: options.signal });
      } finally {
        device.dispose();
      }
      cancelled(options.signal);
      this.registerNewVm(record, disks);
    } catch (error) {
      disks?.close();
      if (options.signal?.aborted) throw labError('Cancelled', messages.cancelled());
      throw error;
    } finally {
      await image.close().catch(() => undefined);
    }
  }

  /**
   * The empty disks of a new VM, in memory and a temporary pool only (VmDisks.prepare):
   * registerNewVm() creates them, with what was written to them, in the VM's own commit.
   * On failure the caller closes them, which deletes the temporary.
   */
  private prepareDisks(record: VmRecord): VmDisks {
    return VmDisks.prepare(this.store, record.Id, record.DiskSizeBytes);
  }

  /** R28: one commit creates the disks with their data, the config and the registry entry. */
  private registerNewVm(record: VmRecord, disks: VmDisks): void {
    this.commitChange([{ kind: 'vmAdded', vmId: record.Id, origin: 'local' }], (tx, registry) => {
      disks.commitWrites(tx);
      this.writeConfig(tx, vmConfigFile(record.Id), vmConfigOf(record));
      registry.vms.push(record);
      tx.onCommitted(() => this.runtimes.set(record.Id, { disks }));
    });
  }

  // ------------------------------------------------------------------ guest internals

  private async guestRead<T>(ref: VmRef, target: GuestTarget, fn: (view: GuestView) => Promise<T>): Promise<T> {
    return this.op(async () => {
      const vm = this.findVm(ref);
      const rt = this.rt(vm.Id);
      const guest = loadGuest();
      if (target.checkpoint !== undefined) {
        const cp = findCheckpoint(vm, target.checkpoint);
        const disk = await this.checkpointFs(vm, rt, cp);
        const run = cp.HasSavedState ? this.readMemory(checkpointFile(cp.Location, cp.Id, 'vmrs'), guest.checkpointLabel(vm.Name, cp.Name)).run : undefined;
        return await fn(new guest.GuestView(guest.GuestAccess.checkpoint(vm.Name, cp.Name, cp.HasSavedState), disk, run));
      }
      this.assertVmUsable(vm);
      const disk = await this.nowFs(vm, rt);
      const run = vm.State === 'Off' ? undefined : this.runOf(vm, rt);
      return fn(new guest.GuestView(guest.GuestAccess.vm(vm.Name, vm.State, vm.GuestServicesIntegration), disk, run));
    });
  }

  /** A guest change on Now: synced and committed before it returns; on failure nothing is kept. */
  private async guestWrite<T>(ref: VmRef, fn: (files: GuestFiles) => Promise<T>): Promise<T> {
    return this.op(async () => {
      const vm = this.findVm(ref);
      this.assertVmUsable(vm);
      const rt = this.rt(vm.Id);
      const guest = loadGuest();
      const touched: string[] = [];
      try {
        const disk = await this.nowFs(vm, rt);
        const run = vm.State === 'Off' ? undefined : this.runOf(vm, rt);
        const view = new guest.GuestView(guest.GuestAccess.vm(vm.Name, vm.State, vm.GuestServicesIntegration), disk, run);
        const result = await fn(trackingFiles(view, touched));
        if (touched.length === 0) return result;
        await view.sync();
        const disks = rt.disks!;
        const runChanged = run !== undefined && touched.some(isRunPath);
        const diskChanged = disks.hasUncommittedWrites();
        if (!runChanged && !diskChanged) return result;
        const staleUsage = diskChanged && vm.Checkpoints.length > 0;
        this.commitChange(
          [{ kind: 'guestFilesChanged', vmId: vm.Id, paths: [...new Set(touched)], origin: 'local' }],
          (tx) => {
            if (diskChanged) disks.commitWrites(tx); // bumps Now's disk generation
            else disks.touch(tx, vm.CurrentDisk); // /run only: Lab.nowVersion must still move
            if (runChanged) tx.writeJson(vmMemoryFile(vm.Id), this.memoryPayload(run!, this.now().getTime()));
            if (staleUsage) this.markUsageStale(vm.Id, tx);
          },
          { writeRegistry: false },
        );
        return result;
      } catch (error) {
        if (touched.length > 0 || rt.disks?.hasUncommittedWrites()) await this.dropRuntime(vm.Id);
        throw error;
      }
    });
  }

  // ------------------------------------------------------------------ verification (R29)

  /** The engine's references, for store.verify(): registry <-> config, memory and disk files. */
  private verifyReferences(): Problem[] {
    const problems: Problem[] = [];
    const registry = this.registry;
    if (!registry) return problems;
    const vmFiles = new Set<string>();
    const snapshotFiles = new Set<string>();
    for (const vm of registry.vms) {
      const cfg = vmConfigFile(vm.Id);
      vmFiles.add(cfg);
      if (!this.store.exists(cfg)) problems.push({ file: cfg, problem: `the configuration of '${vm.Name}' is missing.` });
      const mem = vmMemoryFile(vm.Id);
      if (vm.State !== 'Off') {
        vmFiles.add(mem);
        if (!this.store.exists(mem)) problems.push({ file: mem, problem: `'${vm.Name}' is ${vm.State} but its memory file is missing.` });
      } else if (this.store.exists(mem)) {
        problems.push({ file: mem, problem: `'${vm.Name}' is Off but a memory file exists.` });
      }
      let disks: VmDisks | undefined;
      try {
        disks = VmDisks.load(this.store, vm.Id);
      } catch (error) {
        problems.push({ file: `${DISKS_DIR}/${vm.Id}`, problem: (error as Error).message });
      }
      try {
        if (disks) {
          if (!disks.has(vm.CurrentDisk)) problems.push({ file: disks.rel(vm.CurrentDisk), problem: `the current disk of '${vm.Name}' is missing.` });
          else if (disks.isFrozen(vm.CurrentDisk)) problems.push({ file: disks.rel(vm.CurrentDisk), problem: `the current disk of '${vm.Name}' is frozen.` });
          const referenced = new Set([vm.CurrentDisk, ...vm.Checkpoints.map((c) => c.Disk)]);
          for (const info of disks.list()) {
            if (!referenced.has(info.file) && !(info.frozen && info.children.length >= 2)) {
              problems.push({ file: disks.rel(info.file), problem: `no checkpoint of '${vm.Name}' and not Now references this disk.` });
            }
          }
        }
        const ids = new Set(vm.Checkpoints.map((c) => c.Id));
        if (vm.ParentCheckpointId !== null && !ids.has(vm.ParentCheckpointId)) {
          problems.push({ file: LAB_FILE, problem: `'${vm.Name}' hangs under checkpoint '${vm.ParentCheckpointId}', which does not exist.` });
        }
        for (const cp of vm.Checkpoints) {
          const cfgFile = checkpointFile(cp.Location, cp.Id, 'vmcx');
          snapshotFiles.add(cfgFile);
          const label = `checkpoint '${cp.Name}' of '${vm.Name}'`;
          if (!this.store.exists(cfgFile)) problems.push({ file: cfgFile, problem: `the configuration of ${label} is missing.` });
          else if (cp.Location !== null) {
            try {
              this.store.readJson(cfgFile);
            } catch (error) {
              problems.push({ file: cfgFile, problem: (error as Error).message });
            }
          }
          const memFile = checkpointFile(cp.Location, cp.Id, 'vmrs');
          if (cp.HasSavedState) {
            snapshotFiles.add(memFile);
            if (!this.store.exists(memFile)) problems.push({ file: memFile, problem: `the saved state of ${label} is missing.` });
          }
          if (cp.ParentId !== null && !ids.has(cp.ParentId)) problems.push({ file: LAB_FILE, problem: `the parent of ${label} does not exist.` });
          if (disks) {
            if (!disks.has(cp.Disk)) problems.push({ file: disks.rel(cp.Disk), problem: `the disk of ${label} is missing.` });
            else if (!disks.isFrozen(cp.Disk)) problems.push({ file: disks.rel(cp.Disk), problem: `the disk of ${label} is not read-only.` });
          }
        }
      } finally {
        disks?.close();
      }
    }
    for (const file of this.store.listFiles(VMS_DIR)) if (!vmFiles.has(file)) problems.push({ file, problem: 'no virtual machine uses this file.' });
    for (const file of this.store.listFiles(SNAPSHOTS_DIR)) if (!snapshotFiles.has(file)) problems.push({ file, problem: 'no checkpoint uses this file.' });
    if (this.store.exists(DISKS_DIR)) {
      const known = new Set(registry.vms.map((v) => v.Id));
      for (const name of this.store.io.readdir(this.store.abs(DISKS_DIR))) {
        if (!known.has(name)) problems.push({ file: `${DISKS_DIR}/${name}`, problem: 'no virtual machine uses these disks.' });
      }
    }
    return problems;
  }

  /** R25: items named by verification problems show as Missing in this process's listings. */
  private markDamaged(problems: readonly Problem[]): void {
    for (const vm of this.registry.vms) {
      for (const p of problems) {
        if (p.file.includes(vm.Id) && !vm.Checkpoints.some((c) => p.file.includes(c.Id))) {
          const disk = vm.Checkpoints.find((c) => p.file.endsWith(`/${c.Disk}`));
          if (disk) this.damaged.add(disk.Id);
          else if (p.file === vmConfigFile(vm.Id) || p.file === vmMemoryFile(vm.Id) || p.file.endsWith(`/${vm.CurrentDisk}`)) this.damaged.add(vm.Id);
        }
        for (const cp of vm.Checkpoints) if (p.file.includes(cp.Id)) this.damaged.add(cp.Id);
      }
    }
  }
}

/** The checkpoint's own .vmcx: its record without the usage figures (they live in the index). */
function checkpointConfigOf(cp: CheckpointRecord): Omit<CheckpointRecord, 'ExclusiveBytes' | 'SharedBytes'> {
  const { ExclusiveBytes: _e, SharedBytes: _s, ...config } = cp;
  void _e;
  void _s;
  return config;
}

function statRow(stat: { path: string; type: string; size: number; mtime: Date }): GuestFileInfo {
  return {
    Path: stat.path,
    Type: stat.type === 'Directory' ? 'Directory' : 'File',
    Size: stat.type === 'Directory' ? 0 : stat.size,
    LastWriteTime: stat.mtime.toISOString(),
  };
}

/** GuestFiles over a view, recording the paths changed (to know what to commit and announce). */
function trackingFiles(view: GuestView, touched: string[]): GuestFiles {
  return {
    label: view.label,
    stat: async (p) => statRow(await view.stat(p)),
    exists: (p) => view.exists(p),
    readFile: (p) => view.readFile(p),
    list: (p = '/') => view.listing(p),
    writeFile: async (p, data, options) => {
      touched.push(p);
      await view.writeFile(p, data, options);
    },
    copyIn: async (p, data, options) => {
      touched.push(p);
      await view.copyIn(p, data, options);
    },
    mkdir: async (p, options) => {
      touched.push(p);
      await view.mkdir(p, options);
    },
    remove: async (p, options) => {
      touched.push(p);
      await view.remove(p, options);
    },
    rename: async (from, to, options) => {
      touched.push(from, to);
      await view.rename(from, to, options);
    },
  };
}

