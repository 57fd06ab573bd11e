/** What GET /microlib/api/remotes and /microlib/api/config answer, as far as the CLI reads them. */

export interface RemoteInfo {
  name: string;
  kind: string;
  source: string;
  status: string;
  version: string | null;
  loadedAt: string | null;
  loadMs: number | null;
  pinned: string | null;
  lastError: { message: string } | null;
  previousVersions: Array<{ version: string }>;
}

export interface ModelInfo {
  name: string;
  endpoint: string;
  remote: string;
}
