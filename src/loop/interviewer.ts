import { createInterface } from 'node:readline/promises';
import { answerQuestion } from '../questions/index.js';
import type { PhaseContext } from './phase.js';
import type { Interviewer, Waiting } from './phases/interview.js';

/**
 * The inline interview of a terminal session: one question at a time,
 * keyboard first. An empty answer leaves the item for later.
 */
export function terminalInterviewer(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Interviewer {
  return {
    async interview(waiting: Waiting, context: PhaseContext) {
      const rl = createInterface({ input, terminal: false });
      // The line iterator buffers what was typed ahead; the end of input skips the rest.
      const lines = rl[Symbol.asyncIterator]();
      const ask = async (prompt: string): Promise<string> => {
        output.write(prompt);
        const next = await lines.next();
        return next.done ? '' : String(next.value);
      };
      let answered = 0;
      let approved = 0;
      let skipped = 0;
      const total = waiting.questions.length + waiting.approvals.length;
      let index = 0;
      try {
        for (const question of waiting.questions) {
          index++;
          const about = question.ticket ? ` (${question.ticket})` : '';
          const reply = (await ask(`[${index}/${total}] ${question.text}${about}\n  answer (enter to skip): `)).trim();
          if (!reply) {
            skipped++;
            continue;
          }
          answerQuestion(context.ws, question.id, reply);
          answered++;
        }
        for (const ticket of waiting.approvals) {
          index++;
          const reply = (await ask(`[${index}/${total}] approve ${ticket.id} [${ticket.brand}] ${ticket.title}? (y)es / (c)ancel / enter to skip: `)).trim().toLowerCase();
          if (reply === 'y' || reply === 'yes') {
            context.ws.tickets.transition(ticket.id, 'approve', { by: 'operator' });
            approved++;
          } else if (reply === 'c' || reply === 'cancel') {
            context.ws.tickets.transition(ticket.id, 'cancel', { by: 'operator', note: 'declined in the interview' });
          } else skipped++;
        }
      } finally {
        rl.close();
      }
      return { answered, approved, skipped };
    },
  };
}
