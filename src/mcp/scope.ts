import { UserError } from '../errors.js';
import type { Brand, Registry } from '../registry/schema.js';
import { pageVisibility } from '../wiki/visibility.js';

/**
 * What one MCP client may see and touch. Without a brand it is the
 * operator's own client (like the CLI: every brand, every page). With a
 * brand it sees what an agent of that brand would: its own brand, the
 * brands outside every silo (unless it is a silo itself), global pages; a
 * silo's tickets, pages and repos do not exist for it, not even by name.
 */
export interface McpScope {
  brand: string | undefined;
  brandVisible(id: string): boolean;
  pageVisible(name: string): boolean;
  /** The registry's brands this client may see. */
  brands(): Brand[];
  /** The visible brand with this id, or a UserError that lists only visible brands. */
  requireBrand(id: string): Brand;
}

/** The scope of a client of `master mcp [--brand B]`; an unknown brand is a UserError. */
export function mcpScope(registry: Registry, brand: string | undefined): McpScope {
  if (brand !== undefined && !registry.brands.some((b) => b.id === brand)) {
    throw new UserError(`unknown brand "${brand}" for --brand; known brands: ${registry.brands.map((b) => b.id).join(', ') || '(none)'}`);
  }
  const silos = new Set(registry.brands.filter((b) => b.silo).map((b) => b.id));
  const brandVisible = (id: string): boolean => {
    if (brand === undefined || id === brand) return true;
    return !silos.has(brand) && !silos.has(id);
  };
  const pages = brand === undefined ? () => true : pageVisibility(registry, brand);
  const brands = () => registry.brands.filter((b) => brandVisible(b.id));
  return {
    brand,
    brandVisible,
    pageVisible: pages,
    brands,
    requireBrand(id) {
      const found = brands().find((b) => b.id === id);
      if (!found)
        throw new UserError(
          `unknown brand "${id}"; brands: ${
            brands()
              .map((b) => b.id)
              .join(', ') || '(none)'
          }`,
        );
      return found;
    },
  };
}
