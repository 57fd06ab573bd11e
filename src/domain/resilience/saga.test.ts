import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { notFoundError } from '../errors.js';
import { runSteps, FlowFailedError, serializeError, type Step } from './saga.js';

/** A step that logs its run and undo, and fails where asked. */
function step(log: string[], name: string, opts: { fail?: boolean; failUndo?: boolean; noUndo?: boolean } = {}): Step<string> {
  const s: Step<string> = {
    name,
    run: async () => {
      log.push(`run ${name}`);
      if (opts.fail) throw new Error(`${name} failed`);
      return `${name}-result`;
    },
  };
  if (!opts.noUndo) {
    s.undo = async (result) => {
      log.push(`undo ${name} (${result})`);
      if (opts.failUndo) throw new Error(`undo ${name} failed`);
    };
  }
  return s;
}

async function failure(promise: Promise<unknown>): Promise<FlowFailedError> {
  const error = await promise.catch((e: unknown) => e);
  assert.ok(error instanceof FlowFailedError, `expected FlowFailedError, got ${String(error)}`);
  return error;
}

describe('runSteps', () => {
  it('runs every step in order and resolves with their results', async () => {
    const log: string[] = [];
    const typed: Step<number> = { name: 'count', run: async () => 3, undo: async (n) => n + 1 };
    const outcome = await runSteps([step(log, 'a'), step(log, 'b'), typed]);
    assert.deepEqual(outcome, { status: 'completed', results: ['a-result', 'b-result', 3] });
    assert.deepEqual(log, ['run a', 'run b']);
  });

  it('resolves an empty flow as completed', async () => {
    assert.deepEqual(await runSteps([]), { status: 'completed', results: [] });
  });

  it('on failure at step 3 undoes step 2 then step 1, with their results', async () => {
    const log: string[] = [];
    const error = await failure(runSteps([step(log, 'reserve'), step(log, 'book'), step(log, 'charge', { fail: true }), step(log, 'notify')]));
    assert.deepEqual(log, ['run reserve', 'run book', 'run charge', 'undo book (book-result)', 'undo reserve (reserve-result)']);
    assert.equal(error.failedStep, 'charge');
    assert.equal(error.failedStepIndex, 2);
    assert.equal((error.cause as Error).message, 'charge failed');
    assert.deepEqual(error.compensation, { completed: true, undone: ['book', 'reserve'], failedUndos: [], skipped: [] });
    assert.equal(error.code, 'MLB_ERR_UNAVAILABLE');
    assert.match(error.message, /Step "charge" failed: charge failed; compensated/);
  });

  it('records a failing undo and still runs the next one', async () => {
    const log: string[] = [];
    const error = await failure(runSteps([step(log, 'a'), step(log, 'b', { failUndo: true }), step(log, 'c'), step(log, 'd', { fail: true })]));
    assert.deepEqual(log, ['run a', 'run b', 'run c', 'run d', 'undo c (c-result)', 'undo b (b-result)', 'undo a (a-result)']);
    assert.equal(error.compensation.completed, false);
    assert.deepEqual(error.compensation.undone, ['c', 'a']);
    assert.equal(error.compensation.failedUndos.length, 1);
    assert.equal(error.compensation.failedUndos[0]!.step, 'b');
    assert.equal((error.compensation.failedUndos[0]!.error as Error).message, 'undo b failed');
    assert.match(error.message, /compensation incomplete \(b not undone\)/);
  });

  it('skips completed steps that have no undo', async () => {
    const log: string[] = [];
    const error = await failure(runSteps([step(log, 'a'), step(log, 'log', { noUndo: true }), step(log, 'c', { fail: true })]));
    assert.deepEqual(log, ['run a', 'run log', 'run c', 'undo a (a-result)']);
    assert.deepEqual(error.compensation, { completed: true, undone: ['a'], failedUndos: [], skipped: ['log'] });
  });

  it('does not undo the step that failed, and compensates nothing when the first step fails', async () => {
    const log: string[] = [];
    const error = await failure(runSteps([step(log, 'a', { fail: true }), step(log, 'b')]));
    assert.deepEqual(log, ['run a']);
    assert.deepEqual(error.compensation, { completed: true, undone: [], failedUndos: [], skipped: [] });
  });

  it('serialises to the documented JSON record', async () => {
    const log: string[] = [];
    const error = await failure(
      runSteps([step(log, 'reserve'), step(log, 'book', { failUndo: true }), { name: 'charge', run: () => Promise.reject(notFoundError('no card')) }]),
    );
    assert.equal(error.code, 'MLB_ERR_NOT_FOUND', 'a MicrolibError cause keeps its code');
    assert.deepEqual(JSON.parse(JSON.stringify(error)), {
      status: 'failed',
      failedStep: 'charge',
      failedStepIndex: 2,
      error: { name: 'MicrolibError', message: 'no card', code: 'MLB_ERR_NOT_FOUND' },
      compensation: {
        completed: false,
        undone: ['reserve'],
        failedUndos: [{ step: 'book', error: { name: 'Error', message: 'undo book failed' } }],
        skipped: [],
      },
    });
  });

  it('serialises non-Error values', () => {
    assert.deepEqual(serializeError('plain'), { name: 'NonError', message: 'plain' });
    assert.deepEqual(serializeError(Object.create(null)), { name: 'NonError', message: '[object Object]' });
  });

  it('passes the signal to each run, and starts no step after an abort', async () => {
    const log: string[] = [];
    const controller = new AbortController();
    const reason = new Error('stop');
    const seen: Array<AbortSignal | undefined> = [];
    const error = await failure(
      runSteps(
        [
          { name: 'a', run: async (signal) => void seen.push(signal), undo: async () => void log.push('undo a') },
          {
            name: 'b',
            run: async (signal) => {
              seen.push(signal);
              controller.abort(reason); // b still completes
            },
            undo: async () => void log.push('undo b'),
          },
          { name: 'c', run: async () => void log.push('run c') },
        ],
        { signal: controller.signal },
      ),
    );
    assert.deepEqual(seen, [controller.signal, controller.signal]);
    assert.equal(error.failedStep, 'c');
    assert.equal(error.cause, reason);
    assert.deepEqual(log, ['undo b', 'undo a']);
  });

  it('rejects duplicate step names with TypeError before running anything', async () => {
    const log: string[] = [];
    await assert.rejects(runSteps([step(log, 'a'), step(log, 'a')]), TypeError);
    assert.deepEqual(log, []);
  });

  it('treats a synchronous throw in run or undo like a rejection', async () => {
    const error = await failure(
      runSteps([
        {
          name: 'a',
          run: async () => 1,
          undo: () => {
            throw new Error('sync undo');
          },
        },
        {
          name: 'b',
          run: () => {
            throw new Error('sync run');
          },
        },
      ]),
    );
    assert.equal((error.cause as Error).message, 'sync run');
    assert.equal(error.compensation.failedUndos[0]!.step, 'a');
  });
});
