/** Shared fixtures for the engine facade tests. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Lab, type LabOptions } from '../../../src/engine';

export function scratch(prefix = 'clab-engine-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function cleanup(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A settable clock: tests fix the time of default names (R3, R14). */
export class TestClock {
  constructor(public time = new Date(2026, 10, 21, 21, 58, 1)) {}
  now = (): Date => new Date(this.time.getTime());
  advance(ms: number): void {
    this.time = new Date(this.time.getTime() + ms);
  }
}

const openLabs = new Set<Lab>();

export async function openLab(root: string, options: LabOptions = {}): Promise<Lab> {
  const lab = await Lab.open(root, options);
  openLabs.add(lab);
  return lab;
}

/** Lets every open Lab finish its follow-up usage commit (R30), so a fingerprint is stable. */
export async function settle(): Promise<void> {
  for (const lab of openLabs) await lab.listVms().catch(() => openLabs.delete(lab));
}

/** Rejects with exactly this user-facing message. */
export async function rejectsWith(promise: Promise<unknown>, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (error: Error) => {
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

/** Bytes of lab.json and lab.seq: equal before and after means nothing was committed. */
export function storeFingerprint(root: string): string {
  const read = (name: string): string => (fs.existsSync(path.join(root, name)) ? fs.readFileSync(path.join(root, name)).toString('base64') : '');
  return `${read('lab.json')}|${read('lab.seq')}`;
}

/** Asserts that fn fails with message and changes nothing in the store. */
export async function failsAndChangesNothing(root: string, fn: () => Promise<unknown>, message: string | RegExp): Promise<void> {
  await settle();
  const before = storeFingerprint(root);
  const files = listAll(root);
  await rejectsWith(fn(), message);
  await settle();
  assert.equal(storeFingerprint(root), before, 'the store was changed');
  assert.deepEqual(listAll(root), files, 'store files were added or removed');
}

export function listAll(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      if (name === 'lab.lock') continue;
      const full = path.join(dir, name);
      const childRel = rel ? `${rel}/${name}` : name;
      if (fs.statSync(full).isDirectory()) walk(full, childRel);
      else out.push(childRel);
    }
  };
  walk(root, '');
  return out;
}

export function diskFiles(root: string, vmId: string): string[] {
  return fs.readdirSync(path.join(root, 'Virtual Hard Disks', vmId)).filter((n) => n !== 'blocks.pool').sort();
}
