import type { ToolCall, ToolContext } from '../types.js';
import type { Registry } from '../../registry/schema.js';
import type { WorkspacePaths } from '../../workspace/paths.js';
import type { CallInfo } from '../callInfo.js';
import type { HookSpec } from '../hookFile.js';

/** A built-in guard's verdict on a call: null passes, a string denies with that reason. */
export type GuardCheck = (call: ToolCall, context: ToolContext, info: CallInfo) => string | null;

/** What a built-in is built from: its hook file (options) and the workspace. */
export interface BuiltinEnv {
  spec: HookSpec;
  registry: Registry;
  paths: WorkspacePaths;
}

/** Programs that read a folder as a whole (recursively), so naming a parent of a protected folder reaches into it. */
export const RECURSIVE_PROGRAMS = new Set([
  'grep',
  'egrep',
  'fgrep',
  'rg',
  'ag',
  'ack',
  'find',
  'fd',
  'tar',
  'zip',
  'rsync',
  'tree',
  'du',
  'rm',
  'mv',
  'cp',
  'scp',
  'chmod',
  'chown',
  'chgrp',
  'shred',
  'git',
  'Grep',
  'Glob',
  'LS',
]);
