import { Command, CommanderError, Option } from 'commander';
import { ExitCode, UserError } from '../errors.js';
import { registerCatalogCommands } from './catalogProgram.js';
import { collect, lazy } from './lazy.js';
import { err, out } from './output.js';

declare const MASTER_VERSION: string | undefined;

export function buildProgram(version: string): Command {
  const program = new Command('master')
    .description("Master OS: a terminal cockpit for running many businesses' code work with AI agents")
    .version(version, '-V, --version')
    .option('--home <dir>', 'the workspace folder (default: $MASTER_HOME, else the current directory)')
    .showSuggestionAfterError()
    .configureHelp({ sortSubcommands: false })
    // Set before subcommands are added: they copy these settings when created.
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  const home = () => program.opts<{ home?: string }>().home;

  program
    .command('init [dir]')
    .description('create a workspace: registry.json, hooks/, wiki/, .master/')
    .option('--force', 'create it even inside another workspace (or one of its repos)')
    .action(lazy(async () => (await import('./commands/init.js')).initCommand));

  const registry = program.command('registry').description('the workspace registry (brands, repos, checks, silos)');
  registry
    .command('schema')
    .description('print the registry JSON Schema')
    .action(lazy(async () => (await import('./commands/registry.js')).schemaCommand));
  registry
    .command('validate [file]')
    .description("check a registry file (default: the workspace's registry.json)")
    .action(lazy(async () => (await import('./commands/registry.js')).validateCommand(home)));

  const ticket = program.command('ticket').description('create, list, show and move tickets');
  ticket
    .command('add')
    .description('create a ticket in triage')
    .requiredOption('--brand <brand>', 'brand id')
    .requiredOption('--repo <repo>', 'repo id within the brand')
    .requiredOption('--title <title>', 'one-line title')
    .option('--body <text>', 'what to do and why (`-` reads it from stdin)', '')
    .option('--body-file <file>', 'read the body from a file (for large bodies)')
    .option('--accept <text>', 'an acceptance criterion (repeatable)', collect, [])
    .addOption(new Option('--kind <kind>', 'who does the work').choices(['agent', 'script']).default('agent'))
    .option('--run <cmd>', 'a command of a script ticket (repeatable)', collect, [])
    .addOption(new Option('--priority <p>', 'priority').choices(['p0', 'p1', 'p2', 'p3']).default('p2'))
    .option('--json', 'print the ticket as JSON')
    .action(lazy(async () => (await import('./commands/ticket.js')).addCommand(home)));
  ticket
    .command('list')
    .description('list tickets (hot state; --all adds archived ones)')
    .option('--brand <brand>', 'only this brand')
    .option('--state <state>', 'only this state')
    .option('--all', 'include archived tickets')
    .option('--json', 'print a JSON array')
    .action(lazy(async () => (await import('./commands/ticket.js')).listCommand(home)));
  ticket
    .command('show <id>')
    .description('show one ticket with its history, runs and gate evidence')
    .option('--json', 'print the ticket as JSON')
    .action(lazy(async () => (await import('./commands/ticket.js')).showCommand(home)));
  ticket
    .command('move <id-and-event...>')
    .usage('ID... EVENT [options]')
    .description('send an event to one or more tickets: approve, block, unblock, cancel, retry, reopen')
    .option('--note <text>', 'why (kept in the history; for retry, feedback for the next attempt)')
    .option('--json', 'print the ticket as JSON (an array for several)')
    .action(lazy(async () => (await import('./commands/ticket.js')).moveCommand(home)));
  ticket
    .command('edit <id>')
    .description("change a ticket's title, body, acceptance criteria or priority (not its state or gate evidence)")
    .option('--title <title>', 'a new one-line title')
    .option('--body <text>', 'a new body (`-` reads it from stdin)')
    .option('--body-file <file>', 'read the new body from a file')
    .option('--accept <text>', 'an acceptance criterion, replacing the list (repeatable)', collect)
    .addOption(new Option('--priority <p>', 'a new priority').choices(['p0', 'p1', 'p2', 'p3']))
    .option('--json', 'print the ticket as JSON')
    .action(lazy(async () => (await import('./commands/ticket.js')).editCommand(home)));
  ticket
    .command('recheck <id>')
    .description('let the merge gate verify a ticket again that it held after failing on the same commits')
    .action(lazy(async () => (await import('./commands/ticket.js')).recheckCommand(home)));

  registerCatalogCommands(program, home);

  program
    .command('usage')
    .description('tokens and cost by day, brand and ticket')
    .option('--brand <brand>', 'only this brand')
    .option('--since <day>', 'only from this day on (YYYY-MM-DD)')
    .option('--json', 'print the structured report')
    .action(lazy(async () => (await import('./commands/usage.js')).usageCommand(home)));

  program
    .command('scout')
    .description('what changed in every tracked repo since the last scout, one briefing per brand')
    .option('--json', 'print the structured result')
    .action(lazy(async () => (await import('./commands/scout.js')).scoutCommand(home)));

  program
    .command('demo')
    .description('create (or complete) a demo workspace with seven brands, nine real repos and seeded tickets')
    .option('--dir <dir>', 'where to create it (default: this repository, repos under .master/demo/)')
    .action(lazy(async () => (await import('./commands/demo.js')).demoCommand(home)));

  program
    .command('start')
    .description('run the session loop: scout, distill, interview, dispatch, merge, report')
    .option('--ci', 'headless: questions are stored for later, never waited on')
    .option('--json', 'one JSON object per event (NDJSON)')
    .option('--plain', 'line output instead of the full-screen cockpit (terminals that cannot draw one)')
    .option('--strict', 'also exit 1 when a ticket failed or was rejected, or the doctor grade is below A')
    .option('--force <phase>', 'run a phase even if its cadence says skip (repeatable)', collect, [])
    .option('--only <phase>', 'run only this phase')
    .action(lazy(async () => (await import('./commands/start.js')).startCommand(home)));

  program
    .command('questions')
    .description('list the questions that wait for the operator')
    .option('--json', 'print a JSON array')
    .action(lazy(async () => (await import('./commands/questions.js')).questionsCommand(home)));
  program
    .command('answer <id> <text...>')
    .description('answer a question; a ticket blocked on it goes back to ready')
    .action(lazy(async () => (await import('./commands/questions.js')).answerCommand(home)));

  program
    .command('repair')
    .description('rebuild .master/state.json from the event log alone')
    .action(lazy(async () => (await import('./commands/repair.js')).repairCommand(home)));

  const wiki = program.command('wiki').description('the workspace wiki: pages, search, links, lint');
  wiki
    .command('list')
    .description('every page with its title')
    .option('--brand <brand>', "only this brand's folder (or global, ledger, inbox)")
    .option('--json', 'print a JSON array')
    .action(lazy(async () => (await import('./commands/wiki.js')).listCommand(home)));
  wiki
    .command('show <page>')
    .description('print a page (by its name, e.g. umano/release-process, or a unique file name)')
    .action(lazy(async () => (await import('./commands/wiki.js')).showCommand(home)));
  wiki
    .command('search <words...>')
    .description('full-text search, best first')
    .option('--brand <brand>', "only this brand's folder")
    .option('--limit <n>', 'at most this many pages (default 10)')
    .option('--json', 'print [{page, title, score, snippet}]')
    .action(lazy(async () => (await import('./commands/wiki.js')).searchCommand(home)));
  wiki
    .command('links <page>')
    .description('the links out of a page and the pages that link to it')
    .option('--json', 'print {page, out, back}')
    .action(lazy(async () => (await import('./commands/wiki.js')).linksCommand(home)));
  wiki
    .command('lint')
    .description('broken links, bad frontmatter, orphans, duplicate titles, ... (exit 1 when any)')
    .option('--json', 'print [{page, kind, message}]')
    .action(lazy(async () => (await import('./commands/wiki.js')).lintCommand(home)));

  program
    .command('doctor')
    .description('grade the workspace: registry, repos, state, guards, agents, machine (exit 1 below A)')
    .option('--json', 'print {grade, passed, total, checks}')
    .option('--fix', 'repair what is safe (stale worktrees, dead locks, merged branches) and say what was done')
    .option('--full', 'verify the whole event log, not only what came after the last verified point')
    .action(lazy(async () => (await import('./commands/doctor.js')).doctorCommand(home)));

  program
    .command('mcp')
    .description('serve tickets, wiki, registry and doctor to an MCP client (stdio; --http PORT for Streamable HTTP on 127.0.0.1)')
    .option('--brand <brand>', 'scope the client to what an agent of this brand may see (silo walls hold)')
    .option('--http <port>', 'serve Streamable HTTP on 127.0.0.1:PORT/mcp with the bearer token in .master/mcp-token (0: any free port)')
    .action(lazy(async () => (await import('./commands/mcp.js')).mcpCommand(home)));

  program
    .command('guard')
    .description('a Claude Code hook command: reads the hook JSON on stdin, runs the guard chain; exit 2 blocks')
    .option('--within <seconds>', 'answer deny by itself after this many seconds (below the hook timeout)')
    .action(lazy(async () => (await import('./commands/guard.js')).guardCommand(home)));
  program
    .command('hooks')
    .description('guard hooks for Claude Code')
    .command('export')
    .description('print the .claude/settings.json block that runs `master guard` (and the deny rules)')
    .option('--brand <brand>', 'deny rules for a session of this brand (a silo brand gets its own wall)')
    .action(lazy(async () => (await import('./commands/guard.js')).hooksExportCommand(home)));

  return program;
}

/** Runs the CLI; user errors print one message and set the exit code, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  const code = await runMain(argv);
  // `master guard` fails closed: Claude Code lets a call through on any exit code but 0 and 2.
  return code !== ExitCode.ok && argv.slice(2).find((a) => !a.startsWith('-') && !isHomeValue(argv, a)) === 'guard' ? ExitCode.badInput : code;
}

function isHomeValue(argv: string[], arg: string): boolean {
  const i = argv.indexOf(arg);
  return i > 0 && argv[i - 1] === '--home';
}

async function runMain(argv: string[]): Promise<number> {
  const version = typeof MASTER_VERSION === 'string' ? MASTER_VERSION : '0.0.0-dev';
  try {
    // `master` alone (with at most --home) opens the cockpit on a terminal; elsewhere it prints the help, as before.
    const rest = argv.slice(2);
    if (rest.length === 0 || (rest.length === 2 && rest[0] === '--home')) {
      const { canDrawCockpit, cockpitCommand } = await import('./commands/cockpit.js');
      if (canDrawCockpit()) return await cockpitCommand(() => rest[1])();
    }
    await buildProgram(version).parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.ok;
      if (error.code === 'commander.executeSubCommandAsync') return ExitCode.failed;
      // Commander printed its own message to stderr already.
      if (wantsJson(argv)) refusalJson(error.message.replace(/^error: /, ''), ExitCode.badInput);
      return ExitCode.badInput;
    }
    if (error instanceof UserError) {
      err(`master: ${error.message}`);
      if (wantsJson(argv)) refusalJson(error.message, error.exitCode);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    err(`master: internal error: ${message}`);
    if (process.env.MASTER_DEBUG && error instanceof Error && error.stack) err(error.stack);
    else err('(set MASTER_DEBUG=1 for the stack; `master doctor` checks the workspace)');
    if (wantsJson(argv)) refusalJson(`internal error: ${message}`, ExitCode.failed);
    return ExitCode.failed;
  }
}

/** Whether the command line asks for JSON output (before any `--`, which ends the options). */
function wantsJson(argv: string[]): boolean {
  const rest = argv.slice(2);
  const end = rest.indexOf('--');
  return (end === -1 ? rest : rest.slice(0, end)).includes('--json');
}

/**
 * With `--json`, a refusal is also one JSON line on stdout, so a script that
 * reads the output (NDJSON from `start --json`) sees it:
 * `{"type":"error","error":MESSAGE,"code":EXIT_CODE}`.
 */
function refusalJson(message: string, code: number): void {
  out(JSON.stringify({ type: 'error', error: message, code }));
}
