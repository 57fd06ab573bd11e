// The interactive API docs: Swagger UI (served by the host from the pinned swagger-ui-dist
// package) on the OpenAPI document of what the host serves now, with the tab's token.
import './style.css';
import { byId } from './dom.js';
import { readToken } from './token.js';

interface SwaggerRequest {
  headers: Record<string, string>;
}
type SwaggerUIBundle = (options: Record<string, unknown>) => unknown;

function load(tag: 'script' | 'link', url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const node = tag === 'script' ? Object.assign(document.createElement('script'), { src: url }) : Object.assign(document.createElement('link'), { rel: 'stylesheet', href: url });
    node.addEventListener('load', () => resolve());
    node.addEventListener('error', () => reject(new Error(`could not load ${url}`)));
    document.head.append(node);
  });
}

const status = byId('docs-status');
Promise.all([load('link', '/microlib/docs/swagger-ui.css'), load('script', '/microlib/docs/swagger-ui-bundle.js')]).then(
  () => {
    const bundle = (window as unknown as { SwaggerUIBundle?: SwaggerUIBundle }).SwaggerUIBundle;
    if (!bundle) throw new Error('Swagger UI did not load');
    bundle({
      url: '/microlib/api/openapi.json',
      dom_id: '#swagger-ui',
      deepLinking: true,
      // Keeps Swagger UI from asking a public validator about the document.
      validatorUrl: null,
      requestInterceptor: (request: SwaggerRequest) => {
        // Read per request: a token set on the dashboard in this tab applies at once.
        const token = readToken();
        if (token && !request.headers.authorization && !request.headers.Authorization) request.headers.Authorization = `Bearer ${token}`;
        return request;
      },
    });
    status.textContent = readToken() ? 'using the token set on the dashboard' : 'no token set (set one on the dashboard when the host requires it)';
  },
  (error: Error) => {
    status.textContent = error.message;
  },
);
