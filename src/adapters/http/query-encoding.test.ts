import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MicrolibError } from '../../domain/errors.js';
import { checkQueryEncoding } from './query-encoding.js';

function refusal(search: string): MicrolibError {
  try {
    checkQueryEncoding(search);
  } catch (error) {
    assert.ok(error instanceof MicrolibError);
    return error;
  }
  assert.fail(`"${search}" was accepted`);
}

describe('checkQueryEncoding', () => {
  it('accepts plain, UTF-8 and literal-percent queries', () => {
    for (const search of ['', 'name=a&limit=2', 'name=%C3%A9t%C3%A9', 'name=%F0%9F%98%80', 'name=100%', 'name=%zz', 'n%61me=x', 'a+b=c+d', 'flag']) {
      assert.doesNotThrow(() => checkQueryEncoding(search), search);
    }
  });

  it('refuses a value that is not UTF-8 once decoded, naming the parameter', () => {
    for (const [search, field] of [['firstName=%ff', 'firstName'], ['limit=2&name=%C3', 'name'], ['n%61me=%ED%A0%80', 'name'], ['q=a%C0%AFb', 'q']] as const) {
      const error = refusal(search);
      assert.equal(error.code, 'MLB_ERR_VALIDATION');
      assert.equal(error.field, field);
      assert.match(error.message, new RegExp(`"${field}"`));
    }
  });

  it('refuses a parameter name that is not UTF-8', () => {
    const error = refusal('na%FFme=1');
    assert.equal(error.code, 'MLB_ERR_VALIDATION');
    assert.equal(error.field, 'query');
  });
});
