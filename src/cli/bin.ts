#!/usr/bin/env node
/** The mqbench executable: real process globals in, exit code out. */
import { hideBin } from 'yargs/helpers';
import { processIo } from './io.js';
import { main } from './main.js';

process.exitCode = await main(hideBin(process.argv), processIo());
