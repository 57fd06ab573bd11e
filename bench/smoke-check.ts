/**
 * One request of each measured kind before timing a server: a fast wrong
 * answer (404s, an empty page) must fail the bench, not look like a win.
 */
import { COLLECTION_PATH, POST_BODY } from './customers-api.js';
import { requestJson } from './http-json.js';

function expect(condition: unknown, what: string, got: unknown): void {
  if (!condition) throw new Error(`smoke check: ${what}; got ${JSON.stringify(got).slice(0, 400)}`);
}

export async function smokeCheck(baseUrl: string, sampleId: string, pageSize: number): Promise<void> {
  const one = await requestJson(`${baseUrl}${COLLECTION_PATH}/${sampleId}`);
  const record = one.body as Record<string, unknown> | undefined;
  expect(one.status === 200 && record?.id === sampleId && typeof record.firstName === 'string', `GET /:id answers 200 with record ${sampleId}`, one);

  const list = await requestJson(`${baseUrl}${COLLECTION_PATH}?limit=${pageSize}`);
  const page = list.body as { data?: unknown[]; limit?: unknown; offset?: unknown } | undefined;
  expect(list.status === 200 && page?.data?.length === pageSize && page.limit === pageSize && page.offset === 0, `list answers {data: ${pageSize} records, limit, offset}`, list);

  const created = await requestJson(`${baseUrl}${COLLECTION_PATH}`, { method: 'POST', body: JSON.parse(POST_BODY) });
  const body = created.body as Record<string, unknown> | undefined;
  expect(
    created.status === 201 && typeof body?.id === 'string' && body.revision === 1 && typeof body.createdAt === 'string' && created.headers.location === `${COLLECTION_PATH}/${body.id}`,
    'POST answers 201 with id, revision, createdAt and Location',
    { status: created.status, location: created.headers.location, body },
  );
}
