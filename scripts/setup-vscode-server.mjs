#!/usr/bin/env node
// Installs the development-time VS Code (code-server 4.100.3) without any download
// other than the npm registry: code-server's own postinstall fetches ripgrep and
// would fail offline, so we install it with scripts ignored and do the rest here.
// Idempotent: a marker file records a finished setup.
//
// Usage: node scripts/setup-vscode-server.mjs [--strict]
//   --strict  fail (exit 1) when a system package is missing; without it (as the
//             postinstall does) print what is missing and skip, so `npm install`
//             still works for engine-only development.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, chmodSync, lstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const serverDir = join(root, 'tools', 'vscode-server');
const codeServer = join(serverDir, 'node_modules', 'code-server');
const vscodeDir = join(codeServer, 'lib', 'vscode');
const marker = join(serverDir, 'node_modules', '.checkpoint-lab-setup');
const expectedVersion = '4.100.3';
const strict = process.argv.includes('--strict');

function log(message) {
  process.stderr.write(`[setup-vscode-server] ${message}\n`);
}

function run(command, args, cwd, extraEnv = {}) {
  log(`${command} ${args.join(' ')}   (in ${cwd.slice(root.length + 1) || '.'})`);
  execFileSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...extraEnv } });
}

function which(name) {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const requirements = [
  { what: 'chromium', apt: 'chromium', present: () => existsSync('/usr/bin/chromium') },
  { what: 'ripgrep (rg)', apt: 'ripgrep', present: () => Boolean(which('rg')) },
  { what: 'Kerberos headers (krb5.h)', apt: 'libkrb5-dev', present: () => existsSync('/usr/include/krb5.h') || existsSync('/usr/include/krb5/krb5.h') },
  { what: 'a C++ compiler', apt: 'g++', present: () => Boolean(which('g++')) },
  { what: 'make', apt: 'make', present: () => Boolean(which('make')) },
  { what: 'python3', apt: 'python3', present: () => Boolean(which('python3')) },
];

export function missingSystemPackages() {
  return requirements.filter((r) => !r.present());
}

function isSetUp() {
  return existsSync(marker) && readFileSync(marker, 'utf8').trim() === expectedVersion;
}

function main() {
  if (process.env.CHECKPOINT_LAB_SKIP_VSCODE_SERVER === '1') {
    log('skipped (CHECKPOINT_LAB_SKIP_VSCODE_SERVER=1)');
    return;
  }
  if (isSetUp()) {
    log(`code-server ${expectedVersion} is set up`);
    return;
  }
  const missing = missingSystemPackages();
  if (missing.length > 0) {
    const list = missing.map((m) => `${m.what} (Debian package ${m.apt})`).join(', ');
    const message = `missing system packages: ${list}.\n  Install them with: sudo apt-get install -y ${missing.map((m) => m.apt).join(' ')}\n  The integration and UI tests and npm start need them; unit tests do not.`;
    if (strict) {
      log(message);
      process.exit(1);
    }
    log(`${message}\n  Skipping the VS Code server set-up for now.`);
    return;
  }

  run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], serverDir);
  run('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], vscodeDir);

  // @vscode/ripgrep's postinstall downloads rg; use Debian's instead.
  const rgTarget = join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg');
  mkdirSync(dirname(rgTarget), { recursive: true });
  copyFileSync(which('rg'), rgTarget);
  chmodSync(rgTarget, 0o755);

  run('npm', ['rebuild', 'kerberos', '@parcel/watcher', '@vscode/deviceid', '@vscode/spdlog', 'native-watchdog', 'node-pty'], vscodeDir, { npm_config_yes: 'true' });

  const asar = join(vscodeDir, 'node_modules.asar');
  let hasAsar = false;
  try {
    lstatSync(asar);
    hasAsar = true;
  } catch {
    hasAsar = false;
  }
  if (!hasAsar) symlinkSync('node_modules', asar);

  run('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], join(vscodeDir, 'extensions'));
  run('npm', ['rebuild', 'argon2'], serverDir);

  const version = execFileSync(process.execPath, [join(codeServer, 'out', 'node', 'entry.js'), '--version'], { encoding: 'utf8' });
  if (!version.includes(expectedVersion)) {
    throw new Error(`code-server reports "${version.trim()}", expected ${expectedVersion}`);
  }
  log(`ready: ${version.trim().split('\n').pop()}`);
  writeFileSync(marker, `${expectedVersion}\n`);
}

main();
