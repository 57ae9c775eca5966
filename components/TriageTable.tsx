import { Box, Text } from 'ink';
import { memo } from 'react';
import type { Ticket } from '../src/state/types.js';
import { stateColor, theme } from './theme.js';

const Row = memo(function Row({ ticket, selected }: { ticket: Ticket; selected: boolean }) {
  return (
    <Text wrap="truncate-end" inverse={selected}>
      {ticket.id.padEnd(6)} <Text color={stateColor[ticket.state]}>{ticket.state.padEnd(9)}</Text> {ticket.priority} {ticket.brand.padEnd(14).slice(0, 14)} {ticket.title}
    </Text>
  );
});

/** The ticket table: filtered rows around the cursor, as many as fit. */
export function TriageTable({ tickets, cursor, filter, filtering, height }: { tickets: readonly Ticket[]; cursor: number; filter: string; filtering: boolean; height: number }) {
  const visible = Math.max(1, height);
  const start = Math.min(Math.max(0, cursor - Math.floor(visible / 2)), Math.max(0, tickets.length - visible));
  const shown = tickets.slice(start, start + visible);
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>tickets</Text>
        <Text color={theme.muted}>
          {' '}
          {tickets.length} shown{filter ? ` · filter: ${filter}` : ''}
          {filtering ? '' : ''}
        </Text>
      </Text>
      {shown.length === 0 ? <Text color={theme.muted}>no ticket matches</Text> : null}
      {shown.map((ticket, i) => (
        <Row key={ticket.id} ticket={ticket} selected={start + i === cursor} />
      ))}
    </Box>
  );
}
