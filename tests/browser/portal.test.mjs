// The resident portal in real headless Chromium (Debian's package, driven by playwright-core):
// a demo resident of two tenants signs in, pays an installment through the sandbox gateway and
// sees the balance fall by exactly its amount; no page of one tenant shows the other's data and
// one tenant's session does not open the other; axe-core checks every page against WCAG 2.1
// A/AA; screenshots at desktop and phone widths are saved as artefacts.
//
// Needs a running `wspolnota serve --demo`: WSPOLNOTA_PORT=<port> node portal.test.mjs
// (the Rust test tests/tests/e2e/browser.rs starts one and runs this). Environment:
//   WSPOLNOTA_PORT          the server's port on 127.0.0.1 (required)
//   WSPOLNOTA_TENANTS       two tenant slugs, comma-separated (default zamosc,kurow)
//   BROWSER_ARTIFACTS_DIR   where screenshots go (default <repo>/target/browser-artifacts)
//   CHROMIUM_PATH           the browser (default /usr/bin/chromium)

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import axe from 'axe-core';
import { chromium } from 'playwright-core';

import { parseMoney, findMoney, formatGrosze } from './money.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');

const PORT = Number.parseInt(process.env.WSPOLNOTA_PORT ?? '', 10);
const SLUGS = (process.env.WSPOLNOTA_TENANTS ?? 'zamosc,kurow').split(',').map((s) => s.trim());
const ARTIFACTS = resolve(
  process.env.BROWSER_ARTIFACTS_DIR || join(REPO, 'target', 'browser-artifacts'),
);
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const EMAIL = (slug) => `mieszkaniec@${slug}.test`;
const PASSWORD = 'wspolnota-demo';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
// The live status once the gateway's notification is posted (crates/portal's wording).
const STATUS_PAID = /Płatność przyjęta/;
// A debug build on a shared two-core machine: navigations get a generous deadline.
const NAV_TIMEOUT_MS = 60_000;
const STATUS_TIMEOUT_MS = 90_000;

assert.ok(Number.isInteger(PORT) && PORT > 0, 'set WSPOLNOTA_PORT to the server port');
assert.equal(SLUGS.length, 2, 'WSPOLNOTA_TENANTS names exactly two tenants');

const base = (slug) => `http://${slug}.localhost:${PORT}`;

/** What each tenant's run found: filled in by the tests in order. */
const state = Object.fromEntries(
  SLUGS.map((slug) => [
    slug,
    {
      context: null,
      page: null,
      paymentId: null,
      balanceAfter: null,
      pages: new Map(), // path -> HTML as the resident saw it
      identifiers: null,
      errors: [],
    },
  ]),
);

let browser;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Evidence of an earlier run's failures would mislead.
  rmSync(join(ARTIFACTS, 'failures'), { recursive: true, force: true });
  // launch() gives the browser a fresh temporary profile (user-data dir), removed on close:
  // no cookies, cache or settings from an earlier run.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Only this machine's server is spoken to, never through a proxy from the environment.
      '--no-proxy-server',
    ],
  });
  console.log(`# ${CHROMIUM}: Chromium ${browser.version()}; artefacts in ${ARTIFACTS}`);
});

after(async () => {
  await browser?.close();
});

// ------------------------------------------------------------------------------------------
// Helpers

async function newResidentContext(slug) {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'pl-PL' });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.setDefaultNavigationTimeout(NAV_TIMEOUT_MS);
  // A script error on a page (e.g. the live status poller) is a bug.
  page.on('pageerror', (err) => state[slug].errors.push(`${page.url()}: ${err.message}`));
  // For the log: what the server refused or failed (some refusals are expected).
  page.on('response', (r) => {
    if (r.status() >= 400) console.log(`# ${slug}: ${r.request().method()} ${r.url()} → ${r.status()}`);
  });
  return { context, page };
}

/** Opens `path` on the tenant's host and expects a 2xx page. */
async function visit(page, slug, path) {
  const response = await page.goto(base(slug) + path, { waitUntil: 'load' });
  assert.ok(response, `GET ${path} at ${slug}: no response`);
  assert.ok(
    response.ok(),
    `GET ${path} at ${slug} answered ${response.status()} (ended at ${page.url()})`,
  );
  return response;
}

/** axe-core on the page as it is: the WCAG 2.1 A/AA violations, readable. */
async function axeViolations(page, label) {
  // Evaluated over the DevTools protocol, so the page's Content-Security-Policy allows it.
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.evaluate(axe.source);
  }
  const result = await page.evaluate(
    (tags) =>
      window.axe.run(document, {
        runOnly: { type: 'tag', values: tags },
        resultTypes: ['violations'],
      }),
    AXE_TAGS,
  );
  return result.violations.map((v) => {
    const nodes = v.nodes
      .map((n) => `      at ${n.target.join(' ')}\n        ${(n.failureSummary ?? '').replace(/\n/g, '\n        ')}`)
      .join('\n');
    return `  ${label}: ${v.id} [${v.impact}] ${v.help} (${v.tags.filter((t) => t.startsWith('wcag')).join(', ')})\n    ${v.helpUrl}\n${nodes}`;
  });
}

function fileName(path) {
  const name = path.replace(/^\//, '').replace(/[^a-z0-9-]+/gi, '_').replace(/_+$/, '');
  return name === '' ? 'strona-glowna' : name;
}

/**
 * Full-page screenshots at desktop and phone widths; the page is left at desktop width. At the
 * phone width the page must not scroll sideways (WCAG 1.4.10 Reflow, which axe does not check;
 * a wide table may scroll inside its own box): a message if it does.
 */
async function screenshots(page, slug, name) {
  const dir = join(ARTIFACTS, slug);
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: join(dir, `${name}-phone.png`), fullPage: true });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  await page.setViewportSize(DESKTOP);
  return width > PHONE.width
    ? [`  ${slug} ${name}: reflow (WCAG 1.4.10): at ${PHONE.width} px the page is ${width} px wide`]
    : [];
}

/** axe + screenshots + the HTML kept for the isolation check. */
async function inspect(page, slug, path, name, violations) {
  violations.push(...(await axeViolations(page, `${slug} ${path}`)));
  state[slug].pages.set(path, await page.content());
  violations.push(...(await screenshots(page, slug, name ?? fileName(path))));
}

/** On failure, what the browser showed: a screenshot and the HTML next to the artefacts. */
async function keepEvidence(page, slug, step, fn) {
  try {
    return await fn();
  } catch (err) {
    const dir = join(ARTIFACTS, 'failures');
    mkdirSync(dir, { recursive: true });
    const stem = join(dir, `${slug}-${step}`);
    await page.screenshot({ path: `${stem}.png`, fullPage: true }).catch(() => {});
    const html = await page.content().catch(() => '');
    writeFileSync(`${stem}.html`, html);
    const note = `\n(at ${page.url()}; the page is saved as ${stem}.png and .html)`;
    err.message += note;
    if (typeof err.stack === 'string') err.stack += note;
    throw err;
  }
}

/** Like `visit`, but a page that does not answer 2xx is noted in `problems`: false then. */
async function visitOrNote(page, slug, path, problems) {
  try {
    await visit(page, slug, path);
    return true;
  } catch (err) {
    problems.push(`  ${err.message.split('\n')[0]}`);
    return false;
  }
}

function assertNoProblems(problems, violations) {
  const report = [];
  if (problems.length > 0) report.push(`pages that did not open:\n${problems.join('\n')}`);
  if (violations.length > 0) {
    report.push(`axe-core found WCAG 2.1 A/AA violations:\n${violations.join('\n')}`);
  }
  assert.equal(report.length, 0, report.join('\n'));
}

function assertNoViolations(violations) {
  assert.equal(
    violations.length,
    0,
    `axe-core found WCAG 2.1 A/AA violations:\n${violations.join('\n')}`,
  );
}

async function balance(page) {
  const text = await page.locator('#saldo').first().innerText();
  return parseMoney(text);
}

/** A GraphQL request to the tenant over plain HTTP (Host header), for reference data only. */
function graphql(slug, query, variables, token) {
  const body = JSON.stringify({ query, variables });
  return new Promise((resolvePromise, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: PORT,
        path: '/graphql',
        method: 'POST',
        headers: {
          Host: `${slug}.localhost:${PORT}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => {
          try {
            const json = JSON.parse(text);
            if (json.errors) reject(new Error(`GraphQL at ${slug}: ${text}`));
            else resolvePromise(json.data);
          } catch (e) {
            reject(new Error(`GraphQL at ${slug} answered ${res.statusCode}: ${text} (${e})`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The tenant file's top-level `name` and `nip`, and every `nrb` in it. */
function tenantFacts(slug) {
  const text = readFileSync(join(REPO, 'tenants', `${slug}.toml`), 'utf8');
  const topLevel = text.split(/^\[/m)[0];
  const value = (key, src) => src.match(new RegExp(`^${key}\\s*=\\s*"([^"]*)"`, 'm'))?.[1];
  return {
    name: value('name', topLevel),
    nip: value('nip', topLevel),
    nrbs: [...text.matchAll(/^nrb\s*=\s*"([^"]*)"/gm)].map((m) => m[1]),
  };
}

/**
 * What identifies the tenant and its demo resident: the resident's party (name, PESEL tail,
 * NIP), its virtual accounts, installment and payment ids, and the tenant's own name, NIP and
 * bank accounts. Read from the API and the tenant file, not from the pages under test.
 */
async function identifiers(slug) {
  const login = await graphql(
    slug,
    'mutation($e: String!, $p: String!) { auth { login(email: $e, password: $p) { accessToken } } }',
    { e: EMAIL(slug), p: PASSWORD },
  );
  const token = login.auth.login.accessToken;
  const data = await graphql(
    slug,
    `{ finance { account {
        party { number name peselMasked nip }
        virtualAccounts { nrb }
        obligations(status: ALL) { installments { id } } } } }`,
    {},
    token,
  );
  const account = data.finance.account;
  const facts = tenantFacts(slug);
  const strings = [
    { what: 'tenant name', value: facts.name },
    { what: 'tenant NIP', value: facts.nip },
    { what: 'resident party name', value: account.party.name },
    { what: 'resident PESEL (masked)', value: account.party.peselMasked },
    { what: 'resident NIP', value: account.party.nip },
    ...facts.nrbs.map((nrb) => ({ what: 'tenant bank account', value: nrb, digits: true })),
    ...account.virtualAccounts.map((v) => ({
      what: 'resident virtual account',
      value: v.nrb,
      digits: true,
    })),
    ...account.obligations.flatMap((o) =>
      o.installments.map((i) => ({ what: 'installment id', value: i.id })),
    ),
  ].filter((s) => typeof s.value === 'string' && s.value.trim().length >= 6);
  return { strings, partyNumber: account.party.number };
}

function signedInGuard(html) {
  return /id=["']saldo["']|name=["']installment["']/.test(html);
}

// ------------------------------------------------------------------------------------------
// The tests, in order

test('the harness reports the axe and reflow violations it is shown', async () => {
  const page = await browser.newPage();
  await page.setContent('<html><body><main><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>');
  const found = (await axeViolations(page, 'fixture')).join('\n');
  assert.match(found, /image-alt/, 'an image without alt text');
  assert.match(found, /html-has-lang/, 'a page without lang');
  await page.setViewportSize(DESKTOP);
  await page.setContent('<html lang="pl"><body><main><p style="width:600px">Szeroko</p></main></body></html>');
  const reflow = (await screenshots(page, 'harness', 'szeroka-strona')).join('\n');
  await page.close();
  assert.match(reflow, /reflow \(WCAG 1\.4\.10\): at 390 px the page is \d+ px wide/);
});

for (const slug of SLUGS) {
  test(`${slug}: public pages pass axe-core and link the accessibility statement`, async () => {
    const { context, page } = await newResidentContext(slug);
    state[slug].context = context;
    state[slug].page = page;
    const violations = [];
    const problems = [];
    await keepEvidence(page, slug, 'public', async () => {
      await visit(page, slug, '/');
      const facts = tenantFacts(slug);
      assert.ok(
        (await page.locator('body').innerText()).includes(facts.name),
        `the public page of ${slug} names the tenant (${facts.name})`,
      );
      assert.ok(
        (await page.locator('a[href$="/deklaracja-dostepnosci"]').count()) > 0,
        'the public page links /deklaracja-dostepnosci',
      );
      await inspect(page, slug, '/', 'strona-glowna', violations);
      for (const path of ['/deklaracja-dostepnosci', '/rejestracja', '/reset-hasla', '/logowanie']) {
        // A missing page is reported with the others' findings, not instead of them.
        if (await visitOrNote(page, slug, path, problems)) {
          await inspect(page, slug, path, null, violations);
        }
      }
      // The e-mailed links with a bad token: a refusal the resident can read, not a crash.
      // The confirmation link asks for a press of its button first (link scanners open links).
      for (const [path, name, press] of [
        ['/weryfikacja?token=nieprawidlowy', 'weryfikacja-zly-link', 'Potwierdź adres e-mail'],
        ['/reset-hasla/nowe?token=nieprawidlowy', 'reset-hasla-nowe-zly-link', null],
      ]) {
        const response = await page.goto(base(slug) + path, { waitUntil: 'load' });
        const status = response?.status() ?? 0;
        if (status === 0 || status === 404 || status >= 500) {
          problems.push(`  GET ${path} at ${slug} answered ${status}`);
          continue;
        }
        if (press) {
          await inspect(page, slug, path, `${name}-przycisk`, violations);
          const [answer] = await Promise.all([
            page.waitForNavigation({ waitUntil: 'load' }),
            page.getByRole('button', { name: press }).click(),
          ]);
          if (answer?.status() !== 422) {
            problems.push(`  POST ${path} at ${slug} answered ${answer?.status()}, not 422`);
            continue;
          }
        }
        await inspect(page, slug, press ? `${path} (po potwierdzeniu)` : path, name, violations);
      }
    });
    assertNoProblems(problems, violations);
  });

  test(`${slug}: sign in, pay one installment through the sandbox gateway, balance falls by it`, async () => {
    const { page } = state[slug];
    assert.ok(page, 'the public-pages test opened the page');
    const violations = [];
    await keepEvidence(page, slug, 'payment', async () => {
      // A wrong password: the form says so in an alert, and stays accessible.
      await visit(page, slug, '/logowanie');
      await page.locator('input[name="email"]').fill(EMAIL(slug));
      await page.locator('input[name="password"]').fill(`${PASSWORD}-zle`);
      await page.locator('form:has(input[name="password"]) [type="submit"]').first().click();
      await page.locator('[role="alert"]').first().waitFor();
      assert.equal(new URL(page.url()).pathname, '/logowanie', 'a wrong password signs nobody in');
      await inspect(page, slug, '/logowanie (błędne hasło)', 'logowanie-blad', violations);

      // Sign in through the form.
      await visit(page, slug, '/logowanie');
      await page.locator('input[name="email"]').fill(EMAIL(slug));
      await page.locator('input[name="password"]').fill(PASSWORD);
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/naleznosci', { timeout: NAV_TIMEOUT_MS }),
        page.locator('form:has(input[name="password"]) [type="submit"]').first().click(),
      ]);
      const before = await balance(page);
      assert.ok(before > 0n, `the demo resident of ${slug} owes something (#saldo ${formatGrosze(before)})`);
      await inspect(page, slug, '/naleznosci (przed płatnością)', 'naleznosci', violations);

      // One installment: its row shows the amount the gateway must be asked for.
      const box = page.locator('input[type="checkbox"][name="installment"]:not([disabled])').first();
      assert.ok((await box.count()) === 1, 'an installment can be selected');
      const installmentId = await box.getAttribute('value');
      const rowAmounts = findMoney(await box.locator('xpath=ancestor::tr[1]').innerText());
      assert.ok(rowAmounts.length > 0, `the row of installment ${installmentId} shows an amount`);
      await box.check();
      await page.locator('input[type="radio"][name="gateway"][value="sandbox"]').check();
      await Promise.all([
        page.waitForURL((u) => u.pathname.startsWith('/payments/sandbox/'), {
          timeout: NAV_TIMEOUT_MS,
        }),
        page.locator('button[name="action"][value="pay_selected"]').click(),
      ]);

      // The sandbox gateway: the amount is the installment's, as the row showed it.
      const amount = parseMoney(await page.locator('.amount').first().innerText());
      assert.ok(
        rowAmounts.includes(amount),
        `the gateway asks for ${formatGrosze(amount)}, one of the row's amounts ` +
          `(${rowAmounts.map(formatGrosze).join(', ')})`,
      );
      await inspect(page, slug, '/payments/sandbox', 'bramka-testowa', violations);
      await page.locator('button[name="decision"][value="approve"]').click();
      await page.waitForLoadState('load');
      if (!new URL(page.url()).pathname.startsWith('/platnosci/')) {
        // The gateway shows its verdict with a link back to the municipality's service.
        await Promise.all([
          page.waitForURL((u) => u.pathname.startsWith('/platnosci/'), {
            timeout: NAV_TIMEOUT_MS,
          }),
          page.locator('a', { hasText: 'Wróć do serwisu' }).click(),
        ]);
      }
      const paymentId = new URL(page.url()).pathname.split('/')[2];
      assert.match(paymentId, /^[0-9a-f-]{8,}$/i, 'the status page names the payment');
      state[slug].paymentId = paymentId;

      // The status updates live once the gateway's notification is posted.
      await page
        .locator('#status-platnosci')
        .filter({ hasText: STATUS_PAID })
        .waitFor({ timeout: STATUS_TIMEOUT_MS });
      assert.equal(
        await page.locator('#status-platnosci').getAttribute('aria-live'),
        'polite',
        '#status-platnosci is announced (aria-live="polite")',
      );
      assert.ok(
        (await page.locator(`a[href$="/payments/${paymentId}/receipt"]`).count()) > 0,
        'the status page links the receipt',
      );

      // A fresh load of the status page and of the obligations: the same, lower balance.
      await visit(page, slug, `/platnosci/${paymentId}`);
      const afterOnStatus = await balance(page);
      await visit(page, slug, '/naleznosci');
      const after = await balance(page);
      assert.equal(after, afterOnStatus, '#saldo agrees on /platnosci and /naleznosci');
      assert.equal(
        before - after,
        amount,
        `#saldo fell from ${formatGrosze(before)} to ${formatGrosze(after)}: by ` +
          `${formatGrosze(before - after)}, not by the ${formatGrosze(amount)} paid`,
      );
      assert.equal(
        await page
          .locator(`input[name="installment"][value="${installmentId}"]:not([disabled])`)
          .count(),
        0,
        'the paid installment can no longer be selected',
      );
      state[slug].balanceAfter = after;

      // The receipt is served to its payer (fetched by the page: the browser resolves the host
      // and sends the session cookie).
      const receipt = await page.evaluate(async (url) => {
        const r = await fetch(url);
        return { status: r.status, type: r.headers.get('content-type') ?? '' };
      }, `/payments/${paymentId}/receipt`);
      assert.equal(receipt.status, 200, `the receipt of ${paymentId}: ${JSON.stringify(receipt)}`);
    });
    assertNoViolations(violations);
  });

  test(`${slug}: every resident page passes axe-core; screenshots`, async () => {
    const { page, paymentId } = state[slug];
    assert.ok(page && paymentId, 'the payment test paid');
    const violations = [];
    const problems = [];
    await keepEvidence(page, slug, 'resident-pages', async () => {
      for (const path of [
        '/naleznosci',
        `/platnosci/${paymentId}`,
        '/przelew',
        '/historia',
        '/powiadomienia',
        '/powiaz',
      ]) {
        if (!(await visitOrNote(page, slug, path, problems))) continue;
        const name = { '/naleznosci': 'naleznosci-po-platnosci' }[path] ??
          (path.startsWith('/platnosci/') ? 'platnosc' : null);
        await inspect(page, slug, path, name, violations);
        if (path === '/przelew') {
          const qr = page.locator(
            'main svg, main img[src^="data:image/svg+xml"], main img[src$=".svg"]',
          );
          assert.ok((await qr.count()) > 0, '/przelew shows the transfer QR code as SVG');
          assert.ok(
            await qr.first().evaluate((el) => el.tagName.toLowerCase() === 'svg' || el.naturalWidth > 0),
            'the QR code image decodes',
          );
          assert.match(
            (await page.locator('main').innerText()).replace(/\s/g, ''),
            /\d{26}/,
            '/przelew shows a 26-digit NRB',
          );
        }
        if (path === '/historia') {
          assert.equal(await balance(page), state[slug].balanceAfter, '#saldo on /historia');
        }
      }
    });
    assertNoProblems(problems, violations);
    assert.deepEqual(state[slug].errors, [], 'no script error on any page');
  });
}

test('tenant isolation: no page of one tenant shows the other tenant\'s data', async () => {
  for (const slug of SLUGS) {
    state[slug].identifiers = await identifiers(slug);
    assert.ok(state[slug].pages.size >= 10, `${slug}: the pages were visited`);
  }
  // The search finds what it looks for: each tenant's own pages show its resident's name, an
  // installment id and a virtual account (so the needles are in the form the pages use).
  for (const slug of SLUGS) {
    const own = state[slug].identifiers.strings;
    const all = [...state[slug].pages.values()].join('\n');
    const compact = all.replace(/[\s\u00a0\u202f]/g, '');
    for (const what of ['resident party name', 'installment id', 'resident virtual account']) {
      assert.ok(
        own.some((n) => n.what === what && (n.digits ? compact.includes(n.value) : all.includes(n.value))),
        `${slug}'s own pages show its ${what}`,
      );
    }
  }
  const [a, b] = SLUGS;
  const leaks = [];
  for (const [owner, viewer] of [
    [a, b],
    [b, a],
  ]) {
    const own = new Set(state[viewer].identifiers.strings.map((s) => s.value));
    // A value both tenants legitimately share (e.g. the same generated name) proves nothing.
    const needles = state[owner].identifiers.strings.filter((s) => !own.has(s.value));
    needles.push({ what: 'payment id', value: state[owner].paymentId });
    for (const [path, html] of state[viewer].pages) {
      const compact = html.replace(/[\s\u00a0\u202f]/g, '');
      for (const n of needles) {
        const hay = n.digits ? compact : html;
        const needle = n.digits ? n.value.replace(/\D/g, '') : n.value;
        if (hay.includes(needle)) {
          leaks.push(`  ${viewer} ${path} shows ${owner}'s ${n.what}: ${n.value}`);
        }
      }
    }
    console.log(`# ${viewer}'s ${state[viewer].pages.size} pages checked for ${needles.length} of ${owner}'s identifiers`);
  }
  assert.deepEqual(leaks, [], `one tenant's data on another's pages:\n${leaks.join('\n')}`);
});

test('tenant isolation: a session of one tenant does not open the other', async () => {
  for (const [owner, other] of [
    [SLUGS[0], SLUGS[1]],
    [SLUGS[1], SLUGS[0]],
  ]) {
    const { context, page } = state[owner];
    // In the same browser: the owner's cookies are host-only, so the other host gets none.
    await page.goto(`${base(other)}/naleznosci`, { waitUntil: 'load' });
    assert.equal(new URL(page.url()).pathname, '/logowanie', `${owner}'s browser at ${other}`);
    assert.ok(!signedInGuard(await page.content()), `${other} shows no account to ${owner}'s browser`);

    // Cookies carried over by hand: accepted on their own host, refused on the other.
    const cookies = (await context.cookies(base(owner))).filter((c) => c.name !== '');
    assert.ok(cookies.length > 0, `${owner} set a session cookie`);
    for (const c of cookies) {
      assert.ok(!c.domain.startsWith('.'), `${owner}'s cookie ${c.name} is host-only (${c.domain})`);
    }
    const replay = async (host) => {
      const ctx = await browser.newContext({ viewport: DESKTOP });
      await ctx.addCookies(
        cookies.map((c) => ({
          name: c.name,
          value: c.value,
          domain: `${host}.localhost`,
          path: c.path,
          httpOnly: c.httpOnly,
          secure: c.secure,
          sameSite: c.sameSite,
        })),
      );
      const p = await ctx.newPage();
      await p.goto(`${base(host)}/naleznosci`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
      const result = { path: new URL(p.url()).pathname, signedIn: signedInGuard(await p.content()) };
      await ctx.close();
      return result;
    };
    const home = await replay(owner);
    assert.deepEqual(home, { path: '/naleznosci', signedIn: true }, `${owner}'s cookies at ${owner}`);
    const away = await replay(other);
    assert.deepEqual(away, { path: '/logowanie', signedIn: false }, `${owner}'s cookies at ${other}`);
  }
});

for (const slug of SLUGS) {
  test(`${slug}: "Wyloguj" ends the session`, async () => {
    const { context, page } = state[slug];
    await keepEvidence(page, slug, 'logout', async () => {
      await visit(page, slug, '/naleznosci');
      await Promise.all([
        page.waitForURL((u) => u.pathname !== '/naleznosci', { timeout: NAV_TIMEOUT_MS }),
        page.locator('form[action$="/wyloguj"] [type="submit"]').first().click(),
      ]);
      await page.goto(`${base(slug)}/naleznosci`, { waitUntil: 'load' });
      assert.equal(new URL(page.url()).pathname, '/logowanie', 'signed out');
    });
    await context.close();
  });
}
