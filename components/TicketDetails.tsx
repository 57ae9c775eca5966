import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import type { Ticket } from '../src/state/types.js';
import { stateColor, theme } from './theme.js';

/** One ticket: what it asks, its history, runs and gate evidence (each check's output tail). */
export function TicketDetails({ ticket, height }: { ticket: Ticket; height: number }) {
  const lines: Array<{ key: string; node: ReactElement }> = [];
  const add = (key: string, node: ReactElement) => lines.push({ key, node });
  add('title', (
    <Text>
      <Text bold>{ticket.id}</Text> <Text color={stateColor[ticket.state]}>{ticket.state}</Text> {ticket.priority} [{ticket.brand}/{ticket.repo}] {ticket.title}
    </Text>
  ));
  if (ticket.body) add('body', <Text wrap="truncate-end">{ticket.body}</Text>);
  for (const [i, a] of ticket.acceptance.entries()) add(`acc${i}`, <Text color={theme.muted} wrap="truncate-end">✓ {a}</Text>);
  add('h', <Text color={theme.muted}>history</Text>);
  for (const [i, h] of ticket.history.entries())
    add(`h${i}`, <Text wrap="truncate-end">  {h.at.slice(11, 19)} {h.from} → {h.to} ({h.event} by {h.by}){h.note ? `: ${h.note}` : ''}</Text>);
  if (ticket.runs.length) add('r', <Text color={theme.muted}>runs</Text>);
  for (const run of ticket.runs) add(`r${run.id}`, <Text wrap="truncate-end">  {run.id} {run.outcome ?? 'running'} {run.reason ?? ''}</Text>);
  if (ticket.gate) {
    add('g', <Text color={theme.muted}>gate evidence: candidate {ticket.gate.candidateSha.slice(0, 10)} verifier {ticket.gate.verdict.verdict} doctor {ticket.gate.doctor.grade}</Text>);
    for (const check of ticket.gate.checks) {
      add(`c${check.name}`, <Text color={check.exitCode === 0 ? theme.ok : theme.bad}>  {check.name} exit {String(check.exitCode)} {(check.durationMs / 1000).toFixed(1)}s</Text>);
      const tail = check.outputTail.trim().split('\n').slice(-3);
      for (const [i, line] of tail.entries()) add(`c${check.name}${i}`, <Text color={theme.muted} wrap="truncate-end">    {line}</Text>);
    }
  }
  return (
    <Box flexDirection="column">
      {lines.slice(0, Math.max(1, height)).map((l) => (
        <Box key={l.key}>{l.node}</Box>
      ))}
    </Box>
  );
}
