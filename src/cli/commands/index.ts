/**
 * Every `cnn-slicer` command, in the order of the main `--help`'s command list: the one table
 * main.ts dispatches through (a command's descriptor: descriptor.ts).
 */
import type { Command } from './descriptor';
import { DEMO } from './demo';
import { CAPACITY, ENTROPY, LABELS, MI } from './estimators';
import { FINDINGS, MEASURE, QUERY, RECORD, REPORT, RUNS } from './runs';

export const COMMANDS: readonly Command[] = [ENTROPY, CAPACITY, LABELS, MI, RECORD, QUERY, RUNS, MEASURE, FINDINGS, REPORT, DEMO];
