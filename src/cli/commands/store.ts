/** The store: test-vmstore (R29). */
import type { Command } from 'commander';
import type { Cli } from '../cli';
import { EXIT_FAILED } from '../errors';
import { addJson } from '../options';
import type { JsonOption } from '../options';
import { formatVerify, verifyJson } from '../output';

export function registerStoreCommands(program: Command, cli: Cli): void {
  addJson(
    program
      .command('test-vmstore')
      .description("Verify every store file's checksum and every reference (exit 1 when problems are found)"),
  ).action(async (options: JsonOption) => {
    const lab = await cli.lab();
    const result = await lab.verify();
    if (options.json) cli.json(verifyJson(result));
    else cli.write(formatVerify(result));
    if (!result.Healthy) cli.exitCode = EXIT_FAILED;
  });
}
