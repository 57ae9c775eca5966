import { Box, Text } from 'ink';
import { COMMANDS, keyLabel, type CommandId } from './keys.js';
import { theme } from './theme.js';

const SECTIONS: Array<{ title: string; ids: CommandId[] }> = [
  { title: 'everywhere', ids: ['help', 'quit', 'forceQuit', 'back'] },
  { title: 'main screen', ids: ['triage', 'nextPane', 'pane', 'transcript', 'pass', 'phases'] },
  { title: 'interview', ids: ['yes', 'no', 'choose', 'typeAnswer', 'cancelTicket', 'skip'] },
  { title: 'triage table', ids: ['filter', 'down', 'up', 'main', 'newTicket', 'edit', 'cancel', 'retry', 'block', 'details'] },
];

/** Every key with what it does (drawn from the key table). */
export function Help() {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.accent} paddingX={1}>
      <Text bold>keys</Text>
      {SECTIONS.map((section) => (
        <Box key={section.title} flexDirection="column">
          <Text color={theme.muted}>{section.title}</Text>
          {section.ids.map((id) => (
            <Text key={id} wrap="truncate-end">
              <Text color={theme.key}>{keyLabel(id).padEnd(10)}</Text> {COMMANDS[id].help}
            </Text>
          ))}
        </Box>
      ))}
      <Text color={theme.muted}>esc or ? closes this</Text>
    </Box>
  );
}
