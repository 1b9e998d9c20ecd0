// Notices: one-line messages the core gives while it works (a lock it waits for, a stale lock it takes over).
// The core never prints; the command line decides where they go (stderr), and nothing else hears them.

let sink: (text: string) => void = () => {};

export function setNoticeSink(write: (text: string) => void): void {
  sink = write;
}

export function notice(text: string): void {
  sink(text);
}
