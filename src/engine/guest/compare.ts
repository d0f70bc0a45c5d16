/**
 * compareStates: what changed between two states of a guest disk (a checkpoint, or Now),
 * as compare-vmsnapshot prints it. Both sides are mounted read-only (or Now as it is);
 * nothing is applied. Cheap checks first: a type or size difference decides without
 * reading data; equal sizes compare content in 1 MiB pieces. Directories count as
 * Modified only when their type changed; their additions and removals show as the
 * entries themselves. /run (memory) and /lost+found (fsck's) are left out.
 */
import type { GuestFs, GuestStat } from './guestFs';
import { IO_CHUNK } from './guestFs';
import { isUnder } from './paths';

export type ChangeKind = 'Added' | 'Removed' | 'Modified';

export interface GuestChange {
  Path: string;
  Change: ChangeKind;
}

export const COMPARE_EXCLUDED = ['/run', '/lost+found'];

export function excludedFromCompare(path: string): boolean {
  return COMPARE_EXCLUDED.some((root) => isUnder(path, root));
}

async function sameContent(a: GuestFs, b: GuestFs, sa: GuestStat, sb: GuestStat): Promise<boolean> {
  if (sa.size !== sb.size) return false;
  if (sa.type === 'Symlink') return (await a.readFile(sa.path)).equals(await b.readFile(sb.path));
  for (let at = 0; at < sa.size; at += IO_CHUNK) {
    const length = Math.min(IO_CHUNK, sa.size - at);
    const [x, y] = await Promise.all([a.readRange(sa.path, at, length), b.readRange(sb.path, at, length)]);
    if (!x.equals(y)) return false;
  }
  return true;
}

/** Changes that turn state `from` into state `to`, sorted by path. */
export async function compareStates(from: GuestFs, to: GuestFs): Promise<GuestChange[]> {
  const [left, right] = await Promise.all([from.walk('/', excludedFromCompare), to.walk('/', excludedFromCompare)]);
  const before = new Map(left.map((s) => [s.path, s]));
  const after = new Map(right.map((s) => [s.path, s]));
  const changes: GuestChange[] = [];
  for (const [path, a] of before) {
    const b = after.get(path);
    if (!b) changes.push({ Path: path, Change: 'Removed' });
    else if (a.type !== b.type) changes.push({ Path: path, Change: 'Modified' });
    else if (a.type !== 'Directory' && !(await sameContent(from, to, a, b))) changes.push({ Path: path, Change: 'Modified' });
  }
  for (const path of after.keys()) if (!before.has(path)) changes.push({ Path: path, Change: 'Added' });
  return changes.sort((x, y) => (x.Path < y.Path ? -1 : x.Path > y.Path ? 1 : 0));
}
