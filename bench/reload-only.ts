/** `node dist/bench/reload-only.js`: only the hot-deployment figures, printed as markdown. */
import { measureReloads, renderReloadSection } from './reload-bench.js';

const figures = await measureReloads((line) => console.error(line));
console.log(renderReloadSection(figures));
