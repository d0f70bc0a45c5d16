/** A real Lab in a tmp store and a tmp host folder, for the loop's tests. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Lab } from '../../../src/engine';
import { ManifestStore } from '../../../src/loop/core';

export interface LoopFixture {
  base: string;
  store: string;
  folder: string;
  lab: Lab;
  write(rel: string, text: string | Buffer): void;
  read(rel: string): string;
  exists(rel: string): boolean;
  remove(rel: string): void;
  /** Every file of the host folder, relative, sorted, with its text. */
  hostFiles(): Record<string, string>;
  /** Every file of the guest folder, relative, sorted, with its text. */
  guestFiles(vm?: string, guestPath?: string): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export async function loopFixture(files: Record<string, string> = {}): Promise<LoopFixture> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-test-'));
  const store = path.join(base, 'store');
  const folder = path.join(base, 'app');
  fs.mkdirSync(folder);
  const lab = await Lab.open(store);
  await lab.createVm({ name: 'web', diskSizeGiB: 1 });
  const write = (rel: string, text: string | Buffer) => {
    fs.mkdirSync(path.dirname(path.join(folder, rel)), { recursive: true });
    fs.writeFileSync(path.join(folder, rel), text);
  };
  for (const [rel, text] of Object.entries(files)) write(rel, text);
  const hostFiles = () => {
    const out: Record<string, string> = {};
    const visit = (dir: string, rel: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const r = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) visit(path.join(dir, entry.name), r);
        else out[r] = fs.readFileSync(path.join(dir, entry.name), 'utf8');
      }
    };
    visit(folder, '');
    return out;
  };
  const guestFiles = async (vm = 'web', guestPath = '/srv/app') => {
    const out: Record<string, string> = {};
    const visit = async (dir: string, rel: string) => {
      for (const row of await lab.listFiles(vm, dir)) {
        const name = row.Path.slice(row.Path.lastIndexOf('/') + 1);
        const r = rel ? `${rel}/${name}` : name;
        if (row.Type === 'Directory') await visit(row.Path, r);
        else out[r] = (await lab.readFile(vm, row.Path)).toString('utf8');
      }
    };
    if (await lab.fileExists(vm, guestPath)) await visit(guestPath, '');
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
  };
  return {
    base,
    store,
    folder,
    lab,
    write,
    read: (rel) => fs.readFileSync(path.join(folder, rel), 'utf8'),
    exists: (rel) => fs.existsSync(path.join(folder, rel)),
    remove: (rel) => fs.rmSync(path.join(folder, rel), { recursive: true, force: true }),
    hostFiles,
    guestFiles,
    async close() {
      await ManifestStore.flush();
      await lab.close();
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}
