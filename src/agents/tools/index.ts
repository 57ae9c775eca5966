import * as z from 'zod/mini';
import type { Tool } from '@anthropic-ai/sdk/resources/messages/messages.js';
import { editTool, readTool, writeTool } from './files.js';
import { globTool, grepTool } from './search.js';
import { askOperatorTool, bashTool, finishTool } from './control.js';
import type { ToolDefinition } from './types.js';
import { wikiReadTool, wikiSearchTool } from './wiki.js';

const tools = new Map<string, ToolDefinition>();
const schemas = new Map<string, Tool>();

/** Adds a tool (the wiki, the gate and MCP bridges add theirs); a palette can then list it. */
export function registerTool<I>(tool: ToolDefinition<I>): void {
  tools.set(tool.name, tool as ToolDefinition);
  schemas.delete(tool.name);
}

for (const tool of [readTool, writeTool, editTool, globTool, grepTool, bashTool, askOperatorTool, finishTool, wikiSearchTool, wikiReadTool]) {
  registerTool(tool as ToolDefinition);
}

export function getTool(name: string): ToolDefinition | undefined {
  return tools.get(name);
}

/** The tool as the Messages API declares it (computed once per tool). */
export function toolSchema(tool: ToolDefinition): Tool {
  let schema = schemas.get(tool.name);
  if (!schema) {
    const json = z.toJSONSchema(tool.input, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    delete json.$schema;
    schema = { name: tool.name, description: tool.description, input_schema: { ...json, type: 'object' } as Tool['input_schema'] };
    schemas.set(tool.name, schema);
  }
  return schema;
}

/** The palette's tools that have an implementation here, as offered to the model. */
export function paletteTools(palette: readonly string[]): Tool[] {
  const out: Tool[] = [];
  for (const name of palette) {
    const tool = tools.get(name);
    if (tool) out.push(toolSchema(tool));
  }
  return out;
}

export type { ToolDefinition, ToolRunContext, RunControl, TouchedPath } from './types.js';
