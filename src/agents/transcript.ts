import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { MessageParam, ToolResultBlockParam } from '@anthropic-ai/sdk/resources/messages/messages.js';

/** One line of a transcript file. */
export type TranscriptLine =
  | { t: 'meta'; at: string; [key: string]: unknown }
  | { t: 'message'; at: string; message: MessageParam }
  | { t: 'retry'; at: string; attempt: number; reason: string }
  | { t: 'tool'; at: string; name: string; input: Record<string, unknown>; isError: boolean; content: string }
  | { t: 'pending'; at: string; results: ToolResultBlockParam[]; toolUseId: string; question: string }
  | { t: 'question'; at: string; id: string; toolUseId: string }
  | { t: 'end'; at: string; [key: string]: unknown };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A line as written: its time is added on append. */
export type TranscriptLineInput = DistributiveOmit<TranscriptLine, 'at'>;

/**
 * A run's transcript, `.master/transcripts/<ticket>/<run>.ndjson`: every
 * message of the conversation, appended as it happens (never rewritten), so
 * a crash loses at most the line being written.
 */
export class Transcript {
  private fd: number | null;

  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.fd = openSync(file, 'a');
  }

  /** Appends one line (distributive over the union, so each line keeps its own shape). */
  write(line: TranscriptLineInput): void {
    if (this.fd === null) return;
    writeSync(this.fd, `${JSON.stringify({ ...line, at: new Date().toISOString() })}\n`);
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}

export function transcriptPath(transcriptsDir: string, ticket: string, run: string): string {
  return path.join(transcriptsDir, ticket, `${run}.ndjson`);
}

/** A conversation read back from a transcript, to continue it. */
export interface SavedConversation {
  messages: MessageParam[];
  /** Set when the run stopped for a question: the other results of that turn and the question's tool call. */
  pending: { results: ToolResultBlockParam[]; toolUseId: string; question: string; questionId?: string } | null;
}

/** Reads a transcript's conversation (a torn last line is ignored). */
export function readConversation(file: string): SavedConversation | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const messages: MessageParam[] = [];
  let pending: SavedConversation['pending'] = null;
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let line: TranscriptLine;
    try {
      line = JSON.parse(raw) as TranscriptLine;
    } catch {
      continue;
    }
    if (line.t === 'message') messages.push(line.message);
    else if (line.t === 'pending') pending = { results: line.results, toolUseId: line.toolUseId, question: line.question };
    else if (line.t === 'question' && pending && pending.toolUseId === line.toolUseId) pending.questionId = line.id;
  }
  return { messages, pending };
}
