import { Box, Text } from 'ink';
import { memo } from 'react';
import { COMMANDS, keyLabel, type Offer } from './keys.js';
import { theme } from './theme.js';

/** The keys that work right now; a key that cannot act is greyed with why. */
export const Footer = memo(function Footer({ offers, message }: { offers: readonly Offer[]; message: string | null }) {
  return (
    <Box flexDirection="column">
      {message ? (
        <Text color={theme.warn} wrap="truncate-end">
          {message}
        </Text>
      ) : null}
      <Text wrap="wrap">
        {offers.map((offer) => (
          <Text key={offer.id} color={offer.disabled ? theme.muted : undefined} strikethrough={Boolean(offer.disabled)}>
            <Text color={offer.disabled ? theme.muted : theme.key}>{keyLabel(offer.id)}</Text> {offer.label ?? COMMANDS[offer.id].label}
            {'  '}
          </Text>
        ))}
      </Text>
    </Box>
  );
});
