/**
 * `checkpoint-lab:` URIs (SPEC section 5). Pure string logic, no 'vscode' import, so the
 * parser is unit tested in plain mocha.
 *
 * Layout (the authority is the store's Id, resolved through the store registry of SPEC
 * section 4, so a URI works in any window of this machine):
 *
 *   checkpoint-lab://<storeId>/                                              `now` and `checkpoints`
 *   checkpoint-lab://<storeId>/now/                                          one folder per VM, by Id
 *   checkpoint-lab://<storeId>/now/<VM Id>/                                  one folder, named after the VM
 *   checkpoint-lab://<storeId>/now/<VM Id>/<VM name>/<guest path>            Now: the VM's current disk (read-write)
 *   checkpoint-lab://<storeId>/checkpoints/                                  one folder per VM, by Id
 *   checkpoint-lab://<storeId>/checkpoints/<VM Id>/                          one folder per checkpoint, by Id
 *   checkpoint-lab://<storeId>/checkpoints/<VM Id>/<Checkpoint Id>/          one folder, '<VM name> · <checkpoint name>'
 *   checkpoint-lab://<storeId>/checkpoints/<VM Id>/<Checkpoint Id>/<label>/<guest path>   a checkpoint's files (read-only)
 *
 * e.g. `checkpoint-lab://3f2c.../now/8a1e.../web-01/etc/app.conf`.
 *
 * Choices:
 * - The root of a VM's files (what Open Disk and Browse open as a workspace folder) ends in
 *   a readable segment: VS Code names a single-folder window and its Explorer root after
 *   the folder URI's last segment, so the window reads "web-01" or
 *   "web-01 · Before upgrade", not "now" or an Id.
 * - That segment is only a label: the VM and the checkpoint are found by their Ids, the
 *   segments before it. Renaming a VM or a checkpoint leaves open windows and editors
 *   working (names may also repeat for checkpoints, SPEC section 1). A name that cannot be
 *   one clean segment has '/' and '\' written as '∕' and control characters dropped.
 * - The earlier layout (`/<VM>/now/<guest path>`, `/<VM>/checkpoints/<Id>/<guest path>`,
 *   the VM by name or Id) still parses, for editors and recent windows opened before; with
 *   it, a renamed VM is not found.
 * - Guest paths are absolute inside the guest; `..` components and NUL are refused, and
 *   so is a guest path over 4096 characters (the guest's PATH_MAX), before the engine is
 *   asked. `.` components and repeated slashes are dropped.
 */

export const SCHEME = 'checkpoint-lab';
export const NOW_SEGMENT = 'now';
export const CHECKPOINTS_SEGMENT = 'checkpoints';
/** Longest guest path accepted (Linux PATH_MAX, the engine's limit too). */
export const MAX_GUEST_PATH = 4096;
/** The whole URI path may hold the area, Ids and a label besides the guest path. */
const MAX_URI_PATH = MAX_GUEST_PATH + 1024;

/** Which file system of a VM a URI names. */
export type GuestTargetRef = { kind: 'now' } | { kind: 'checkpoint'; checkpointId: string };

export type LabLocation =
  /** `/`: `now` and `checkpoints`. */
  | { kind: 'store'; storeId: string }
  /** `/now`, `/checkpoints`: one folder per VM (by Id). */
  | { kind: 'area'; storeId: string; area: 'now' | 'checkpoints' }
  /** `/now/<VM Id>`: one folder, the VM's Now (named after the VM). */
  | { kind: 'vmNow'; storeId: string; vm: string }
  /** `/checkpoints/<VM Id>` (and the earlier `/<VM>/checkpoints`): one folder per checkpoint. */
  | { kind: 'checkpoints'; storeId: string; vm: string }
  /** `/checkpoints/<VM Id>/<Checkpoint Id>`: one folder, the checkpoint's files (named readably). */
  | { kind: 'checkpoint'; storeId: string; vm: string; checkpointId: string }
  /** The earlier layout's `/<VM>`: holds `now` and `checkpoints`. */
  | { kind: 'vm'; storeId: string; vm: string }
  /**
   * A path inside Now or a checkpoint; guestPath is normalised ('/' for the root). `vm` is
   * what the engine is asked for (the VM's Id; a name or Id in the earlier layout); `label`
   * is the readable root segment (undefined in the earlier layout).
   */
  | { kind: 'guest'; storeId: string; vm: string; target: GuestTargetRef; guestPath: string; label?: string };

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

function guest(storeId: string, vm: string, target: GuestTargetRef, rest: string[], label?: string): GuestLocation {
  const guestPath = '/' + rest.join('/');
  if (guestPath.length > MAX_GUEST_PATH) {
    throw new LabUriError('invalid', `The guest path '${shown(guestPath)}' is not valid: it is longer than ${MAX_GUEST_PATH} characters.`);
  }
  return label === undefined ? { kind: 'guest', storeId, vm, target, guestPath } : { kind: 'guest', storeId, vm, target, guestPath, label };
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
  const [first, second] = segments;
  const earlier = second === NOW_SEGMENT || second === CHECKPOINTS_SEGMENT;
  if (!earlier && first === NOW_SEGMENT) {
    if (segments.length === 1) return { kind: 'area', storeId, area: 'now' };
    if (segments.length === 2) return { kind: 'vmNow', storeId, vm: second };
    return guest(storeId, second, { kind: 'now' }, segments.slice(3), segments[2]);
  }
  if (!earlier && first === CHECKPOINTS_SEGMENT) {
    if (segments.length === 1) return { kind: 'area', storeId, area: 'checkpoints' };
    if (segments.length === 2) return { kind: 'checkpoints', storeId, vm: second };
    const checkpointId = segments[2];
    if (segments.length === 3) return { kind: 'checkpoint', storeId, vm: second, checkpointId };
    return guest(storeId, second, { kind: 'checkpoint', checkpointId }, segments.slice(4), segments[3]);
  }
  // The earlier layout: /<VM>/now/..., /<VM>/checkpoints/<Id>/...
  const vm = first;
  if (segments.length === 1) return { kind: 'vm', storeId, vm };
  if (second === NOW_SEGMENT) return guest(storeId, vm, { kind: 'now' }, segments.slice(2));
  if (second === CHECKPOINTS_SEGMENT) {
    if (segments.length === 2) return { kind: 'checkpoints', storeId, vm };
    return guest(storeId, vm, { kind: 'checkpoint', checkpointId: segments[2] }, segments.slice(3));
  }
  throw new LabUriError(
    'notFound',
    `'${shown(path)}' does not exist: a Checkpoint Lab store holds only '${NOW_SEGMENT}' and '${CHECKPOINTS_SEGMENT}' (and a virtual machine's folder of the earlier layout the same).`,
  );
}

/** A name as one path segment: '/' and '\' as '∕', control characters dropped, trimmed; the fallback when nothing is left. */
export function labelSegment(name: string, fallback: string): string {
  const clean = name.replace(/[\\/]/g, '∕').replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  return clean === '' || clean === '.' || clean === '..' ? fallback : clean;
}

/** Workspace folder names (and the last segment of the folder URIs): `web-01`, `web-01 · Before upgrade`, `web-01 - (11/22/2026 - 9:30:00 AM)`. */
export function nowFolderName(vmName: string): string {
  return vmName;
}

/** A checkpoint's name after its VM's, unless it already starts with it (the default '<VM> - (<date>)'). */
export function checkpointFolderName(vmName: string, checkpointName: string): string {
  const name = checkpointName.trim();
  const vm = vmName.trim();
  if (vm !== '' && name.toLowerCase().startsWith(vm.toLowerCase()) && !/[\p{L}\p{N}]/u.test(name.charAt(vm.length))) return name;
  return `${vmName} · ${name}`;
}

/** The readable root segment of a VM's Now. */
export function nowLabel(vm: { Id: string; Name: string }): string {
  return labelSegment(nowFolderName(vm.Name), vm.Id);
}

/** The readable root segment of a checkpoint's files. */
export function checkpointLabel(vm: { Id: string; Name: string }, checkpoint: { Id: string; Name: string }): string {
  return labelSegment(checkpointFolderName(vm.Name, checkpoint.Name), checkpoint.Id);
}

/** Joins a normalised guest path under a prefix: ('/a/now', '/') -> '/a/now'. */
function under(prefix: string, guestPath: string): string {
  const clean = '/' + guestPath.split('/').filter((s) => s !== '' && s !== '.').join('/');
  return clean === '/' ? prefix : `${prefix}${clean}`;
}

/** URI path of a file or folder in Now: `/now/<VM Id>/<VM name>/<guest path>`. */
export function nowPath(vm: { Id: string; Name: string }, guestPath = '/'): string {
  return under(`/${NOW_SEGMENT}/${vm.Id}/${nowLabel(vm)}`, guestPath);
}

/**
 * URI path of a file or folder in a checkpoint: `/checkpoints/<VM Id>/<Checkpoint Id>/<VM name> · <checkpoint name>/<guest path>`.
 * Given only the checkpoint's Id, the label reads `<VM name> · checkpoint <first 8 of the Id>`.
 */
export function checkpointPath(vm: { Id: string; Name: string }, checkpoint: { Id: string; Name: string } | string, guestPath = '/'): string {
  const cp = typeof checkpoint === 'string' ? { Id: checkpoint, Name: `checkpoint ${checkpoint.slice(0, 8)}` } : checkpoint;
  return under(`/${CHECKPOINTS_SEGMENT}/${vm.Id}/${cp.Id}/${checkpointLabel(vm, cp)}`, guestPath);
}

/** URI path of a location (the inverse of parseLabUri, with the segments as given). */
export function formatLabPath(location: LabLocation): string {
  switch (location.kind) {
    case 'store':
      return '/';
    case 'area':
      return `/${location.area}`;
    case 'vmNow':
      return `/${NOW_SEGMENT}/${location.vm}`;
    case 'checkpoints':
      return `/${CHECKPOINTS_SEGMENT}/${location.vm}`;
    case 'checkpoint':
      return `/${CHECKPOINTS_SEGMENT}/${location.vm}/${location.checkpointId}`;
    case 'vm':
      return `/${location.vm}`;
    case 'guest':
      if (location.label === undefined) {
        return location.target.kind === 'now'
          ? under(`/${location.vm}/${NOW_SEGMENT}`, location.guestPath)
          : under(`/${location.vm}/${CHECKPOINTS_SEGMENT}/${location.target.checkpointId}`, location.guestPath);
      }
      return location.target.kind === 'now'
        ? under(`/${NOW_SEGMENT}/${location.vm}/${location.label}`, location.guestPath)
        : under(`/${CHECKPOINTS_SEGMENT}/${location.vm}/${location.target.checkpointId}/${location.label}`, location.guestPath);
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
