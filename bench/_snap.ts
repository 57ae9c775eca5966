import { Store } from '../src/state/store.js';
import { workspacePaths } from '../src/workspace/paths.js';
const store = await Store.open(workspacePaths(process.argv[2]!));
await store.writeSnapshot();
await store.close();
