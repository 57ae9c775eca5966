import type { Command } from 'commander';
import { lazy } from './lazy.js';

/** `master brand add|list|remove` and `master repo add|list|remove`: registry.json without hand-editing. */
export function registerCatalogCommands(program: Command, home: () => string | undefined): void {
  const load = () => import('./commands/catalog.js');
  const brand = program.command('brand').description('the brands of the workspace (registry.json, its layout kept)');
  brand
    .command('list')
    .description('every brand with its repos')
    .option('--json', 'print a JSON array')
    .action(lazy(async () => (await load()).brandListCommand(home)));
  brand
    .command('add <id>')
    .description('add a brand (a lower-case id of letters, digits and dashes)')
    .option('--name <name>', 'its display name (default: the id)')
    .option('--silo', 'wall it off: its code and data never leave it, nothing of another brand enters')
    .action(lazy(async () => (await load()).brandAddCommand(home)));
  brand
    .command('remove <id>')
    .description('remove a brand (refused while it has open tickets; --force cancels them); folders are kept')
    .option('--force', 'cancel its open tickets and remove it')
    .action(lazy(async () => (await load()).brandRemoveCommand(home)));

  const repo = program.command('repo').description('the repos of a brand (registry.json, its layout kept)');
  repo
    .command('list')
    .description('every brand with its repos (as `master brand list`)')
    .option('--json', 'print a JSON array')
    .action(lazy(async () => (await load()).brandListCommand(home)));
  repo
    .command('add <brand> <repo> <source>')
    .description('add a repo: SOURCE is the folder of a clone with the main branch, or a URL to clone (asked at a terminal; --clone or --no-clone says it up front)')
    .option('--main-branch <name>', "the branch the gate merges into (default: main; for --clone, the remote's default)")
    .option('--clone', 'clone the URL first (into repos/REPO under the workspace, or --into DIR)')
    .option('--no-clone', 'never clone: a URL is refused instead of asked about')
    .option('--into <dir>', 'where --clone puts the clone')
    .option('--test <cmd>', 'the test command the gate runs')
    .option('--lint <cmd>', 'the lint command the gate runs')
    .option('--typecheck <cmd>', 'the type-check command the gate runs')
    .action(lazy(async () => (await load()).repoAddCommand(home)));
  repo
    .command('remove <brand> <repo>')
    .description('remove a repo from its brand (refused while it has open tickets; --force cancels them); the folder is kept')
    .option('--force', 'cancel its open tickets and remove it')
    .action(lazy(async () => (await load()).repoRemoveCommand(home)));
}
