// Time as env-sync records it everywhere (commits, events, reflogs, expiries): whole seconds since the Unix
// epoch, from this machine's clock.

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
