import { Box, Text } from 'ink';
import { memo } from 'react';
import type { WaitingItem } from './waiting.js';
import { keyLabel } from './keys.js';
import { LineInput } from './LineInput.js';
import { theme } from './theme.js';

/** The live interview: the first thing that waits, with its choices and how many are left. */
export const Interview = memo(function Interview({
  item,
  left,
  typing,
  compact,
}: {
  item: WaitingItem | undefined;
  left: number;
  /** The answer being typed, or null when none is. */
  typing: string | null;
  compact: boolean;
}) {
  if (!item) return null;
  const ticket = item.ticket;
  return (
    <Box flexDirection="column" borderStyle="single" borderColor={theme.warn} paddingX={1}>
      <Text wrap="truncate-end">
        <Text color={theme.warn} bold>
          {item.kind === 'question' ? `? ${item.question.id}` : `approve ${item.ticket.id}`}
        </Text>
        {ticket ? (
          <Text>
            {' '}
            [{ticket.brand}] {ticket.title}
          </Text>
        ) : null}
        <Text color={theme.muted}> ({left} waiting)</Text>
      </Text>
      {item.kind === 'question' ? <Text wrap="truncate-end">{item.question.text}</Text> : null}
      {item.kind === 'question' && typing === null
        ? (item.question.choices ?? []).slice(0, 9).map((choice, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a choice is picked by its number, so its position is its identity
            <Text key={i} wrap="truncate-end">
              <Text color={theme.key}>{i + 1}</Text> {choice}
            </Text>
          ))
        : null}
      {!compact && ticket?.body ? (
        <Text color={theme.muted} wrap="truncate-end">
          {ticket.body}
        </Text>
      ) : null}
      {!compact && ticket?.acceptance.length ? (
        <Text color={theme.muted} wrap="truncate-end">
          accept: {ticket.acceptance.join('; ')}
        </Text>
      ) : null}
      {typing !== null ? (
        <LineInput label="answer" value={typing} placeholder="type, enter sends, esc leaves" />
      ) : item.kind === 'question' ? (
        <Text>
          <Text color={theme.key}>{keyLabel('yes')}</Text> yes <Text color={theme.key}>{keyLabel('no')}</Text> no <Text color={theme.key}>{keyLabel('typeAnswer')}</Text> type an answer{' '}
          <Text color={theme.key}>{keyLabel('skip')}</Text> skip
        </Text>
      ) : (
        <Text>
          <Text color={theme.key}>{keyLabel('yes')}</Text> approve <Text color={theme.key}>{keyLabel('cancelTicket')}</Text> cancel <Text color={theme.key}>{keyLabel('skip')}</Text> skip
        </Text>
      )}
    </Box>
  );
});
