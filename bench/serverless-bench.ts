/** `node dist/bench/serverless-bench.js`: only the serverless figures, printed as markdown. */
import { measureServerless, renderServerlessSection } from './serverless-section.js';

console.log(renderServerlessSection(await measureServerless((line) => console.error(line))));
