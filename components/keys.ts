import type { Key } from 'ink';

/**
 * Every key binding of the cockpit, in one table (as gemini-cli and lazygit
 * keep theirs): components ask "is this command?", never compare keys, and
 * the footer and the help screen are drawn from this table.
 */
export const COMMANDS = {
  help: { keys: ['?'], label: 'help', help: 'show every key with what it does' },
  quit: { keys: ['q'], label: 'quit', help: 'quit (asks first when agents run: they go back to ready)' },
  forceQuit: { keys: ['ctrl+c'], label: 'stop', help: 'stop now: running tickets back to ready, lock released' },
  triage: { keys: ['t'], label: 'triage', help: 'the ticket table' },
  nextPane: { keys: ['tab'], label: 'next pane', help: 'move focus to the next brand pane' },
  pane: { keys: ['1-9'], label: 'pane', help: 'focus brand pane 1 to 9' },
  transcript: { keys: ['enter'], label: 'transcript', help: "open the focused pane's live transcript" },
  pass: { keys: ['s'], label: 'start pass', help: 'start another pass of the loop (the cadence decides what runs)' },
  back: { keys: ['esc'], label: 'back', help: 'go back' },
  phases: { keys: ['p'], label: 'phases', help: 'move focus over the phases: the focused one shows its state and why it was skipped (esc leaves)' },
  // The interview prompt.
  yes: { keys: ['y'], label: 'yes', help: 'approve the ticket / answer yes' },
  no: { keys: ['n'], label: 'no', help: 'answer no' },
  cancelTicket: { keys: ['x'], label: 'cancel ticket', help: 'cancel (asks to confirm)' },
  typeAnswer: { keys: ['a'], label: 'type answer', help: 'type a free-text answer (enter sends, esc leaves)' },
  choose: { keys: ['1-9'], label: 'choose', help: 'answer with that numbered choice (a destructive one asks to confirm)' },
  skip: { keys: ['s'], label: 'skip', help: 'leave it for later, show the next one' },
  // The triage table.
  filter: { keys: ['/'], label: 'filter', help: 'filter by brand, state or text' },
  down: { keys: ['j', 'down'], label: 'down', help: 'move down' },
  up: { keys: ['k', 'up'], label: 'up', help: 'move up' },
  main: { keys: ['space'], label: 'main action', help: "the main action of the ticket's state (approve, unblock, retry, reopen)" },
  newTicket: { keys: ['n'], label: 'new', help: 'a new ticket' },
  edit: { keys: ['e'], label: 'edit', help: 'edit title, body, acceptance, priority' },
  cancel: { keys: ['x'], label: 'cancel', help: 'cancel the ticket (asks to confirm)' },
  retry: { keys: ['r'], label: 'retry', help: 'retry a failed or rejected ticket with a note' },
  block: { keys: ['b'], label: 'block/unblock', help: 'block a ready or running ticket, or unblock a blocked one' },
  details: { keys: ['enter'], label: 'details', help: 'history, runs and gate evidence' },
  confirmYes: { keys: ['y'], label: 'yes', help: 'confirm' },
  confirmNo: { keys: ['n', 'esc'], label: 'no', help: 'keep things as they are' },
} as const;

export type CommandId = keyof typeof COMMANDS;

/** The name of a key press in the table's terms. */
function keyName(input: string, key: Key): string[] {
  const names: string[] = [];
  if (key.ctrl && input) names.push(`ctrl+${input}`);
  if (key.escape) names.push('esc');
  if (key.return) names.push('enter');
  if (key.tab && !key.shift) names.push('tab');
  if (key.upArrow) names.push('up');
  if (key.downArrow) names.push('down');
  if (input === ' ') names.push('space');
  else if (input && !key.ctrl && !key.meta) names.push(input);
  return names;
}

/** Whether a key press is the command. */
export function isCommand(id: CommandId, input: string, key: Key): boolean {
  const names = keyName(input, key);
  return COMMANDS[id].keys.some((k) => (k === '1-9' ? names.some((n) => /^[1-9]$/.test(n)) : names.includes(k)));
}

/** What a footer or help line shows for a command. */
export function keyLabel(id: CommandId): string {
  return COMMANDS[id].keys.join('/');
}

/** A command offered now, or greyed with why it cannot act (lazygit's disabled reason). */
export interface Offer {
  id: CommandId;
  label?: string;
  disabled?: string;
}
