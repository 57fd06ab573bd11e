import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { answerFormat, isMsgpackType } from './media-types.js';

describe('answer format from Accept', () => {
  it('is JSON without a header, for */*, for JSON, and for a browser', () => {
    for (const accept of [undefined, '*/*', 'application/json', 'application/json, text/plain, */*', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'application/*']) {
      assert.equal(answerFormat(accept), 'json', String(accept));
    }
  });

  it('is MessagePack when only it is acceptable, or when it weighs more', () => {
    for (const accept of ['application/msgpack', 'application/x-msgpack', 'application/vnd.msgpack', 'Application/MsgPack', 'application/json;q=0.5, application/msgpack', 'application/msgpack, */*;q=0.1', '*/*, application/json;q=0']) {
      assert.equal(answerFormat(accept), 'msgpack', accept);
    }
  });

  it('prefers JSON on a tie', () => {
    assert.equal(answerFormat('application/msgpack, application/json'), 'json');
  });

  it('is nothing when neither format is acceptable (a 406)', () => {
    for (const accept of ['text/html', 'application/xml, text/*', 'application/msgpack;q=0', '*/*;q=0', 'application/json;q=0, application/msgpack;q=0']) {
      assert.equal(answerFormat(accept), undefined, accept);
    }
  });

  it('ignores a range with a malformed weight rather than the whole header', () => {
    assert.equal(answerFormat('application/json;q=high, application/msgpack'), 'msgpack');
    assert.equal(answerFormat('application/json;q=2'), undefined);
  });
});

describe('MessagePack content types', () => {
  it('are its three names, with or without parameters', () => {
    for (const type of ['application/msgpack', 'application/x-msgpack', 'application/vnd.msgpack; charset=binary', 'APPLICATION/MSGPACK']) assert.ok(isMsgpackType(type), type);
    for (const type of ['application/json', 'application/msgpackx', 'text/msgpack']) assert.ok(!isMsgpackType(type), type);
  });
});
