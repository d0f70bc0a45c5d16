/**
 * The command line's contract that needs no engine: --help, exit code 2 for every kind of
 * bad usage (with a clear message on stderr, nothing on stdout, the store untouched), and
 * where the store is (--store, $CHECKPOINT_LAB_STORE, ./.checkpoint-lab).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StoreCli, buildCli, cleanEnv, removeDir, runAll, runRaw, tempDir } from './helpers';

/** Every command of SPEC section 6 except sync-vmfolder (a later issue). */
export const COMMANDS = [
  'new-vm',
  'get-vm',
  'set-vm',
  'start-vm',
  'suspend-vm',
  'resume-vm',
  'save-vm',
  'stop-vm',
  'remove-saved-state',
  'remove-vm',
  'export-vm',
  'checkpoint-vm',
  'get-vmsnapshot',
  'restore-vmsnapshot',
  'revert-vm',
  'remove-vmsnapshot',
  'rename-vmsnapshot',
  'export-vmsnapshot',
  'import-vm',
  'copy-vmfile',
  'write-vmfile',
  'remove-vmfile',
  'get-vmfile',
  'list-vmfiles',
  'compare-vmsnapshot',
  'test-vmstore',
];

describe('CLI usage (built dist/cli.js)', function () {
  let dir: string;
  let cli: StoreCli;

  before(function () {
    this.timeout(60_000);
    buildCli();
    dir = tempDir('usage');
    cli = new StoreCli(path.join(dir, 'store'));
  });

  after(() => removeDir(dir));

  describe('help', () => {
    it('--help lists every command with a one-line description, on stdout, exit 0', () => {
      const result = runRaw(['--help']);
      assert.equal(result.code, 0);
      assert.equal(result.err, '');
      const listed = new Map<string, string>();
      const section = result.out.split(/^Commands:$/m)[1];
      assert.ok(section, 'a Commands: section');
      for (const line of section.split('\n')) {
        const match = /^ {2}([a-z-]+)(?: \[options\])?(?:\s+(.*))?$/.exec(line);
        if (match) listed.set(match[1], match[2] ?? '');
      }
      for (const command of COMMANDS) {
        assert.ok(listed.has(command), `--help lists ${command}`);
        assert.ok((listed.get(command) ?? '').length > 10, `${command} has a one-line description`);
      }
      assert.ok(result.out.includes('--store'), 'the global --store option is documented');
    });

    it('every command has its own --help naming its options', async () => {
      const expectations: Record<string, string[]> = {
        'new-vm': ['--name', '--generation', '--guest-os', '--disk-size', '--memory', '--vhd-path'],
        'set-vm': ['--new-name', '--checkpoint-type', '--snapshot-file-location', '--automatic-checkpoints-enabled', '--backup-integration', '--shutdown-integration', '--guest-services-integration', '--memory', '--notes'],
        'stop-vm': ['--turn-off'],
        'get-vmsnapshot': ['--vm-name', '--name', '--id', '--snapshot-type', '--child-of', '--json'],
        'restore-vmsnapshot': ['--vm-name', '--name', '--id', '--checkpoint-first'],
        'remove-vmsnapshot': ['--include-all-child-snapshots'],
        'get-vmfile': ['--snapshot', '--snapshot-id'],
        'copy-vmfile': ['--source-path', '--destination-path', '--create-full-path'],
        'remove-vmfile': ['--recurse'],
        'export-vmsnapshot': ['--disk-format', '--path'],
      };
      const results = await runAll(COMMANDS.map((command) => [command, '--help']));
      for (const [index, command] of COMMANDS.entries()) {
        const result = results[index];
        assert.equal(result.code, 0, command);
        assert.match(result.out, new RegExp(`Usage: checkpoint-lab ${command}`));
        for (const option of expectations[command] ?? []) assert.ok(result.out.includes(option), `${command} --help mentions ${option}`);
      }
    });

    it('--version prints the version', () => {
      const result = runRaw(['--version']);
      assert.equal(result.code, 0);
      assert.match(result.out, /^\d+\.\d+\.\d+\n$/);
    });
  });

  describe('bad usage exits 2 with a message on stderr and changes nothing', () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['no command', [], /Usage: checkpoint-lab/],
      ['an unknown command', ['frobnicate-vm'], /unknown command 'frobnicate-vm'/],
      ['an unknown option', ['get-vm', '--colour'], /unknown option '--colour'/],
      ['an unexpected argument', ['get-vm', 'web-01'], /too many arguments|unknown command|excess/i],
      ['a missing required option', ['new-vm'], /required option '--name <name>' not specified/],
      ['a missing option value', ['new-vm', '--name'], /argument missing/],
      ['a missing --path', ['write-vmfile', '--name', 'a'], /required option '--path <guestpath>'/],
      ['a missing checkpoint selector', ['restore-vmsnapshot', '--vm-name', 'a'], /--name <name> or --id <id>/],
      ['both --name and --id', ['rename-vmsnapshot', '--vm-name', 'a', '--name', 'x', '--id', 'y', '--new-name', 'z'], /cannot be used with/],
      ['both --snapshot and --snapshot-id', ['get-vmfile', '--name', 'a', '--path', '/x', '--snapshot', 's', '--snapshot-id', 'i'], /cannot be used with/],
      ['--generation 3', ['new-vm', '--name', 'a', '--generation', '3'], /'--generation <n>' argument '3' is invalid.*1, 2/],
      ['--guest-os beos', ['new-vm', '--name', 'a', '--guest-os', 'beos'], /'beos' is invalid.*linux, windows/],
      ['--disk-size -1GiB', ['new-vm', '--name', 'a', '--disk-size', '-1GiB'], /The size '-1GiB' is not valid/],
      ['--disk-size 12XB', ['new-vm', '--name', 'a', '--disk-size', '12XB'], /The size '12XB' is not valid/],
      ['--memory lots', ['new-vm', '--name', 'a', '--memory', 'lots'], /The size 'lots' is not valid/],
      ['--checkpoint-type Foo', ['set-vm', '--name', 'a', '--checkpoint-type', 'Foo'], /'Foo' is invalid.*Disabled, Production, ProductionOnly, Standard/],
      ['--automatic-checkpoints-enabled yes', ['set-vm', '--name', 'a', '--automatic-checkpoints-enabled', 'yes'], /'yes' is invalid.*true or false/],
      ['--memory 12XB on set-vm', ['set-vm', '--name', 'a', '--memory', '12XB'], /The size '12XB' is not valid/],
      ['set-vm with nothing to set', ['set-vm', '--name', 'a'], /at least one setting/],
      ['--snapshot-type Foo', ['get-vmsnapshot', '--snapshot-type', 'Foo'], /'Foo' is invalid.*Standard, Recovery/],
      ['--child-of without --vm-name', ['get-vmsnapshot', '--child-of', 'x'], /--child-of needs --vm-name/],
      ['--disk-format zip', ['export-vm', '--name', 'a', '--path', 'x', '--disk-format', 'zip'], /'zip' is invalid.*vhdx, raw/],
      ['write-vmfile from a terminal is impossible here, but a missing --name is usage', ['write-vmfile', '--path', '/x'], /required option '--name <name>'/],
    ];
    for (const [label, args, message] of cases) {
      it(label, () => {
        cli.unchanged(() => cli.fails(args, 2, message));
        assert.ok(!cli.exists(), 'bad usage does not even create the store');
      });
    }

    it('enum values are case-insensitive, as in PowerShell (parsing only: the VM does not exist)', () => {
      const result = cli.run(['set-vm', '--name', 'nobody', '--checkpoint-type', 'productiononly']);
      assert.notEqual(result.code, 2, result.err);
    });
  });

  describe('where the store is', () => {
    it('--store, else $CHECKPOINT_LAB_STORE, else ./.checkpoint-lab', () => {
      const fromEnv = path.join(dir, 'from-env');
      const fromOption = path.join(dir, 'from-option');
      const cwd = path.join(dir, 'cwd');
      fs.mkdirSync(cwd);
      // get-vm opens (creating) the store it resolves to.
      const viaEnv = runRaw(['get-vm', '--json'], { env: cleanEnv({ CHECKPOINT_LAB_STORE: fromEnv }), cwd });
      assert.equal(viaEnv.code, 0, viaEnv.err);
      assert.deepEqual(JSON.parse(viaEnv.out), []);
      assert.ok(fs.existsSync(fromEnv), '$CHECKPOINT_LAB_STORE is honoured');
      const viaOption = runRaw(['--store', fromOption, 'get-vm', '--json'], { env: cleanEnv({ CHECKPOINT_LAB_STORE: fromEnv }), cwd });
      assert.equal(viaOption.code, 0, viaOption.err);
      assert.ok(fs.existsSync(fromOption), '--store wins over the environment');
      const viaDefault = runRaw(['get-vm', '--json'], { env: cleanEnv(), cwd });
      assert.equal(viaDefault.code, 0, viaDefault.err);
      assert.ok(fs.existsSync(path.join(cwd, '.checkpoint-lab')), 'the default is ./.checkpoint-lab');
      const relative = runRaw(['--store', 'rel-store', 'get-vm', '--json'], { env: cleanEnv(), cwd });
      assert.equal(relative.code, 0, relative.err);
      assert.ok(fs.existsSync(path.join(cwd, 'rel-store')), 'a relative --store is relative to the working directory');
    });
  });
});
