/**
 * Export and import (R23), test-vmstore (R29, exit 1 when problems are found), and the
 * startup promise: listings do not load the WebAssembly file system.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StoreCli, VM_KEYS, assertKeys, buildCli, removeDir, tempDir } from './helpers';
import type { VmJson } from './helpers';

interface ExportJson {
  Folder: string;
  ConfigFile: string;
  DiskFile: string;
}

describe('CLI: export, import and the store', function () {
  this.timeout(60_000);
  let dir: string;
  let cli: StoreCli;

  before(function () {
    buildCli();
    dir = tempDir('store');
    cli = new StoreCli(path.join(dir, 'store'));
    cli.newVm('web-01');
    cli.writeFile('web-01', '/app/hello.txt', 'hello from web-01');
  });

  after(() => removeDir(dir));

  describe('export-vm, export-vmsnapshot, import-vm', () => {
    it('export-vm writes <path>/<VM name>/ with the .vmcx and a VHDX disk', () => {
      const vm = cli.vm('web-01');
      const out = path.join(dir, 'exports');
      const result = cli.json<ExportJson>(['export-vm', '--name', 'web-01', '--path', out]);
      assert.equal(result.Folder, path.join(out, 'web-01'));
      assert.equal(result.ConfigFile, path.join(out, 'web-01', 'Virtual Machines', `${vm.Id}.vmcx`));
      assert.equal(result.DiskFile, path.join(out, 'web-01', 'Virtual Hard Disks', 'disk0.vhdx'));
      assert.ok(fs.statSync(result.ConfigFile).isFile());
      assert.equal(fs.readFileSync(result.DiskFile).subarray(0, 8).toString('latin1'), 'vhdxfile', 'a VHDX file signature');
    });

    it('import-vm refuses a name in use and changes nothing; with --name it makes a new VM, Off, no checkpoints', () => {
      const folder = path.join(dir, 'exports', 'web-01');
      cli.unchanged(() => cli.fails(['import-vm', '--path', folder], 1, /web-01/));
      const imported = cli.json<VmJson>(['import-vm', '--path', folder, '--name', 'web-01-copy']);
      assertKeys(imported, VM_KEYS);
      assert.equal(imported.Name, 'web-01-copy');
      assert.notEqual(imported.Id, cli.vm('web-01').Id, 'a new Id');
      assert.equal(imported.State, 'Off');
      assert.equal(imported.ParentCheckpointId, null);
      assert.deepEqual(cli.checkpoints('web-01-copy'), []);
      assert.equal(cli.readFile('web-01-copy', '/app/hello.txt').toString(), 'hello from web-01');
    });

    it("export-vmsnapshot writes a checkpoint's disk as raw; the bare raw disk imports as a VM", () => {
      cli.checkpoint('web-01', 'exported');
      cli.writeFile('web-01', '/app/hello.txt', 'changed after the checkpoint');
      const out = path.join(dir, 'raw-exports');
      const result = cli.json<ExportJson>(['export-vmsnapshot', '--vm-name', 'web-01', '--name', 'exported', '--path', out, '--disk-format', 'raw']);
      assert.equal(result.DiskFile, path.join(out, 'web-01', 'Virtual Hard Disks', 'disk0.raw'));
      assert.match(cli.ok(['export-vmsnapshot', '--vm-name', 'web-01', '--name', 'exported', '--path', path.join(dir, 'table-export')]).out, /Exported to /);
      const fromRaw = cli.json<VmJson>(['import-vm', '--path', result.DiskFile, '--name', 'from-raw']);
      assert.equal(cli.readFile(fromRaw.Name, '/app/hello.txt').toString(), 'hello from web-01', "the checkpoint's data, not Now's");
      const viaNewVm = cli.json<VmJson>(['new-vm', '--name', 'from-vhd-path', '--vhd-path', result.DiskFile]);
      assert.equal(viaNewVm.DiskSizeBytes, 1024 ** 3, 'the image decides the size');
      assert.equal(cli.readFile('from-vhd-path', '/app/hello.txt').toString(), 'hello from web-01', 'new-vm --vhd-path uses the image as the disk');
    });

    it('import-vm refuses something that is not an export or a disk', () => {
      const junk = path.join(dir, 'junk.txt');
      fs.writeFileSync(junk, 'not a virtual machine');
      cli.unchanged(() => cli.fails(['import-vm', '--path', junk, '--name', 'junk'], 1));
    });
  });

  describe('test-vmstore', () => {
    it('a healthy store: exit 0, { Healthy: true, Problems: [] }', () => {
      const report = cli.json<{ Healthy: boolean; Problems: unknown[] }>(['test-vmstore']);
      assert.deepEqual(report, { Healthy: true, Problems: [] });
      assert.match(cli.ok(['test-vmstore']).out, /healthy/i);
    });

    it('after damaging a file: exit 1, and Problems name that file', () => {
      const vm = cli.vm('web-01-copy');
      const file = path.join(cli.store, 'Virtual Machines', `${vm.Id}.vmcx`);
      const bytes = fs.readFileSync(file);
      bytes[Math.floor(bytes.length / 2)] ^= 0x5a;
      fs.writeFileSync(file, bytes);
      const before = cli.snapshot();
      const result = cli.run(['test-vmstore', '--json']);
      assert.equal(result.code, 1, result.err);
      const report = JSON.parse(result.out) as { Healthy: boolean; Problems: Array<{ File: string; Problem: string }> };
      assert.equal(report.Healthy, false);
      assert.ok(report.Problems.length > 0);
      for (const problem of report.Problems) assertKeys(problem, ['File', 'Problem']);
      assert.ok(
        report.Problems.some((p) => p.File.includes(`${vm.Id}.vmcx`) && p.Problem.length > 0),
        `a problem names the damaged file: ${JSON.stringify(report.Problems)}`,
      );
      assert.deepEqual(cli.snapshot(), before, 'verification changes nothing (R29)');
      const table = cli.run(['test-vmstore']);
      assert.equal(table.code, 1);
      assert.ok(table.out.includes(`${vm.Id}.vmcx`), 'the table names the file too');
      const listing = cli.run(['get-vm', '--json']);
      assert.equal(listing.code, 0, `a damaged VM never breaks a listing (R25): ${listing.err}`);
    });
  });

  describe('startup', () => {
    it('listings do not load the WebAssembly file system; guest reads do (the probe works)', () => {
      const probe = path.join(dir, 'wasm-probe.js');
      const marker = path.join(dir, 'wasm-used');
      fs.writeFileSync(
        probe,
        `const fs = require('fs');
for (const key of ['instantiate', 'compile', 'instantiateStreaming', 'compileStreaming']) {
  const original = WebAssembly[key];
  if (typeof original !== 'function') continue;
  WebAssembly[key] = function (...args) { fs.appendFileSync(${JSON.stringify(marker)}, key + '\\n'); return original.apply(this, args); };
}
`,
      );
      const nodeArgs = ['--require', probe];
      for (const args of [['get-vm', '--json'], ['get-vmsnapshot', '--json'], ['get-vmsnapshot', '--vm-name', 'web-01', '--json']]) {
        cli.ok(args, { nodeArgs });
        assert.ok(!fs.existsSync(marker), `${args.join(' ')} loaded WebAssembly`);
      }
      cli.ok(['get-vmfile', '--name', 'web-01', '--path', '/app/hello.txt'], { nodeArgs });
      assert.ok(fs.existsSync(marker), 'reading a guest file does load it, so the probe can see it');
    });
  });
});
