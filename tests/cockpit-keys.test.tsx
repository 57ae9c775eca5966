import { afterEach, describe, expect, it, vi } from 'vitest';
import { askOperator } from '../src/questions/index.js';
import { makeSimpleWorkspace } from './helpers/workspace.js';
import { KEYS, mountCockpit } from './helpers/cockpit.js';

type Mounted = Awaited<ReturnType<typeof mountCockpit>>;
let mounted: Mounted | null = null;
afterEach(async () => {
  await mounted?.close();
  mounted = null;
});

async function cockpitWithTickets() {
  const home = makeSimpleWorkspace();
  mounted = await mountCockpit(home);
  const { ws } = mounted;
  ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Tidy the alpha readme' });
  ws.tickets.create({ brand: 'beta', repo: 'beta-app', title: 'Fix the beta build', state: 'ready' });
  ws.tickets.create({ brand: 'beta', repo: 'beta-app', title: 'Rename the beta tool' });
  // The screen shows them before any key is pressed (keys act on what is on screen).
  await mounted.waitFor('T-3 triage');
  return mounted;
}

describe('cockpit keyboard flows', () => {
  it('approves a triage ticket from the live interview with y', async () => {
    const { ws, waitFor, press, frame } = await cockpitWithTickets();
    await waitFor('approve T-1');
    expect(frame()).toContain('Tidy the alpha readme');
    expect(frame()).toContain('(2 waiting)');
    await press('y');
    await waitFor('approve T-3');
    expect(ws.tickets.get('T-1').state).toBe('ready');
    expect(ws.tickets.get('T-1').history.at(-1)).toMatchObject({ event: 'approve', by: 'operator' });
    // s skips for now; nothing changes on the ticket.
    await press('s');
    await waitFor(/s start pass/);
    expect(ws.tickets.get('T-3').state).toBe('triage');
  });

  it('cancelling from the interview asks to confirm; n keeps the ticket', async () => {
    const { ws, waitFor, press } = await cockpitWithTickets();
    await waitFor('approve T-1');
    await press('x');
    await waitFor('cancel T-1 "Tidy the alpha readme"?');
    await press('n');
    await waitFor(/y approve/);
    expect(ws.tickets.get('T-1').state).toBe('triage');
    await press('x');
    await waitFor('cancel T-1');
    await press('y');
    await waitFor('approve T-3');
    expect(ws.tickets.get('T-1').state).toBe('cancelled');
  });

  it('? opens the help with every key and esc closes it', async () => {
    const { waitFor, press, frame } = await cockpitWithTickets();
    await waitFor('approve T-1');
    await press('?');
    await waitFor('show every key with what it does');
    expect(frame()).toContain('retry a failed or rejected ticket with a note');
    expect(frame()).not.toContain('approve T-1');
    await press(KEYS.esc);
    await waitFor('approve T-1');
    expect(frame()).not.toContain('show every key with what it does');
    await press('?');
    await waitFor('show every key');
    await press('?');
    await waitFor('approve T-1');
  });

  it('filters the triage table by brand and by text', async () => {
    const { waitFor, press, frame } = await cockpitWithTickets();
    await press('t');
    await waitFor('3 shown');
    await press('/');
    await waitFor('filter ›');
    await press(...'beta', KEYS.enter);
    await waitFor('2 shown · filter: beta');
    expect(frame()).toContain('Fix the beta build');
    expect(frame()).not.toContain('Tidy the alpha readme');
    await press('/');
    await waitFor('filter › beta');
    // The prompt keeps what was typed; clear it and filter by text and state.
    await press(...Array(4).fill('\u007F'), ...'rename triage', KEYS.enter);
    await waitFor('1 shown');
    expect(frame()).toContain('Rename the beta tool');
    await press(KEYS.esc);
    await waitFor('approve T-1');
  });

  it('a forbidden action is not offered: the key is greyed and pressing it says why, the ticket does not move', async () => {
    const { ws, waitFor, press, frame } = await cockpitWithTickets();
    await press('t', 'j');
    await waitFor(/T-2 .*ready/);
    // T-2 is ready: retry needs failed or rejected.
    await press('r');
    await waitFor('retry: the ticket is ready; retry needs failed or rejected');
    expect(ws.tickets.get('T-2').state).toBe('ready');
    expect(frame()).not.toContain('note for the next attempt');
    // space has no main action on a ready ticket: the loop moves it on.
    await press(' ');
    await waitFor('T-2 is ready: no main action');
    // b blocks a ready ticket, then unblocks it.
    await press('b');
    await waitFor('T-2 block: now blocked');
    await waitFor(/T-2 +blocked/);
    await press('b');
    await waitFor('T-2 unblock: now ready');
    // The key still shows in the footer (greyed); the system's own events are never offered.
    const footer = frame().trimEnd().split('\n').at(-1)!;
    expect(footer).toContain('r retry');
    for (const word of ['dispatch', 'submit', 'merge', 'pass', 'requeue', 'reject']) expect(footer).not.toContain(word);
  });

  it('retries a failed ticket with a note that becomes feedback', async () => {
    const { ws, waitFor, press } = await cockpitWithTickets();
    ws.tickets.transition('T-2', 'dispatch', { by: 'dispatcher' });
    ws.tickets.transition('T-2', 'fail', { by: 'dispatcher' });
    await press('t', 'j');
    await waitFor(/T-2 .*failed/);
    await press('r');
    await waitFor('note for the next attempt ›');
    await press(...'use the new flag', KEYS.enter);
    await waitFor('T-2 retry: now ready');
    expect(ws.tickets.get('T-2').feedback).toEqual(['use the new flag']);
  });

  it('creates a ticket with n and edits its title with e', async () => {
    const { ws, waitFor, press } = await cockpitWithTickets();
    await press('t', 'n');
    await waitFor('new ticket in which repo?');
    await press(KEYS.down, KEYS.enter);
    await waitFor('title (beta/beta-app) ›');
    await press(...'Write the beta changelog', KEYS.enter);
    await waitFor('T-4 created in triage');
    expect(ws.tickets.get('T-4')).toMatchObject({ brand: 'beta', repo: 'beta-app', title: 'Write the beta changelog', state: 'triage' });
    await press('k', 'k', 'k');
    await press('j', 'j', 'j');
    await waitFor(/T-4 .*triage/);
    await press('e');
    await waitFor('edit T-4: which field?');
    await press(KEYS.enter);
    await waitFor('title ›');
    await press(...' v2', KEYS.enter);
    await waitFor('T-4 edited');
    expect(ws.tickets.get('T-4').title).toBe('Write the beta changelog v2');
  });

  it('enter shows a ticket with its history; esc goes back to the table', async () => {
    const { waitFor, press } = await cockpitWithTickets();
    await press('t', KEYS.enter);
    await waitFor('history');
    await waitFor(/T-1 triage p2 \[alpha\/alpha-app\]/);
    await press(KEYS.esc);
    await waitFor('3 shown');
  });

  it('q with no agent running quits at once; a change from another process appears meanwhile', async () => {
    const { ws, waitFor, press, quitted } = await cockpitWithTickets();
    await waitFor('approve T-1');
    await press('q');
    await expect.poll(quitted, { timeout: 10_000, interval: 10 }).toBe(true);
    expect(ws.tickets.get('T-1').state).toBe('triage');
  });
  it('a question with choices shows them numbered; a digit answers with that choice', async () => {
    const { ws, waitFor, press, frame } = await cockpitWithTickets();
    const asked = askOperator(ws, { kind: 'agent', text: 'Which parser should the fix use?', askedBy: 'test', choices: ['the new streaming parser', 'the old one'] });
    await waitFor(`? ${asked.id}`);
    expect(frame()).toMatch(/1 the new streaming parser/);
    expect(frame()).toMatch(/2 the old one/);
    expect(frame()).toContain('1-9 choose 1-2');
    // A digit past the choices says so and answers nothing; the panes are not what 1-9 reach here.
    await press('5');
    await waitFor('5: there are 2 choices');
    expect(ws.store.state.questions[asked.id]!.answer).toBeUndefined();
    await press('2');
    await waitFor(`${asked.id} answered`);
    expect(ws.store.state.questions[asked.id]!.answer).toBe('the old one');
    await waitFor('approve T-1');
  });

  it('a destructive answer asks to confirm first: n sends nothing, y sends it', async () => {
    const { ws, waitFor, press } = await cockpitWithTickets();
    const asked = askOperator(ws, { kind: 'agent', text: 'The repo has no tests; what now?', askedBy: 'test', choices: ['write tests first', 'cancel the ticket'] });
    await waitFor(`? ${asked.id}`);
    await press('2');
    await waitFor(`answer ${asked.id} "cancel the ticket"? it cannot be undone`);
    await press('n');
    await waitFor(/1-9 choose/);
    expect(ws.store.state.questions[asked.id]!.answer).toBeUndefined();
    // A typed answer that cancels asks too.
    await press('a', ...'cancel it', KEYS.enter);
    await waitFor(`answer ${asked.id} "cancel it"?`);
    await press('y');
    await waitFor(`${asked.id} answered`);
    expect(ws.store.state.questions[asked.id]!.answer).toBe('cancel it');
  });

  it('p moves focus over the header phases and shows a skipped one with its reason; esc leaves', async () => {
    const home = makeSimpleWorkspace();
    mounted = await mountCockpit(home);
    const { ws, waitFor, press, frame } = mounted;
    ws.store.commit(() => ({ events: [{ type: 'phase.skip', session: 'S-1', phase: 'distill', reason: 'nothing merged since the last distill' }], result: undefined }));
    await waitFor(/– distill/);
    expect(frame()).toContain('p phases');
    await press('p');
    await waitFor('scout: waiting');
    await press('p');
    await waitFor('distill: nothing merged since the last distill');
    expect(frame()).not.toContain('scout: waiting');
    expect(frame()).toContain('esc leave phases');
    await press(KEYS.esc);
    await vi.waitFor(() => expect(frame()).not.toContain('distill: nothing merged'), { timeout: 5_000, interval: 10 });
    await press('?');
    await waitFor('move focus over the phases');
    expect(frame()).toContain('answer with that numbered choice');
  });
});
