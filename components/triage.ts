import { TICKET_STATES, type Ticket } from '../src/state/types.js';

/**
 * Filters by words: `brand:x` or `state:y` (or a bare brand id or state
 * name), anything else must appear in the id or title.
 */
export function filterTickets(tickets: readonly Ticket[], filter: string): Ticket[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const brands = new Set(tickets.map((t) => t.brand.toLowerCase()));
  return tickets.filter((ticket) =>
    words.every((word) => {
      const [key, value] = word.includes(':') ? (word.split(':', 2) as [string, string]) : ['', word];
      if (key === 'brand') return ticket.brand.toLowerCase() === value;
      if (key === 'state') return ticket.state === value;
      if (!key && (TICKET_STATES as readonly string[]).includes(value)) return ticket.state === value;
      if (!key && brands.has(value)) return ticket.brand.toLowerCase() === value;
      return `${ticket.id} ${ticket.title}`.toLowerCase().includes(value);
    }),
  );
}
