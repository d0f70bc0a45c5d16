import { Command } from 'commander';

const program = new Command('checkpoint-lab')
  .description('Drive a Checkpoint Lab store with PowerShell-style verbs.')
  .option('--store <dir>', 'the lab store (default: $CHECKPOINT_LAB_STORE, else ./.checkpoint-lab)')
  .version('0.1.0');

program.parse(process.argv);
