import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VersionTally } from '../domain/resilience/version-tally.js';
import { Catalog, type CanaryEntry, type RemoteContribution, type ServedModel } from './catalog.js';
import { CatalogClashError, withContribution } from './catalog-edit.js';
import { withCanary, withCanaryPolicy, withCanaryPromoted, withoutCanary } from './canary-edit.js';
import { splitSeed } from './traffic-split.js';

/** Enough of a served model for the catalog: its name, endpoint and version. */
const served = (remote: string, version: string, name: string, endpoint = `${name}s`): ServedModel =>
  ({ model: { name, endpoint, identity: { remote, version } }, service: {}, servedBy: `${remote}@${version}` }) as unknown as ServedModel;

const contribution = (remote: string, models: ServedModel[], adapters: Record<string, unknown> = {}): RemoteContribution => ({
  remote,
  models,
  placed: [],
  adapters: new Map(Object.entries(adapters)) as RemoteContribution['adapters'],
  services: new Map(),
});

const canaryOf = (remote: string, models: ServedModel[], adapters: Record<string, unknown> = {}): CanaryEntry => ({
  remote,
  stableVersion: 'v1',
  canaryVersion: 'v2',
  contribution: contribution(remote, models, adapters),
  policy: { weight: 10, sticky: undefined, mode: 'canary' },
  seed: splitSeed(remote),
  tallies: { stable: new VersionTally(), canary: new VersionTally() },
});

describe('canary catalogs', () => {
  const stableThing = served('kit', 'v1', 'thing');
  const stableGadget = served('kit', 'v1', 'gadget');
  const base = withContribution(withContribution(Catalog.empty(), contribution('kit', [stableThing, stableGadget], { mailer: 'v1 mailer' })), contribution('shop', [served('shop', 's1', 'order')]));

  it('splits the endpoints both versions serve; an added model is the canary\'s alone, a dropped one the stable version\'s', () => {
    assert.equal(base.splits, null, 'no canary: no splits');
    const canaryThing = served('kit', 'v2', 'thing');
    const widget = served('kit', 'v2', 'widget');
    const next = withCanary(base, canaryOf('kit', [canaryThing, widget], { mailer: 'v2 mailer', sms: 'v2 sms' }));
    assert.equal(next.splits?.get('things')?.stableSide?.served, stableThing);
    assert.equal(next.splits?.get('things')?.canarySide?.served, canaryThing);
    assert.equal(next.splits?.get('widgets')?.stableSide, undefined);
    assert.equal(next.atEndpoint('widgets'), widget);
    assert.equal(next.splits?.get('gadgets')?.canarySide, undefined);
    assert.equal(next.splits?.has('orders'), false, 'other remotes are not split');
    assert.equal(next.atEndpoint('things'), stableThing, 'the stable version keeps its endpoint');
    assert.equal(next.bindings.adapters.get('mailer')?.value, 'v1 mailer', 'ports keep binding to the stable version');
    assert.equal(next.bindings.adapters.get('sms')?.value, 'v2 sms', 'a new adapter binds to the canary');

    // Another remote's hot deploy keeps the canary.
    const redeployed = withContribution(next, contribution('shop', [served('shop', 's2', 'order')]));
    assert.equal(redeployed.canary('kit')?.canaryVersion, 'v2');
    assert.equal(redeployed.atEndpoint('widgets'), widget);
    assert.throws(() => withContribution(next, contribution('shop', [served('shop', 's2', 'order'), served('shop', 's2', 'widget', 'widgetz')])), CatalogClashError, 'the canary holds its new model\'s name');

    const weighted = withCanaryPolicy(next, 'kit', { weight: 50, sticky: { header: 'x-user' }, mode: 'ab' });
    assert.equal(weighted.splits?.get('things')?.canary.policy.weight, 50);
    assert.equal(weighted.canary('kit')?.tallies, next.canary('kit')?.tallies, 'the same tallies across weight changes');

    const aborted = withoutCanary(weighted, 'kit');
    assert.equal(aborted.splits, null);
    assert.equal(aborted.atEndpoint('widgets'), undefined);
    assert.equal(aborted.atEndpoint('things'), stableThing);
    assert.equal(aborted.bindings.adapters.get('sms'), undefined);
    assert.equal(aborted.bindings.adapters.get('mailer')?.value, 'v1 mailer');

    const promoted = withCanaryPromoted(weighted, 'kit');
    assert.equal(promoted.splits, null);
    assert.equal(promoted.atEndpoint('things'), canaryThing);
    assert.equal(promoted.atEndpoint('gadgets'), undefined);
    assert.equal(promoted.atEndpoint('widgets'), widget);
    assert.equal(promoted.bindings.adapters.get('mailer')?.value, 'v2 mailer');
    assert.equal(promoted.atEndpoint('orders')?.servedBy, 'shop@s1');
  });

  it('refuses a canary that clashes with another remote, renames or moves a model, or runs beside another canary', () => {
    assert.throws(() => withCanary(base, canaryOf('kit', [served('kit', 'v2', 'order', 'orderz')])), /model "order" is already served by remote "shop"/);
    assert.throws(() => withCanary(base, canaryOf('kit', [served('kit', 'v2', 'thing2', 'orders')])), /endpoint "orders" is already served by remote "shop"/);
    assert.throws(() => withCanary(base, canaryOf('kit', [served('kit', 'v2', 'thingy', 'things')])), /cannot rename a model/);
    assert.throws(() => withCanary(base, canaryOf('kit', [served('kit', 'v2', 'thing', 'items')])), /cannot move a model/);
    const running = withCanary(base, canaryOf('kit', [served('kit', 'v2', 'thing')]));
    assert.throws(() => withCanary(running, canaryOf('kit', [served('kit', 'v3', 'thing')])), /already runs a canary/);
  });
});
