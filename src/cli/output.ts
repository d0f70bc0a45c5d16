/**
 * What the CLI prints: JSON in the shapes of SPEC section 6 (PascalCase, absent values as
 * null, arrays for get-* and list-* even when empty) and readable tables otherwise.
 * Records are projected onto the SPEC's field lists so the JSON contract does not depend
 * on whatever else an engine object carries.
 */
import { formatCheckpointTime } from '../engine';
import type { CheckpointInfo, GuestChangeInfo, GuestFileInfo, VerifyResult, VmInfo } from '../engine';

export const VM_FIELDS = [
  'Id',
  'Name',
  'State',
  'Status',
  'Generation',
  'GuestOs',
  'MemoryStartupBytes',
  'DiskSizeBytes',
  'CheckpointType',
  'SnapshotFileLocation',
  'AutomaticCheckpointsEnabled',
  'BackupIntegration',
  'ShutdownIntegration',
  'GuestServicesIntegration',
  'ParentCheckpointId',
  'ParentCheckpointName',
  'Notes',
] as const satisfies readonly (keyof VmInfo)[];

export const CHECKPOINT_FIELDS = [
  'Id',
  'Name',
  'VMName',
  'VMId',
  'ParentSnapshotId',
  'ParentSnapshotName',
  'SnapshotType',
  'CheckpointType',
  'IsAutomatic',
  'HasSavedState',
  'VmState',
  'Status',
  'CreationTime',
  'Notes',
  'ExclusiveBytes',
  'SharedBytes',
] as const satisfies readonly (keyof CheckpointInfo)[];

export const FILE_FIELDS = ['Path', 'Type', 'Size', 'LastWriteTime'] as const satisfies readonly (keyof GuestFileInfo)[];
export const CHANGE_FIELDS = ['Path', 'Change'] as const satisfies readonly (keyof GuestChangeInfo)[];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Exactly `fields`, in that order; undefined becomes null. */
export function project(record: object, fields: readonly string[]): Record<string, Json> {
  const source = record as Record<string, unknown>;
  const out: Record<string, Json> = {};
  for (const field of fields) {
    const value = source[field];
    out[field] = value === undefined ? null : (value as Json);
  }
  return out;
}

export const vmJson = (vm: VmInfo): Record<string, Json> => project(vm, VM_FIELDS);
export const checkpointJson = (checkpoint: CheckpointInfo): Record<string, Json> => project(checkpoint, CHECKPOINT_FIELDS);
export const fileJson = (row: GuestFileInfo): Record<string, Json> => project(row, FILE_FIELDS);
export const changeJson = (row: GuestChangeInfo): Record<string, Json> => project(row, CHANGE_FIELDS);

export function verifyJson(result: VerifyResult): Record<string, Json> {
  return {
    Healthy: result.Healthy === true,
    Problems: (result.Problems ?? []).map((problem) => project(problem, ['File', 'Problem'])),
  };
}

export function toJsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

// ---------------------------------------------------------------- human-readable output

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1073741824 -> "1 GiB", 1610612736 -> "1.5 GiB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '';
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = Number.isInteger(value) ? String(value) : value.toFixed(1).replace(/\.0$/, '');
  return `${text} ${BYTE_UNITS[unit]}`;
}

/** A CreationTime (ISO, UTC) in R3's local format, as Hyper-V Manager shows it. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : formatCheckpointTime(date);
}

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | boolean | null | undefined;
  /** Right-align (numbers). */
  right?: boolean;
}

/** A PowerShell-like table: header, dashes, one line per row. Empty input prints nothing. */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  if (rows.length === 0) return '';
  const cells = rows.map((row) => columns.map((column) => oneLine(column.value(row))));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((line) => line[i].length)));
  const pad = (text: string, i: number): string => (columns[i].right ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  const lines = [
    columns.map((column, i) => pad(column.header, i)).join('  '),
    columns.map((column, i) => pad('-'.repeat(column.header.length), i)).join('  '),
    ...cells.map((line) => line.map((text, i) => pad(text, i)).join('  ')),
  ];
  return `${lines.map((line) => line.trimEnd()).join('\n')}\n`;
}

function oneLine(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

export const VM_COLUMNS: readonly Column<VmInfo>[] = [
  { header: 'Name', value: (vm) => vm.Name },
  { header: 'State', value: (vm) => vm.State },
  { header: 'Status', value: (vm) => vm.Status },
  { header: 'Generation', value: (vm) => vm.Generation, right: true },
  { header: 'GuestOs', value: (vm) => vm.GuestOs },
  { header: 'Memory', value: (vm) => formatBytes(vm.MemoryStartupBytes), right: true },
  { header: 'Disk', value: (vm) => formatBytes(vm.DiskSizeBytes), right: true },
  { header: 'CheckpointType', value: (vm) => vm.CheckpointType },
  { header: 'ParentCheckpoint', value: (vm) => vm.ParentCheckpointName },
];

/**
 * Checkpoint table columns. `depth` indents names as Hyper-V Manager's tree does (rows come
 * parents first, so a parent listed earlier gives its children one more level).
 */
export function checkpointColumns(rows: readonly CheckpointInfo[]): Column<CheckpointInfo>[] {
  const depth = new Map<string, number>();
  for (const row of rows) {
    const parent = row.ParentSnapshotId === null ? undefined : depth.get(row.ParentSnapshotId);
    depth.set(row.Id, parent === undefined ? 0 : parent + 1);
  }
  return CHECKPOINT_COLUMNS.map((column) =>
    column.header === 'Name' ? { ...column, value: (c: CheckpointInfo) => `${'  '.repeat(depth.get(c.Id) ?? 0)}${c.Name}` } : column,
  );
}

export const CHECKPOINT_COLUMNS: readonly Column<CheckpointInfo>[] = [
  { header: 'VMName', value: (c) => c.VMName },
  { header: 'Name', value: (c) => c.Name },
  { header: 'SnapshotType', value: (c) => c.SnapshotType },
  { header: 'CheckpointType', value: (c) => `${c.CheckpointType}${c.IsAutomatic ? ' (automatic)' : ''}` },
  { header: 'SavedState', value: (c) => (c.HasSavedState ? 'Yes' : 'No') },
  { header: 'Status', value: (c) => c.Status },
  { header: 'CreationTime', value: (c) => formatTime(c.CreationTime) },
  { header: 'ParentSnapshotName', value: (c) => c.ParentSnapshotName },
  { header: 'Id', value: (c) => c.Id },
];

export const FILE_COLUMNS: readonly Column<GuestFileInfo>[] = [
  { header: 'Type', value: (f) => f.Type },
  { header: 'Size', value: (f) => (f.Type === 'Directory' ? '' : f.Size), right: true },
  { header: 'LastWriteTime', value: (f) => f.LastWriteTime },
  { header: 'Path', value: (f) => f.Path },
];

export const CHANGE_COLUMNS: readonly Column<GuestChangeInfo>[] = [
  { header: 'Change', value: (c) => c.Change },
  { header: 'Path', value: (c) => c.Path },
];

export function formatVerify(result: VerifyResult): string {
  if (result.Healthy) return 'The store is healthy: every file and reference checked out.\n';
  const problems = result.Problems ?? [];
  return `The store has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${formatTable(problems, [
    { header: 'File', value: (p) => p.File },
    { header: 'Problem', value: (p) => p.Problem },
  ])}`;
}
