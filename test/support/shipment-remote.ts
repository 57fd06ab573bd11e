/**
 * The remote the trigger tests deploy: a `shipment` model whose eventHandler writes
 * every event it hears (name, id, model, data; a CloudEvent's source and subject)
 * to a file, one JSON line each, and throws when the event's data (or a DynamoDB
 * record's new image) says `explode`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before } from 'node:test';
import type { FunctionHostOptions } from '../../src/serverless/function-host.js';
import { localModelsRemote } from './fixture-remotes.js';
import { functionEnv, type FunctionEnv } from './function-env.js';

export interface Seen {
  eventName: string;
  id: string;
  modelName?: string;
  source?: string;
  subject?: string;
  data: { parcel?: string; [key: string]: unknown };
}

export async function shipmentRemote(dir: string, seenFile: string) {
  return localModelsRemote(dir, `[{
    modelName: 'shipment', endpoint: 'shipments', datasource: 'memory',
    factory: () => (x) => ({ ...x }),
    eventHandlers: [(event) => {
      const data = event.data || {};
      if (data.explode || (data.newImage && data.newImage.explode)) throw new Error('the handler refused parcel ' + (data.parcel || JSON.stringify(data.keys)));
      require('node:fs').appendFileSync(${JSON.stringify(seenFile)}, JSON.stringify({ eventName: event.eventName, id: event.id, modelName: event.modelName, source: event.source, subject: event.subject, data: event.data }) + '\\n');
    }],
  }]`, 'shipping');
}

export async function seenIn(file: string): Promise<Seen[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Seen);
}

/** A function folder deploying the shipment remote; `seenFile` collects what its eventHandler hears. */
export async function shipmentFunction(): Promise<{ fn: FunctionEnv; seenFile: string }> {
  const fn = await functionEnv([]);
  const seenFile = path.join(fn.dir, 'seen.ndjson');
  await writeFile(path.join(fn.dir, 'remoteEntries.js'), `export default ${JSON.stringify([await shipmentRemote(fn.dir, seenFile)])};\n`);
  return { fn, seenFile };
}

/** What a describe's tests use once {@link shipmentHandlerHooks}' before hook has run. */
export interface ShipmentHandlerContext<H> {
  fn: FunctionEnv;
  seenFile: string;
  handler: H;
}

/**
 * Registers the describe's hooks: before, a {@link shipmentFunction} folder and the
 * handler `create` makes for it (memory datasource); after, the handler stops and the
 * folder goes. The returned context is filled in by the before hook.
 */
export function shipmentHandlerHooks<H extends { stop(): Promise<void> }>(create: (options: FunctionHostOptions) => H): ShipmentHandlerContext<H> {
  const context = {} as ShipmentHandlerContext<H>;
  before(async () => {
    const { fn, seenFile } = await shipmentFunction();
    Object.assign(context, { fn, seenFile, handler: create({ env: { ...fn.env, DATASOURCE_ADAPTER: 'memory' }, cwd: fn.dir, logger: fn.logger }) });
  });
  after(async () => {
    await context.handler?.stop();
    await context.fn?.remove();
  });
  return context;
}
