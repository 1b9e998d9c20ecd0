// The options every command takes before or after its name (`-C <path>`, `--debug`, `--no-color`), as
// `--help`, the man pages and the completion scripts list them.

/** Each global option as its usage line shows it, with what it does. */
export const GLOBAL_OPTIONS: readonly (readonly [flags: string, description: string])[] = [
  ['-C <path>', 'run as if env-sync was started in <path> (before the command only)'],
  ['--debug', 'print the stack trace of an error, naming source files and lines'],
  ['--no-color', 'never colour the output (as NO_COLOR=1 does; FORCE_COLOR=1 colours without a terminal)'],
  ['-h, --help', 'show the help of the command'],
];
