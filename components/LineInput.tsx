import { Box, Text } from 'ink';
import { theme } from './theme.js';

/**
 * A labelled one-line input, drawn from the prompt's value. The keys reach it
 * through the screen's one key handler (never a late-attached listener), so
 * nothing typed right after the prompt opens is lost.
 */
export function LineInput({ label, value, placeholder }: { label: string; value: string; placeholder?: string }) {
  return (
    <Text>
      <Text color={theme.key}>{label} › </Text>
      {value ? <Text>{value}</Text> : <Text color={theme.muted}>{placeholder ?? ''}</Text>}
      <Text inverse> </Text>
    </Text>
  );
}

/** A short list to pick from with j/k or the arrows and enter. */
export function PickList({ label, options, choice }: { label: string; options: readonly string[]; choice: number }) {
  const start = Math.max(0, Math.min(choice - 2, options.length - 5));
  return (
    <Box flexDirection="column">
      <Text color={theme.key}>{label}</Text>
      {options.slice(start, start + 5).map((option, i) => (
        <Text key={option} inverse={start + i === choice}>
          {start + i === choice ? '❯ ' : '  '}
          {option}
        </Text>
      ))}
    </Box>
  );
}
