/**
 * The operator dashboard (`/microlib`) and the API docs page (`/microlib/docs`):
 * the Vite build in `dist/dashboard`, and Swagger UI's files from the pinned
 * swagger-ui-dist package. Everything is served by the host itself; no CDN.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Response } from 'express';

/** Where `npm run build:dashboard` writes the page (from dist/src/adapters/http: dist/dashboard). */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboard/', import.meta.url));

/** The files of Swagger UI the docs page loads; nothing else of the package is served. */
const SWAGGER_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js'];

function swaggerUiDir(): string | undefined {
  try {
    return path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  } catch {
    return undefined;
  }
}

export interface DashboardRoutesOptions {
  /** The built dashboard; defaults to {@link DEFAULT_DASHBOARD_DIR}. */
  dir?: string;
}

// The pages load only the host's own files; connections go back to the host (REST and WebSocket).
const PAGE_POLICY = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
// Swagger UI sets style attributes and draws some icons as data: URLs.
const DOCS_POLICY = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function createDashboardRoutes(options: DashboardRoutesOptions = {}): express.Router {
  const dir = options.dir ?? DEFAULT_DASHBOARD_DIR;
  const router = express.Router({ strict: true, caseSensitive: true });

  const sendPage = (res: Response, file: string, policy: string) => {
    const full = path.join(dir, file);
    // Checked per request, so building while the host runs needs no restart.
    if (!existsSync(full)) {
      res.status(503).json({ error: { code: 'MLB_ERR_UNAVAILABLE', message: `the dashboard is not built (no ${file} in ${dir}): run npm run build` } });
      return;
    }
    // The page names its hashed assets: always revalidate it, so a new build shows at once.
    res.sendFile(full, { headers: { 'cache-control': 'no-cache', 'content-security-policy': policy, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' } });
  };

  router.get(['/microlib', '/microlib/'], (_req, res) => sendPage(res, 'index.html', PAGE_POLICY));
  router.get(['/microlib/docs', '/microlib/docs/'], (_req, res) => sendPage(res, 'docs.html', DOCS_POLICY));

  // Hashed file names: a changed file gets a new name, so browsers may keep these for good.
  router.use(
    '/microlib/assets',
    express.static(path.join(dir, 'assets'), {
      immutable: true,
      maxAge: '365d',
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      fallthrough: true,
      setHeaders: (res) => res.setHeader('x-content-type-options', 'nosniff'),
    }),
  );

  const swagger = swaggerUiDir();
  router.get('/microlib/docs/:file', (req, res, next) => {
    const file = req.params.file;
    if (!swagger || !SWAGGER_FILES.includes(file)) return next();
    // Not content-hashed, but fixed by the exact version pinned in package.json.
    res.sendFile(path.join(swagger, file), { maxAge: '1h', headers: { 'x-content-type-options': 'nosniff' } });
  });

  return router;
}
