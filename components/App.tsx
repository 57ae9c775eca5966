import { Box, Text, useInput, type Key } from 'ink';
import { useCallback, useEffect, useMemo, useRef, useState, type ReactElement } from 'react';
import type { CockpitSnapshot } from '../src/cockpit/model.js';
import { mainAction, operatorActions } from '../src/tickets/actions.js';
import { isDestructive } from '../src/questions/index.js';
import { PRIORITIES, type Ticket, type TicketEventName } from '../src/state/types.js';
import { BrandPanes, PANE_HEIGHT } from './BrandPanes.js';
import { Footer } from './Footer.js';
import { GateBar } from './GateBar.js';
import { budgetLines, Header } from './Header.js';
import { Help } from './Help.js';
import { Interview } from './Interview.js';
import { LineInput, PickList } from './LineInput.js';
import { waitingItems } from './waiting.js';
import { isCommand, type CommandId, type Offer } from './keys.js';
import { TicketDetails } from './TicketDetails.js';
import { Transcript } from './Transcript.js';
import { filterTickets } from './triage.js';
import { TriageTable } from './TriageTable.js';
import { theme } from './theme.js';
import { initialUi, uiReducer, type Prompt, type UiAction, type UiState } from './uiState.js';
import { useCockpitActions, useCockpitState } from './use/cockpit.js';
import { useTerminalSize, type TerminalSize } from './use/terminalSize.js';

export interface AppProps {
  /** Called once the operator quits (after the loop stopped); the runner unmounts and restores the terminal. */
  onQuit: () => void;
  /** A fixed size (tests, the benchmark); else the terminal's, following resizes. */
  size?: TerminalSize;
}

/** The cockpit: header, brand panes, the live interview, the merge gate, the footer; overlays for triage, transcripts, help. */
export function App({ onQuit, size: fixedSize }: AppProps) {
  const controller = useCockpitActions();
  const snapshot = useCockpitState();
  const terminal = useTerminalSize();
  const size = fixedSize ?? terminal;
  // Keys can arrive faster than React renders (a quick typist, a paste, tmux send-keys): the key
  // handler reads the latest state from this ref, which the reducer updates at once.
  const uiRef = useRef<UiState>(initialUi);
  const [ui, setUi] = useState<UiState>(initialUi);
  const dispatch = useCallback((action: UiAction) => {
    const next = uiReducer(uiRef.current, action);
    if (next === uiRef.current) return;
    uiRef.current = next;
    setUi(next);
  }, []);
  const [now, setNow] = useState(() => Date.now());
  const [stopping, setStopping] = useState(false);

  useEffect(() => {
    if (!snapshot.passRunning) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [snapshot.passRunning]);

  const { items, item, triageRows, cursorTicket, paneTicket } = useMemo(() => derive(snapshot, ui), [snapshot, ui]);
  const repoChoices = useMemo(() => controller.ws.registry.brands.flatMap((b) => b.repos.map((r) => `${b.id}/${r.id}`)), [controller]);

  const say = (message: string) => dispatch({ type: 'message', message });
  const act = (id: string, event: TicketEventName, note?: string) => {
    void controller.act(id, event, note).then((r) => say(r.message));
  };
  const quit = (ask: boolean) => {
    if (stopping) return;
    if (ask && controller.runningTickets().length > 0) {
      dispatch({ type: 'confirm', confirm: { kind: 'quit', text: `${controller.runningTickets().length} agent(s) running: stop them (back to ready) and quit?` } });
      return;
    }
    setStopping(true);
    say(controller.runningTickets().length ? 'stopping: running tickets go back to ready…' : 'quitting…');
    void controller.quit().then(onQuit);
  };
  /** A ticket action the machine refuses is not sent; its reason is shown. */
  const tryAction = (ticket: Ticket | undefined, event: TicketEventName | null, then?: () => void) => {
    if (!ticket) return say('no ticket selected');
    if (!event) return say(`${ticket.id} is ${ticket.state}: no main action (the loop moves it on)`);
    const action = operatorActions(ticket).find((a) => a.event === event);
    if (!action?.allowed) return say(`${event}: ${action?.reason ?? 'not allowed'}`);
    if (then) then();
    else act(ticket.id, event);
  };

  /** Sends an answer; one that gives something up (cancel, delete…) asks to confirm first. */
  const answer = (questionId: string, text: string) => {
    if (isDestructive(text)) {
      return dispatch({ type: 'confirm', confirm: { kind: 'answer', target: questionId, answer: text, text: `answer ${questionId} "${text}"? it cannot be undone` } });
    }
    void controller.answer(questionId, text).then((r) => say(r.message));
  };

  const typing = ui.prompt !== null;

  useInput(
    (input: string, key: Key) => {
      const is = (id: CommandId) => isCommand(id, input, key);
      const ui = uiRef.current;
      if (ui.prompt) return promptKey(ui.prompt, input, key);
      const snapshot = controller.model.getSnapshot();
      const { item, triageRows, cursorTicket, paneTicket } = derive(snapshot, ui);
      if (is('forceQuit')) return quit(false);
      if (ui.confirm) {
        if (is('confirmYes')) {
          const confirm = ui.confirm;
          dispatch({ type: 'confirm', confirm: null });
          if (confirm.kind === 'quit') {
            setStopping(true);
            say('stopping: running tickets go back to ready…');
            void controller.quit().then(onQuit);
          } else if (confirm.kind === 'answer') void controller.answer(confirm.target, confirm.answer).then((r) => say(r.message));
          else act(confirm.target, 'cancel', 'cancelled in the cockpit');
        } else if (is('confirmNo')) dispatch({ type: 'confirm', confirm: null });
        return;
      }
      if (is('help')) return dispatch({ type: 'view', view: ui.view === 'help' ? ui.back : 'help' });
      if (ui.view === 'help') {
        if (is('back')) dispatch({ type: 'view', view: ui.back });
        else if (is('quit')) quit(true);
        return;
      }
      if (ui.view === 'transcript' || ui.view === 'details') {
        if (is('back')) dispatch({ type: 'view', view: ui.view === 'details' ? 'triage' : 'main' });
        else if (is('quit')) quit(true);
        return;
      }
      if (ui.view === 'triage') {
        if (is('back')) return dispatch({ type: 'view', view: 'main' });
        if (is('quit')) return quit(true);
        if (is('filter')) return dispatch({ type: 'prompt', prompt: { purpose: 'filter', label: 'filter', value: ui.filter } });
        if (is('down')) return dispatch({ type: 'cursor', cursor: Math.min(ui.cursor + 1, Math.max(0, triageRows.length - 1)) });
        if (is('up')) return dispatch({ type: 'cursor', cursor: Math.max(0, ui.cursor - 1) });
        if (is('main')) return tryAction(cursorTicket, cursorTicket ? mainAction(cursorTicket) : null);
        if (is('newTicket'))
          return dispatch({ type: 'prompt', prompt: { purpose: 'new-repo', label: 'new ticket in which repo? (enter picks, esc leaves)', value: '', options: repoChoices, choice: 0 } });
        if (is('edit') && cursorTicket)
          return dispatch({
            type: 'prompt',
            prompt: {
              purpose: 'edit-field',
              label: `edit ${cursorTicket.id}: which field? (esc leaves)`,
              target: cursorTicket.id,
              value: '',
              options: ['title', 'body', 'acceptance', 'priority'],
              choice: 0,
            },
          });
        if (is('cancel')) {
          return tryAction(cursorTicket, 'cancel', () =>
            dispatch({ type: 'confirm', confirm: { kind: 'cancel', target: cursorTicket!.id, text: `cancel ${cursorTicket!.id} "${cursorTicket!.title}"?` } }),
          );
        }
        if (is('retry')) {
          return tryAction(cursorTicket, 'retry', () => dispatch({ type: 'prompt', prompt: { purpose: 'retry', label: 'note for the next attempt', target: cursorTicket!.id, value: '' } }));
        }
        if (is('block')) return tryAction(cursorTicket, cursorTicket?.state === 'blocked' ? 'unblock' : 'block');
        if (is('details') && cursorTicket) return dispatch({ type: 'view', view: 'details', ticket: cursorTicket.id });
        return;
      }
      // The main screen: the interview prompt's keys first, then the screen's own.
      if (item) {
        if (item.kind === 'approval') {
          if (is('yes')) return act(item.ticket.id, 'approve');
          if (is('cancelTicket')) {
            return dispatch({ type: 'confirm', confirm: { kind: 'cancel', target: item.ticket.id, text: `cancel ${item.ticket.id} "${item.ticket.title}"?` } });
          }
        } else {
          const choices = item.question.choices ?? [];
          if (choices.length > 0 && is('choose')) {
            const picked = choices[Number(input) - 1];
            return picked === undefined ? say(`${input}: there are ${choices.length} choices`) : answer(item.question.id, picked);
          }
          if (is('yes')) return answer(item.question.id, 'yes');
          if (is('no')) return answer(item.question.id, 'no');
          if (is('typeAnswer')) return dispatch({ type: 'prompt', prompt: { purpose: 'answer', label: 'answer', target: item.question.id, value: '' } });
        }
        if (is('skip')) return dispatch({ type: 'skip', key: item.key });
      }
      if (is('quit')) return quit(true);
      if (is('phases')) return dispatch({ type: 'phase', phase: ui.phase === null ? 0 : (ui.phase + 1) % snapshot.phases.length });
      if (is('back') && ui.phase !== null) return dispatch({ type: 'phase', phase: null });
      if (is('triage')) return dispatch({ type: 'view', view: 'triage' });
      if (is('nextPane')) return dispatch({ type: 'focus', focus: (ui.focus + 1) % Math.max(1, snapshot.brands.length) });
      if (is('pane')) {
        const n = Number(input) - 1;
        if (n < snapshot.brands.length) dispatch({ type: 'focus', focus: n });
        return;
      }
      if (is('transcript')) {
        if (paneTicket) dispatch({ type: 'view', view: 'transcript', ticket: paneTicket });
        else say('no ticket in this pane yet');
        return;
      }
      if (is('pass')) {
        if (!controller.startPass()) say('a pass is already running');
      }
    },
    { isActive: !stopping },
  );
  /** While a prompt is open every key is text (or moves the pick list) until enter or esc. */
  function promptKey(prompt: Prompt, input: string, key: Key) {
    if (key.escape) return dispatch({ type: 'prompt', prompt: null });
    if (prompt.options) {
      const choice = prompt.choice ?? 0;
      if (key.return) return submitPrompt(prompt, prompt.options[choice] ?? '');
      if (key.downArrow || input === 'j') return dispatch({ type: 'choose', choice: Math.min(choice + 1, prompt.options.length - 1) });
      if (key.upArrow || input === 'k') return dispatch({ type: 'choose', choice: Math.max(0, choice - 1) });
      return;
    }
    if (key.return) return submitPrompt(prompt, prompt.value);
    if (key.backspace || key.delete) return dispatch({ type: 'type', value: prompt.value.slice(0, -1) });
    if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || !input) return;
    dispatch({ type: 'type', value: prompt.value + input.replace(/[\r\n]+/g, ' ') });
  }

  const submitPrompt = (prompt: Prompt, value: string) => {
    dispatch({ type: 'prompt', prompt: null });
    const text = value.trim();
    switch (prompt.purpose) {
      case 'filter':
        return dispatch({ type: 'filter', filter: text });
      case 'answer':
        if (!text) return say('an empty answer was not sent');
        return answer(prompt.target!, text);
      case 'retry':
        return act(prompt.target!, 'retry', text || undefined);
      case 'new-repo':
        return dispatch({ type: 'prompt', prompt: { purpose: 'new-title', label: `title (${value})`, target: value, value: '' } });
      case 'new-title': {
        if (!text) return say('a ticket needs a title; nothing was created');
        const [brand, repo] = prompt.target!.split('/') as [string, string];
        return void controller.create({ brand, repo, title: text }).then((r) => say(r.message));
      }
      case 'edit-field': {
        const ticket = snapshot.tickets.find((t) => t.id === prompt.target);
        if (!ticket) return;
        const initial = value === 'acceptance' ? ticket.acceptance.join('; ') : value === 'title' ? ticket.title : value === 'body' ? ticket.body : ticket.priority;
        return dispatch({ type: 'prompt', prompt: { purpose: `edit-${value}` as Prompt['purpose'], label: value, target: ticket.id, value: initial } });
      }
      case 'edit-title':
      case 'edit-body':
      case 'edit-acceptance':
      case 'edit-priority': {
        const field = prompt.purpose.slice(5);
        if (field === 'title' && !text) return say('a title cannot be empty; nothing changed');
        if (field === 'priority' && !(PRIORITIES as readonly string[]).includes(text)) return say(`priority is one of ${PRIORITIES.join(', ')}; nothing changed`);
        const patch =
          field === 'acceptance'
            ? {
                acceptance: text
                  .split(';')
                  .map((a) => a.trim())
                  .filter(Boolean),
              }
            : field === 'priority'
              ? { priority: text as (typeof PRIORITIES)[number] }
              : { [field]: text };
        return void controller.edit(prompt.target!, patch).then((r) => say(r.message));
      }
    }
  };

  // Layout: what fits the terminal's height (the live region never runs past it, so the screen never
  // scrolls by itself); the panes become a list when the grid does not leave room for the rest.
  const headerLines = 3 + budgetLines(snapshot.budgetHolds).length;
  const footerLines = 3;
  const choiceLines = item?.kind === 'question' ? Math.min(item.question.choices?.length ?? 0, 9) : 0;
  const interviewLines = item ? (size.rows < 30 ? 5 : 7) + choiceLines : 0;
  const perRow = Math.max(1, Math.min(snapshot.brands.length, Math.floor(size.columns / 38)));
  const gridHeight = Math.ceil(snapshot.brands.length / perRow) * PANE_HEIGHT;
  const room = size.rows - headerLines - footerLines - interviewLines - 1;
  const compact = room - gridHeight < Math.min(snapshot.gate.length, 2);
  const gateLines = Math.max(1, Math.min(snapshot.gate.length, room - (compact ? snapshot.brands.length : gridHeight)));
  const bodyHeight = Math.max(3, size.rows - headerLines - 3);
  const offers = offersFor(ui.view, { item, passRunning: snapshot.passRunning, paneTicket, cursorTicket, confirm: ui.confirm !== null, typing, phaseFocused: ui.phase !== null });
  const message = stopping ? (ui.message ?? 'stopping…') : (ui.message ?? snapshot.notices.at(-1) ?? null);

  let body: ReactElement;
  if (ui.view === 'help') body = <Help />;
  else if (ui.view === 'triage') body = <TriageTable tickets={triageRows} cursor={ui.cursor} filter={ui.filter} filtering={ui.prompt?.purpose === 'filter'} height={bodyHeight - 2} />;
  else if (ui.view === 'details') {
    const ticket = snapshot.tickets.find((t) => t.id === ui.ticket);
    body = ticket ? <TicketDetails ticket={ticket} height={bodyHeight} questions={snapshot.questions} /> : <Text color={theme.muted}>{ui.ticket} is no longer in the hot state</Text>;
  } else if (ui.view === 'transcript') body = <Transcript ticket={ui.ticket ?? ''} lines={snapshot.transcripts[ui.ticket ?? ''] ?? []} height={bodyHeight} />;
  else
    body = (
      <Box flexDirection="column">
        <BrandPanes brands={snapshot.brands} focus={ui.focus} columns={size.columns} compact={compact} now={now} />
        <Interview item={item} left={items.length} typing={ui.prompt?.purpose === 'answer' ? ui.prompt.value : null} compact={size.rows < 30} />
        <GateBar rows={snapshot.gate} max={gateLines} />
      </Box>
    );

  return (
    <Box flexDirection="column" width={size.columns} height={size.rows} overflow="hidden">
      <Header snapshot={snapshot} focusedPhase={ui.phase === null ? null : (snapshot.phases[ui.phase]?.name ?? null)} />
      <Box flexDirection="column" flexGrow={1} overflow="hidden">
        {body}
      </Box>
      {ui.confirm ? (
        <Text color={theme.warn}>
          {ui.confirm.text} <Text color={theme.key}>y</Text>/<Text color={theme.key}>n</Text>
        </Text>
      ) : null}
      {ui.prompt && ui.prompt.purpose !== 'answer' ? (
        ui.prompt.options ? (
          <PickList label={ui.prompt.label} options={ui.prompt.options} choice={ui.prompt.choice ?? 0} />
        ) : (
          <LineInput label={ui.prompt.label} value={ui.prompt.value} placeholder="enter sends, esc leaves" />
        )
      ) : null}
      <Footer offers={offers} message={message} />
    </Box>
  );
}

/** What the screen and the keys work on, from the snapshot and where the operator is. */
function derive(snapshot: CockpitSnapshot, ui: UiState) {
  const items = waitingItems(snapshot, ui.skipped);
  const triageRows = filterTickets(snapshot.tickets, ui.filter);
  const cursorTicket: Ticket | undefined = triageRows[Math.min(ui.cursor, triageRows.length - 1)];
  const focusedBrand = snapshot.brands[Math.min(ui.focus, snapshot.brands.length - 1)];
  const paneTicket = focusedBrand?.running[0]?.ticket ?? focusedBrand?.latest[0]?.id;
  return { items, item: items[0], triageRows, cursorTicket, paneTicket };
}

/** The keys that work in this view now, with a reason for those that cannot act. */
function offersFor(
  view: string,
  ctx: {
    item: ReturnType<typeof waitingItems>[number] | undefined;
    passRunning: boolean;
    paneTicket: string | undefined;
    cursorTicket: Ticket | undefined;
    confirm: boolean;
    typing: boolean;
    phaseFocused: boolean;
  },
): Offer[] {
  if (ctx.confirm) return [{ id: 'confirmYes' }, { id: 'confirmNo' }];
  if (ctx.typing) return [{ id: 'back', label: 'leave the prompt' }];
  if (view === 'help') return [{ id: 'back' }, { id: 'quit' }];
  if (view === 'transcript' || view === 'details') return [{ id: 'back' }, { id: 'help' }, { id: 'quit' }];
  if (view === 'triage') {
    const t = ctx.cursorTicket;
    const actions = t ? operatorActions(t) : [];
    const why = (event: TicketEventName | null): string | undefined => {
      if (!t) return 'no ticket selected';
      if (!event) return `${t.state}: the loop moves it on`;
      const a = actions.find((x) => x.event === event);
      return a?.allowed ? undefined : (a?.reason ?? 'not allowed');
    };
    const main = t ? mainAction(t) : null;
    const blockEvent: TicketEventName = t?.state === 'blocked' ? 'unblock' : 'block';
    return [
      { id: 'filter' },
      { id: 'down', label: 'move' },
      { id: 'main', label: main ?? 'main action', ...(why(main) ? { disabled: why(main)! } : {}) },
      { id: 'newTicket' },
      { id: 'edit', ...(t ? {} : { disabled: 'no ticket selected' }) },
      { id: 'cancel', ...(why('cancel') ? { disabled: why('cancel')! } : {}) },
      { id: 'retry', ...(why('retry') ? { disabled: why('retry')! } : {}) },
      { id: 'block', label: blockEvent, ...(why(blockEvent) ? { disabled: why(blockEvent)! } : {}) },
      { id: 'details' },
      { id: 'back' },
      { id: 'help' },
    ];
  }
  const offers: Offer[] = [];
  if (ctx.item?.kind === 'approval') offers.push({ id: 'yes', label: 'approve' }, { id: 'cancelTicket' }, { id: 'skip' });
  else if (ctx.item) {
    const choices = ctx.item.question.choices?.length ?? 0;
    if (choices > 0) offers.push({ id: 'choose', label: `choose 1-${Math.min(choices, 9)}` });
    offers.push({ id: 'yes' }, { id: 'no' }, { id: 'typeAnswer' }, { id: 'skip' });
  }
  offers.push({ id: 'triage' }, { id: 'nextPane' });
  offers.push({ id: 'transcript', ...(ctx.paneTicket ? {} : { disabled: 'no ticket in this pane yet' }) });
  if (!ctx.item) offers.push({ id: 'pass', ...(ctx.passRunning ? { disabled: 'a pass is running' } : {}) });
  offers.push({ id: 'phases' });
  if (ctx.phaseFocused) offers.push({ id: 'back', label: 'leave phases' });
  offers.push({ id: 'help' }, { id: 'quit' });
  return offers;
}
