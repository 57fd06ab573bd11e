/**
 * The remote the trigger tests deploy: a `shipment` model whose eventHandler writes
 * every event it hears (name, id, model, data; a CloudEvent's source and subject)
 * to a file, one JSON line each, and throws when the event's data (or a DynamoDB
 * record's new image) says `explode`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
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
