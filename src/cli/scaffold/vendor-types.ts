/**
 * The public types remote authors import (`import type { ModelSpecification } from
 * 'microlib'`), copied into a scaffolded remote as `types/microlib/`: the remote then
 * installs from the public registry alone, whether or not microlib is published there,
 * and its types match the host that scaffolded it. Only the declaration files the
 * spec types reach are copied.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Where the types go in the remote, and what its tsconfig `paths` names. */
export const VENDORED_TYPES_DIR = 'types/microlib';

const ENTRY = 'domain/model-spec.d.ts';
const RELATIVE_IMPORT = /from '(\.{1,2}\/[^']+)\.js'/g;

/** Copies the declarations reachable from the model spec types; resolves with the files written, relative to `remoteDir`. */
export async function vendorTypes(compiledSrcDir: string, remoteDir: string): Promise<string[]> {
  const seen = new Set<string>();
  const pending = [ENTRY];
  const written: string[] = [];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    let text: string;
    try {
      text = await readFile(path.join(compiledSrcDir, file), 'utf8');
    } catch {
      throw new Error(`the host's type declarations are missing (${file}); run npm run build in the microlib repository first`);
    }
    for (const match of text.matchAll(RELATIVE_IMPORT)) pending.push(path.posix.normalize(path.posix.join(path.posix.dirname(file), `${match[1]}.d.ts`)));
    const target = path.posix.join(VENDORED_TYPES_DIR, file);
    await mkdir(path.dirname(path.join(remoteDir, target)), { recursive: true });
    await writeFile(path.join(remoteDir, target), text);
    written.push(target);
  }
  const index = path.posix.join(VENDORED_TYPES_DIR, 'index.d.ts');
  await writeFile(path.join(remoteDir, index), `// Types of the microlib host this remote was scaffolded from (microlib init).\nexport type * from './${ENTRY.replace(/\.d\.ts$/, '.js')}';\n`);
  return [...written.sort(), index];
}
