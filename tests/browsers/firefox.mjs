// One visit of a Teachkit page in Debian's Firefox ESR, driven by puppeteer-core over WebDriver BiDi
// (no geckodriver). Run by tests/browsers/drivers.py: a JSON job on stdin, a JSON report on stdout.
//
// job: {executable, url, inside, photos: [paths], ready: JS, cards: JS, resources: JS,
//       extras: {name: JS}, timeoutMs}
// (the JS snippets are expressions shared with the other browsers' drivers, see drivers.py)
// report: {readyMs, photosMs, backend, cards, resources, extras, outside, errors, console, version}
import puppeteer from 'puppeteer-core';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const job = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const report = {outside: [], errors: [], console: [], extras: {}};
const browser = await puppeteer.launch({
  browser: 'firefox',
  executablePath: job.executable,
  headless: true,
  protocolTimeout: job.timeoutMs,
  // a quiet Firefox: no telemetry, updates or captive-portal checks going out
  extraPrefsFirefox: {
    'app.update.enabled': false,
    'browser.safebrowsing.malware.enabled': false,
    'browser.safebrowsing.phishing.enabled': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'network.captive-portal-service.enabled': false,
    'network.connectivity-service.enabled': false,
    'toolkit.telemetry.enabled': false,
  },
});
try {
  report.version = await browser.version();
  const page = await browser.newPage();
  page.setDefaultTimeout(job.timeoutMs);
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = request.url();
    // blob: and data: URLs are the page's own memory and never reach the network
    if (url.startsWith(job.inside) || url.startsWith('blob:') || url.startsWith('data:')) {
      request.continue();
    } else {
      report.outside.push(url);
      request.abort();
    }
  });
  page.on('pageerror', (e) => report.errors.push(String(e && e.message ? e.message : e)));
  page.on('console', (m) => {
    report.console.push(m.text());
    if (m.type() === 'error') report.errors.push(m.text());
  });

  const start = performance.now();
  await page.goto(job.url, {waitUntil: 'load'});
  report.backend = await page.evaluate(job.ready);
  report.readyMs = performance.now() - start;

  if (job.photos.length) {
    const input = await page.$('#photos');
    const picked = performance.now();
    await input.uploadFile(...job.photos);
    report.cards = await page.evaluate(job.cards);
    report.photosMs = performance.now() - picked;
  }
  report.resources = await page.evaluate(job.resources);
  const seen = report.errors.length; // the extras' failures are theirs to report
  for (const [name, js] of Object.entries(job.extras || {})) {
    report.extras[name] = await page.evaluate(js);
  }
  report.errors.length = seen;
} catch (e) {
  report.failure = String(e && e.stack ? e.stack : e);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(report));
