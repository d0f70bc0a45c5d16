/**
 * The checkpoint tree of one VM: ordering, descendants, selection by Id or name (R24),
 * and the re-parenting of Delete Checkpoint (R16) and Delete Checkpoint Subtree (R17).
 * Pure functions over VmRecord; the disks are the facade's business.
 */
import type { CheckpointRef } from './model';
import { hasWildcards, labError, matchesPattern, messages, sameName } from './rules';
import type { CheckpointRecord, VmRecord } from './vm';

/** Tree order: roots first, then each node's children by CreationTime (then Id), depth first. */
export function treeOrder(checkpoints: readonly CheckpointRecord[]): CheckpointRecord[] {
  const ids = new Set(checkpoints.map((c) => c.Id));
  const children = new Map<string | null, CheckpointRecord[]>();
  for (const cp of checkpoints) {
    const parent = cp.ParentId !== null && ids.has(cp.ParentId) ? cp.ParentId : null;
    let list = children.get(parent);
    if (!list) children.set(parent, (list = []));
    list.push(cp);
  }
  for (const list of children.values()) {
    list.sort((a, b) => (a.CreationTime < b.CreationTime ? -1 : a.CreationTime > b.CreationTime ? 1 : a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0));
  }
  const out: CheckpointRecord[] = [];
  const seen = new Set<string>();
  const visit = (parent: string | null): void => {
    for (const cp of children.get(parent) ?? []) {
      if (seen.has(cp.Id)) continue;
      seen.add(cp.Id);
      out.push(cp);
      visit(cp.Id);
    }
  };
  visit(null);
  // a hand-edited cycle must not hide checkpoints (R25)
  for (const cp of checkpoints) if (!seen.has(cp.Id)) out.push(cp);
  return out;
}

/** Ids of every descendant of checkpointId (not including it). */
export function descendantIds(vm: VmRecord, checkpointId: string): Set<string> {
  const out = new Set<string>();
  const stack = [checkpointId];
  while (stack.length > 0) {
    const id = stack.pop()!;
    for (const cp of vm.Checkpoints) {
      if (cp.ParentId === id && !out.has(cp.Id) && cp.Id !== checkpointId) {
        out.add(cp.Id);
        stack.push(cp.Id);
      }
    }
  }
  return out;
}

/** Is the VM's Now (ParentCheckpoint chain) inside the subtree rooted at checkpointId (inclusive)? */
export function nowIsUnder(vm: VmRecord, checkpointId: string): boolean {
  const byId = new Map(vm.Checkpoints.map((c) => [c.Id, c]));
  for (let id = vm.ParentCheckpointId, steps = 0; id !== null && steps <= byId.size; steps++) {
    if (id === checkpointId) return true;
    id = byId.get(id)?.ParentId ?? null;
  }
  return false;
}

function refParts(ref: CheckpointRef): { id?: string; name?: string; any?: string } {
  if (typeof ref === 'string') return { any: ref };
  if ('id' in ref) return { id: ref.id };
  return { name: ref.name };
}

/** One checkpoint by Id or name (R24: several names match -> "Use its Id."). */
export function findCheckpoint(vm: VmRecord, ref: CheckpointRef): CheckpointRecord {
  const { id, name, any } = refParts(ref);
  const wantedId = id ?? any;
  if (wantedId !== undefined) {
    const byId = vm.Checkpoints.find((c) => c.Id.toLowerCase() === wantedId.trim().toLowerCase());
    if (byId) return byId;
    if (id !== undefined) throw labError('CheckpointNotFound', messages.checkpointIdNotFound(vm.Name, id));
  }
  const wanted = (name ?? any)!;
  const matches = vm.Checkpoints.filter((c) => sameName(c.Name, wanted) || sameName(c.Name, wanted.trim()));
  if (matches.length === 0) throw labError('CheckpointNotFound', messages.checkpointNotFound(vm.Name, wanted));
  if (matches.length > 1) throw labError('CheckpointAmbiguous', messages.checkpointAmbiguous(vm.Name, wanted));
  return matches[0];
}

/** remove-vmsnapshot selection: a pattern with `*`/`?` selects every match (none is an error too), else exactly one. */
export function selectCheckpoints(vm: VmRecord, ref: CheckpointRef): CheckpointRecord[] {
  const { name, any } = refParts(ref);
  const pattern = name ?? any;
  if (pattern !== undefined && hasWildcards(pattern)) {
    const matches = vm.Checkpoints.filter((c) => matchesPattern(c.Name, pattern));
    if (matches.length === 0) throw labError('CheckpointNotFound', messages.checkpointNotFound(vm.Name, pattern));
    return treeOrder(matches);
  }
  return [findCheckpoint(vm, ref)];
}

/**
 * R16/R17 on the records: removes `ids` from the tree; children of a removed checkpoint move
 * up to its nearest surviving ancestor, and so does Now (ParentCheckpointId).
 */
export function removeFromTree(vm: VmRecord, ids: ReadonlySet<string>): void {
  const byId = new Map(vm.Checkpoints.map((c) => [c.Id, c]));
  const survivor = (id: string | null): string | null => {
    let current = id;
    for (let steps = 0; current !== null && ids.has(current) && steps <= byId.size; steps++) current = byId.get(current)?.ParentId ?? null;
    return current !== null && ids.has(current) ? null : current;
  };
  for (const cp of vm.Checkpoints) if (!ids.has(cp.Id)) cp.ParentId = survivor(cp.ParentId);
  vm.ParentCheckpointId = survivor(vm.ParentCheckpointId);
  vm.Checkpoints = vm.Checkpoints.filter((c) => !ids.has(c.Id));
}
