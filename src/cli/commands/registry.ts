import path from 'node:path';
import { loadRegistryFile } from '../../registry/load.js';
import { registryJsonSchema } from '../../registry/schema.js';
import { resolveHome, workspacePaths } from '../../workspace/paths.js';
import { json, out } from '../output.js';

export async function schemaCommand(): Promise<void> {
  json(registryJsonSchema());
}

export function validateCommand(home: () => string | undefined) {
  return async (file: string | undefined): Promise<void> => {
    const target = file ? path.resolve(file) : workspacePaths(resolveHome(home())).registry;
    const registry = loadRegistryFile(target);
    const repos = registry.brands.reduce((n, b) => n + b.repos.length, 0);
    out(`${target}: valid (${registry.brands.length} brands, ${repos} repos)`);
  };
}
