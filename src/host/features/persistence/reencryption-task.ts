/**
 * The background task of a key rotation: writes every record of every served
 * model with sensitive fields again under the new key, page by page through
 * each model's datasource, at most `perSecond` records a second, recording its
 * place after each page so a restart resumes there. Each record is replaced on
 * condition of the revision read (see domain/reencryption.ts): a client's
 * concurrent write wins. When every model is done and every remote has loaded,
 * the rotation finishes: the data folder's verifier names the new key, and the
 * log says ENCRYPTION_PWD_PREVIOUS may be removed. It keeps watching for models
 * that appear later (a remote loaded afterwards) while the host runs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../../adapters/logging/logger.js';
import type { KeyRotation } from '../../../adapters/crypto/encryption-keys.js';
import type { ModelProgress } from '../../../adapters/crypto/rotation-state.js';
import type { CatalogView } from '../../../catalog/live-catalog.js';
import type { Datasource } from '../../../domain/datasource.js';
import { MicrolibError } from '../../../domain/errors.js';
import type { FieldProtection } from '../../../domain/field-protection.js';
import type { StoredRecord } from '../../../domain/model-spec.js';
import { reencryptRecord } from '../../../domain/reencryption.js';

export interface ReencryptionDeps {
  rotation: KeyRotation;
  catalog: CatalogView;
  /** Records looked at per second, at most. */
  perSecond: number;
  logger: Logger;
  /** Remotes that have not loaded: their models may still hold values of the previous key. */
  unloadedRemotes(): string[];
}

/** Whether a listed record holds a value of the previous key (or one no key opens, which `reencrypt` reports). */
function needsReencryption(protection: FieldProtection, record: StoredRecord): boolean {
  try {
    return protection.reencrypt(record) !== undefined;
  } catch {
    return true;
  }
}

/** Largest page read at once. */
const MAX_PAGE = 100;
/** Wait after a failed page (a datasource that cannot reach its server), and between looks for new models once done. */
const RETRY_MS = 5_000;
const IDLE_MS = 5_000;
/** At most one progress line this often. */
const PROGRESS_LOG_MS = 10_000;

interface Target {
  name: string;
  protection: FieldProtection;
  datasource: Datasource;
}

export class ReencryptionTask {
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private finishedHere = false;
  private lastProgressLog = 0;
  private waitingFor = '';

  constructor(private readonly deps: ReencryptionDeps) {}

  start(): void {
    const { rotation, logger } = this.deps;
    logger.info({ from: rotation.from, to: rotation.to }, rotation.state.finishedAt ? 'field re-encryption finished before; checking for models that appeared since' : 'field re-encryption under the new key started');
    this.running = this.run().catch((error: unknown) => logger.error({ err: error }, 'field re-encryption stopped'));
  }

  /** Stops after the page under way (its place is recorded). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  /** Records still to look at in the served models (0 once done). */
  remaining(): number {
    let remaining = 0;
    for (const target of this.targets()) {
      const progress = this.deps.rotation.state.models.get(target.name);
      if (progress && !progress.done) remaining += Math.max(0, progress.total - progress.processed);
    }
    return remaining;
  }

  /** The served models with sensitive fields, by name. */
  private targets(): Target[] {
    const targets: Target[] = [];
    for (const served of this.deps.catalog.current.models()) {
      const protection = served.model.protection;
      if (protection) targets.push({ name: served.model.name, protection, datasource: served.service.datasource });
    }
    return targets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let target: Target | undefined;
      try {
        target = await this.nextTarget();
        if (target) await this.step(target);
      } catch (error) {
        this.deps.logger.warn({ err: error, model: target?.name }, 'field re-encryption failed a step; trying again shortly');
        await this.pause(RETRY_MS);
        continue;
      }
      if (target) {
        this.finishedHere = false;
        continue;
      }
      await this.finishIfComplete();
      await this.pause(IDLE_MS);
    }
  }

  /** Counts the records of models seen for the first time, then names the first model not done. */
  private async nextTarget(): Promise<Target | undefined> {
    const { state } = this.deps.rotation;
    let counted = false;
    for (const target of this.targets()) {
      if (state.models.has(target.name)) continue;
      const page = await target.datasource.list({ filter: {}, sort: [], limit: 1, offset: 0, count: true });
      state.models.set(target.name, { total: page.total ?? 0, processed: 0, reencrypted: 0, changed: 0, unreadable: 0, done: false });
      counted = true;
    }
    if (counted) await this.deps.rotation.save();
    return this.targets().find((target) => !state.models.get(target.name)!.done);
  }

  /** One page of one model; waits after it as long as the rate asks. */
  private async step(target: Target): Promise<void> {
    const { rotation, logger, perSecond } = this.deps;
    const progress = rotation.state.models.get(target.name)!;
    const started = Date.now();
    const limit = Math.min(MAX_PAGE, perSecond);
    let page;
    try {
      page = await target.datasource.list({ filter: {}, sort: [], limit, offset: 0, count: false, ...(progress.cursor === undefined ? {} : { cursor: progress.cursor }) });
    } catch (error) {
      // A cursor the datasource no longer takes (another kind now): start the model again; current records are only read.
      if (!(error instanceof MicrolibError && error.code === 'MLB_ERR_BAD_QUERY' && progress.cursor !== undefined)) throw error;
      logger.warn({ model: target.name }, 'field re-encryption starts this model again: its datasource refused the recorded place');
      delete progress.cursor;
      await rotation.save();
      return;
    }
    for (const record of page.records) {
      // Current already (written since the rotation started, or done before a restart): nothing to write.
      if (needsReencryption(target.protection, record)) await this.reencrypt(target, record.id, progress);
      progress.processed++;
    }
    if (page.nextCursor === undefined) {
      progress.done = true;
      delete progress.cursor;
      logger.info(
        { model: target.name, reencrypted: progress.reencrypted, changedMeanwhile: progress.changed, unreadable: progress.unreadable },
        'field re-encryption of a model done',
      );
    } else {
      progress.cursor = page.nextCursor;
    }
    await rotation.save();
    if (Date.now() - this.lastProgressLog >= PROGRESS_LOG_MS) {
      this.lastProgressLog = Date.now();
      logger.info({ model: target.name, remaining: this.remaining() }, 'field re-encryption progress');
    }
    const wait = (page.records.length * 1000) / perSecond - (Date.now() - started);
    if (wait > 0) await this.pause(wait);
  }

  private async reencrypt(target: Target, id: string, progress: ModelProgress): Promise<void> {
    try {
      const outcome = await reencryptRecord(target.datasource, target.protection, id);
      if (outcome === 'reencrypted') progress.reencrypted++;
      else if (outcome === 'changed') progress.changed++;
    } catch (error) {
      if (!(error instanceof MicrolibError && error.code === 'MLB_ERR_INTERNAL')) throw error;
      // No key opens it: it stays as it is, unreadable as it was.
      progress.unreadable++;
      this.deps.logger.error({ model: target.name, id, field: error.field }, 'field re-encryption skips a record no key decrypts');
    }
  }

  /** Finishes the rotation once every served model is done and no remote is missing. */
  private async finishIfComplete(): Promise<void> {
    if (this.finishedHere) return;
    const { rotation, logger } = this.deps;
    const unloaded = this.deps.unloadedRemotes();
    if (unloaded.length > 0) {
      const key = unloaded.join(',');
      if (key !== this.waitingFor) {
        this.waitingFor = key;
        logger.warn({ remotes: unloaded }, 'field re-encryption is done for the served models, but waits for remotes that have not loaded: their records may still need ENCRYPTION_PWD_PREVIOUS');
      }
      return;
    }
    await rotation.finish();
    this.finishedHere = true;
    const models = Object.fromEntries([...rotation.state.models].map(([name, p]) => [name, { reencrypted: p.reencrypted, unreadable: p.unreadable }]));
    logger.info({ from: rotation.from, to: rotation.to, models }, 'field re-encryption finished: every record is under the key of ENCRYPTION_PWD; ENCRYPTION_PWD_PREVIOUS may be removed (restart without it)');
  }
}
