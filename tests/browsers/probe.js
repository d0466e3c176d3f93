// Test-only: keeps what the page reports as an error, for a driver that cannot hear the console
// (WebKitGTK through classic WebDriver). tests/browsers/drivers.py makes it index.html's first script.
(() => {
  const errors = [];
  globalThis.__teachkitProbe = {errors};
  const text = (x) => (x && x.message ? x.message : String(x));
  const consoleError = console.error.bind(console);
  console.error = (...args) => {
    errors.push(args.map(text).join(' '));
    consoleError(...args);
  };
  addEventListener('error', (e) => errors.push(e.error ? text(e.error) : e.message || 'error event'));
  addEventListener('unhandledrejection', (e) => errors.push('unhandled rejection: ' + text(e.reason)));
})();
