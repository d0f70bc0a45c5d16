/**
 * `checkpoint-lab:` URIs (SPEC section 5). Pure string logic, no 'vscode' import, so the
 * parser is unit tested in plain mocha.
 *
 * Layout (the authority is the store's Id, resolved through the store registry of SPEC
 * section 4, so a URI works in any window of this machine):
 *
 *   checkpoint-lab://<storeId>/                                   the VMs of the store (folders)
 *   checkpoint-lab://<storeId>/<VM>/                              `now` and `checkpoints`
 *   checkpoint-lab://<storeId>/<VM>/now/<guest path>              Now: the VM's current disk (read-write)
 *   checkpoint-lab://<storeId>/<VM>/checkpoints/                  one folder per checkpoint, by Id
 *   checkpoint-lab://<storeId>/<VM>/checkpoints/<Id>/<guest path> a checkpoint's files (read-only)
 *
 * e.g. `checkpoint-lab://3f2c.../web-01/now/etc/app.conf`.
 *
 * Choices:
 * - `<VM>` is the VM's name, so paths read well in tabs, breadcrumbs and the explorer. A
 *   name that cannot be one path segment (it holds '/', or is '.' or '..') is written as
 *   the VM's Id instead; the segment is resolved like the CLI's `--name` (Id first, then
 *   name, case-insensitive). Renaming a VM makes URIs with its old name unknown.
 * - A checkpoint is addressed by its Id: names may repeat (SPEC section 1) and may be
 *   renamed; the readable name goes into the workspace folder's name instead.
 * - Guest paths are absolute inside the guest; `..` components and NUL are refused, and
 *   so is a guest path over 4096 characters (the guest's PATH_MAX), before the engine is
 *   asked. `.` components and repeated slashes are dropped.
 */

export const SCHEME = 'checkpoint-lab';
export const NOW_SEGMENT = 'now';
export const CHECKPOINTS_SEGMENT = 'checkpoints';
/** Longest guest path accepted (Linux PATH_MAX, the engine's limit too). */
export const MAX_GUEST_PATH = 4096;
/** The whole URI path may hold the VM segment and a checkpoint Id besides the guest path. */
const MAX_URI_PATH = MAX_GUEST_PATH + 512;

/** Which file system of a VM a URI names. */
export type GuestTargetRef = { kind: 'now' } | { kind: 'checkpoint'; checkpointId: string };

export type LabLocation =
  /** `/`: the store's VMs. */
  | { kind: 'store'; storeId: string }
  /** `/<VM>`: holds `now` and `checkpoints`. */
  | { kind: 'vm'; storeId: string; vm: string }
  /** `/<VM>/checkpoints`: one folder per checkpoint. */
  | { kind: 'checkpoints'; storeId: string; vm: string }
  /** A path inside Now or a checkpoint; guestPath is normalised ('/' for the root). */
  | { kind: 'guest'; storeId: string; vm: string; target: GuestTargetRef; guestPath: string };

export type GuestLocation = Extract<LabLocation, { kind: 'guest' }>;

/** A URI this scheme refuses; `message` is what the user sees. */
export class LabUriError extends Error {
  constructor(
    readonly reason: 'invalid' | 'notFound',
    message: string,
  ) {
    super(message);
    this.name = 'LabUriError';
  }
}

function shown(path: string): string {
  const clean = path.replace(/\0/g, '\\0');
  return clean.length > 120 ? `${clean.slice(0, 120)}...` : clean;
}

/** The parts of a URI this module needs (vscode.Uri has them). */
export interface UriParts {
  scheme?: string;
  authority: string;
  path: string;
}

/**
 * Parses a `checkpoint-lab:` URI's authority and path. Throws LabUriError('invalid') for
 * `..`, NUL, overlong paths and a missing store Id, LabUriError('notFound') for a path
 * that cannot name anything (an unknown top-level folder under a VM).
 */
export function parseLabUri(uri: UriParts): LabLocation {
  if (uri.scheme !== undefined && uri.scheme !== SCHEME) throw new LabUriError('invalid', `'${uri.scheme}:' is not a Checkpoint Lab URI.`);
  const storeId = uri.authority;
  if (!storeId) throw new LabUriError('invalid', 'A Checkpoint Lab URI must name the lab store (checkpoint-lab://<store Id>/...).');
  const path = uri.path || '/';
  if (path.includes('\0')) throw new LabUriError('invalid', `The path '${shown(path)}' is not valid: it contains a NUL character.`);
  if (path.length > MAX_URI_PATH) throw new LabUriError('invalid', `The path '${shown(path)}' is not valid: it is longer than ${MAX_GUEST_PATH} characters.`);
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new LabUriError('invalid', `The path '${shown(path)}' is not valid: '..' components are not allowed.`);
  if (segments.length === 0) return { kind: 'store', storeId };
  const vm = segments[0];
  if (segments.length === 1) return { kind: 'vm', storeId, vm };
  const area = segments[1];
  let target: GuestTargetRef;
  let rest: string[];
  if (area === NOW_SEGMENT) {
    target = { kind: 'now' };
    rest = segments.slice(2);
  } else if (area === CHECKPOINTS_SEGMENT) {
    if (segments.length === 2) return { kind: 'checkpoints', storeId, vm };
    target = { kind: 'checkpoint', checkpointId: segments[2] };
    rest = segments.slice(3);
  } else {
    throw new LabUriError('notFound', `'${shown(path)}' does not exist: a virtual machine's folder holds only '${NOW_SEGMENT}' and '${CHECKPOINTS_SEGMENT}'.`);
  }
  const guestPath = '/' + rest.join('/');
  if (guestPath.length > MAX_GUEST_PATH) {
    throw new LabUriError('invalid', `The guest path '${shown(guestPath)}' is not valid: it is longer than ${MAX_GUEST_PATH} characters.`);
  }
  return { kind: 'guest', storeId, vm, target, guestPath };
}

/** The path segment for a VM: its name when that is one clean segment, else its Id. */
export function vmSegment(vm: { Id: string; Name: string }): string {
  const name = vm.Name;
  if (name.length === 0 || name.includes('/') || name === '.' || name === '..' || name !== name.trim()) return vm.Id;
  return name;
}

/** Joins a normalised guest path under a prefix: ('/a/now', '/') -> '/a/now'. */
function under(prefix: string, guestPath: string): string {
  const clean = '/' + guestPath.split('/').filter((s) => s !== '' && s !== '.').join('/');
  return clean === '/' ? prefix : `${prefix}${clean}`;
}

/** URI path of a file or folder in Now. */
export function nowPath(vm: { Id: string; Name: string }, guestPath = '/'): string {
  return under(`/${vmSegment(vm)}/${NOW_SEGMENT}`, guestPath);
}

/** URI path of a file or folder in a checkpoint. */
export function checkpointPath(vm: { Id: string; Name: string }, checkpointId: string, guestPath = '/'): string {
  return under(`/${vmSegment(vm)}/${CHECKPOINTS_SEGMENT}/${checkpointId}`, guestPath);
}

/** URI path of a location (the inverse of parseLabUri, with the VM segment as given). */
export function formatLabPath(location: LabLocation): string {
  switch (location.kind) {
    case 'store':
      return '/';
    case 'vm':
      return `/${location.vm}`;
    case 'checkpoints':
      return `/${location.vm}/${CHECKPOINTS_SEGMENT}`;
    case 'guest':
      return location.target.kind === 'now'
        ? under(`/${location.vm}/${NOW_SEGMENT}`, location.guestPath)
        : under(`/${location.vm}/${CHECKPOINTS_SEGMENT}/${location.target.checkpointId}`, location.guestPath);
  }
}

/** The root of the file system a guest location lives in (Now's or the checkpoint's `/`). */
export function rootOf(location: GuestLocation): GuestLocation {
  return { ...location, guestPath: '/' };
}

/** True when two guest locations name the same file system (same store, VM segment and target). */
export function sameTarget(a: GuestLocation, b: { storeId: string; vm: string; target: GuestTargetRef }): boolean {
  if (a.storeId !== b.storeId || a.vm.toLowerCase() !== b.vm.toLowerCase()) return false;
  if (a.target.kind !== b.target.kind) return false;
  return a.target.kind === 'now' || (b.target.kind === 'checkpoint' && a.target.checkpointId.toLowerCase() === b.target.checkpointId.toLowerCase());
}

/** Workspace folder names: `web-01 (Now)`, `web-01 · Before upgrade (checkpoint, read-only)`. */
export function nowFolderName(vmName: string): string {
  return `${vmName} (Now)`;
}

export function checkpointFolderName(vmName: string, checkpointName: string): string {
  return `${vmName} · ${checkpointName} (checkpoint, read-only)`;
}
