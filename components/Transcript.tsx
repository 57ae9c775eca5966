import { Box, Text } from 'ink';
import { memo } from 'react';
import type { TranscriptLine } from '../src/cockpit/model.js';
import { theme } from './theme.js';

const KIND_COLOR: Record<TranscriptLine['kind'], string | undefined> = {
  text: undefined,
  tool: theme.accent,
  result: theme.muted,
  guard: theme.warn,
  state: theme.ok,
  question: theme.warn,
};

const Line = memo(function Line({ line }: { line: TranscriptLine }) {
  return (
    <Text color={KIND_COLOR[line.kind]} wrap="truncate-end">
      {line.kind === 'text' ? line.text.replace(/\s+/g, ' ') : `${line.kind.padEnd(8)} ${line.text}`}
    </Text>
  );
});

/**
 * A ticket's live transcript: text, tool calls, results, guard decisions,
 * as they happen; the newest lines that fit (the screen never scrolls by itself).
 */
export function Transcript({ ticket, lines, height }: { ticket: string; lines: readonly TranscriptLine[]; height: number }) {
  const shown = lines.slice(-Math.max(1, height - 1));
  return (
    <Box flexDirection="column">
      <Text bold>
        transcript {ticket} <Text color={theme.muted}>({lines.length} lines)</Text>
      </Text>
      {shown.length === 0 ? <Text color={theme.muted}>nothing yet: it fills as the agent works</Text> : null}
      {shown.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: one transcript record can render as several lines with the same seq
        <Line key={`${line.seq}:${i}`} line={line} />
      ))}
    </Box>
  );
}
