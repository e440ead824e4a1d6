// The money parser the browser test relies on: exact grosze from Polish formatting.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { findMoney, formatGrosze, parseMoney } from './money.mjs';

test('Polish amounts parse to exact grosze', () => {
  assert.equal(parseMoney('1 234,56 zł'), 123456n);
  assert.equal(parseMoney('1\u00a0234,56\u00a0zł'), 123456n);
  assert.equal(parseMoney('1\u202f234\u202f567,05\u00a0zł'), 123456705n);
  assert.equal(parseMoney('Saldo: 0,00 zł'), 0n);
  assert.equal(parseMoney('\u22121 000,10 zł'), -100010n);
  assert.equal(parseMoney('-7,99zł'), -799n);
  assert.equal(parseMoney('1234,56 zł'), 123456n);
  assert.equal(parseMoney('razem 12345678,90 zł'), 1234567890n);
  // 0.1 + 0.2 in floats is not 0.3; in grosze it is.
  assert.equal(parseMoney('0,10 zł') + parseMoney('0,20 zł'), parseMoney('0,30 zł'));
});

test('text without exactly one amount is refused', () => {
  assert.throws(() => parseMoney('brak'), /found 0/);
  assert.throws(() => parseMoney('1,00 zł i 2,00 zł'), /found 2/);
  assert.throws(() => parseMoney('1234.56 zł'), /found 0/);
});

test('every amount of a table row is found, in order', () => {
  const row = 'Podatek od nieruchomości 2026 rata 2\t15.05.2026\t1 117,00 zł\t12,40 zł\t1 129,40 zł';
  assert.deepEqual(findMoney(row), [111700n, 1240n, 112940n]);
});

test('grosze print back as Polish amounts', () => {
  assert.equal(formatGrosze(123456n), '1 234,56 zł');
  assert.equal(formatGrosze(5n), '0,05 zł');
  assert.equal(formatGrosze(-100010n), '-1 000,10 zł');
  assert.equal(formatGrosze(parseMoney(formatGrosze(987654321n))), formatGrosze(987654321n));
});
