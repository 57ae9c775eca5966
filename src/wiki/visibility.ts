import type { Registry } from '../registry/schema.js';

/**
 * Which pages an agent of a brand may see through the wiki tools and its
 * prompt: its own brand's pages, the global ones, and other brands' pages
 * unless a silo wall stands between (a silo's pages reach only its own
 * agents; a silo's agents see only their own and global pages). The ledger
 * and the inbox hold every brand's raw candidates, so no agent sees them.
 */
export function pageVisibility(registry: Registry, brand: string | undefined): (name: string) => boolean {
  const silos = new Set(registry.brands.filter((b) => b.silo).map((b) => b.id));
  const known = new Set(registry.brands.map((b) => b.id));
  const callerIsSilo = brand !== undefined && silos.has(brand);
  return (name) => {
    const slash = name.indexOf('/');
    if (slash < 0) return false;
    const folder = name.slice(0, slash);
    if (folder === 'global') return true;
    if (folder === 'ledger' || folder === 'inbox') return false;
    if (folder === brand) return true;
    if (callerIsSilo) return false;
    // A folder that is no brand of the registry could be anyone's: only agents outside every silo see it.
    if (!known.has(folder)) return true;
    return !silos.has(folder);
  };
}
