#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { main } from '../dist/cli.js';

main(hideBin(process.argv)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`tunelab: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
