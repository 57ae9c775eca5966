import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import type { CheckEvidence, Question, Ticket } from '../src/state/types.js';
import { gateStepLines, whyWaiting } from '../src/tickets/format.js';
import { stateColor, theme } from './theme.js';

/** One ticket: why it waits, what it asks, its history, runs and gate evidence (each check's output tail). */
export function TicketDetails({ ticket, height, questions = [] }: { ticket: Ticket; height: number; questions?: readonly Question[] }) {
  const lines: Array<{ key: string; node: ReactElement }> = [];
  const add = (key: string, node: ReactElement) => lines.push({ key, node });
  add(
    'title',
    <Text>
      <Text bold>{ticket.id}</Text> <Text color={stateColor[ticket.state]}>{ticket.state}</Text> {ticket.priority} [{ticket.brand}/{ticket.repo}] {ticket.title}
    </Text>,
  );
  const why = whyWaiting(ticket, questions);
  // Right under the title: the first thing the operator needs is why the ticket is not moving.
  if (why)
    add(
      'why',
      <Text color={theme.bad} wrap="wrap">
        waiting: {why}
      </Text>,
    );
  if (ticket.body) add('body', <Text wrap="truncate-end">{ticket.body}</Text>);
  for (const [i, a] of ticket.acceptance.entries())
    add(
      `acc${i}`,
      <Text color={theme.muted} wrap="truncate-end">
        ✓ {a}
      </Text>,
    );
  add('h', <Text color={theme.muted}>history</Text>);
  for (const [i, h] of ticket.history.entries())
    add(
      `h${i}`,
      <Text wrap="truncate-end">
        {' '}
        {h.at.slice(11, 19)} {h.from} → {h.to} ({h.event} by {h.by}){h.note ? `: ${h.note}` : ''}
      </Text>,
    );
  if (ticket.runs.length) add('r', <Text color={theme.muted}>runs</Text>);
  for (const run of ticket.runs)
    add(
      `r${run.id}`,
      <Text wrap="truncate-end">
        {' '}
        {run.id} {run.outcome ?? 'running'} {run.reason ?? ''}
      </Text>,
    );
  const checkLines = (checks: readonly CheckEvidence[], key: string) => {
    for (const check of checks) {
      const result = check.timedOut ? 'timed out' : `exit ${String(check.exitCode ?? 'none')}`;
      add(
        `${key}${check.name}`,
        <Text color={check.exitCode === 0 && !check.timedOut ? theme.ok : theme.bad}>
          {' '}
          {check.name} {result} {(check.durationMs / 1000).toFixed(1)}s
        </Text>,
      );
      const tail = check.outputTail.trim().split('\n').slice(-3);
      for (const [i, line] of tail.entries())
        add(
          `${key}${check.name}${i}`,
          <Text color={theme.muted} wrap="truncate-end">
            {' '}
            {line}
          </Text>,
        );
    }
  };
  if (ticket.hold?.checks?.length && ticket.state === 'review') {
    add('hc', <Text color={theme.muted}>gate checks (the gate stopped after them)</Text>);
    checkLines(ticket.hold.checks, 'hc');
  }
  if (ticket.gate) {
    const steps = gateStepLines(ticket.gate);
    add('g', <Text color={theme.muted}>gate evidence: candidate {ticket.gate.candidateSha.slice(0, 10)}</Text>);
    checkLines(ticket.gate.checks, 'c');
    add('gv', <Text wrap="truncate-end"> verifier: {steps.verifier}</Text>);
    add('gd', <Text wrap="truncate-end"> doctor: {steps.doctor}</Text>);
  }
  return (
    <Box flexDirection="column">
      {lines.slice(0, Math.max(1, height)).map((l) => (
        <Box key={l.key}>{l.node}</Box>
      ))}
    </Box>
  );
}
