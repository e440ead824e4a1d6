// Polish money as pages show it ("1 234,56 zł", spaces possibly no-break) in grosze, as
// BigInt: exact integers, never floats.

const SPACE = '[ \\u00a0\\u202f]';
const AMOUNT = `(?<![\\d,.])([-\\u2212]?)(\\d{1,3}(?:${SPACE}?\\d{3})*),(\\d{2})${SPACE}?zł`;

/** The one amount in `text` (e.g. the content of #saldo), in grosze. */
export function parseMoney(text) {
  const all = findMoney(text);
  if (all.length !== 1) {
    throw new Error(`expected one amount like "1 234,56 zł" in ${JSON.stringify(text)}, found ${all.length}`);
  }
  return all[0];
}

/** Every amount in `text`, in grosze, in order. */
export function findMoney(text) {
  return [...String(text).matchAll(new RegExp(AMOUNT, 'g'))].map(([, sign, zl, gr]) => {
    const grosze = BigInt(zl.replace(/\D/g, '')) * 100n + BigInt(gr);
    return sign === '' ? grosze : -grosze;
  });
}

/** Grosze as "1 234,56 zł" (plain spaces), for messages. */
export function formatGrosze(grosze) {
  const negative = grosze < 0n;
  const abs = negative ? -grosze : grosze;
  const zl = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  const gr = (abs % 100n).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${zl},${gr} zł`;
}
