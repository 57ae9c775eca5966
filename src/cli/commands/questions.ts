import { answerQuestion, openQuestions } from '../../questions/index.js';
import { openWorkspace } from '../../workspace/open.js';
import { json, out } from '../output.js';

type Home = () => string | undefined;

export function questionsCommand(home: Home) {
  return async (options: { json?: boolean }): Promise<void> => {
    const ws = await openWorkspace(home());
    const open = openQuestions(ws.store.state.questions);
    if (options.json) json(open);
    else if (open.length === 0) out('no open questions');
    else for (const q of open) out(`${q.id}  ${q.ticket ?? ''}  ${q.text}`);
    await ws.store.close({ snapshotIfBehind: 200 });
  };
}

export function answerCommand(home: Home) {
  return async (id: string, text: string[]): Promise<void> => {
    const ws = await openWorkspace(home());
    try {
      const question = answerQuestion(ws, id, text.join(' '));
      const ticket = question.ticket ? ws.store.state.tickets[question.ticket] : undefined;
      out(`${question.id} answered${ticket ? `; ${ticket.id} is ${ticket.state}` : ''}`);
    } finally {
      await ws.store.close({ snapshotIfBehind: 200 });
    }
  };
}
