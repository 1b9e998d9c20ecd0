// Test names must not carry raw U+2028/U+2029: TAP reads them as line breaks and loses the count.
// `printable` is JSON.stringify with those two escaped as well.

export function printable(s: string): string {
  return JSON.stringify(s).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}
