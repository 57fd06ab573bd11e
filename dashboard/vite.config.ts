// The operator dashboard (/microlib) and the API docs page (/microlib/docs), built by
// `npm run build:dashboard` into dist/dashboard, which the host serves. No framework, no CDN.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/microlib/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: here('../dist/dashboard'),
    emptyOutDir: true,
    // Current browsers only: operators' machines, not the public.
    target: 'es2022',
    sourcemap: false,
    rolldownOptions: {
      input: { index: here('index.html'), docs: here('docs.html') },
    },
  },
});
