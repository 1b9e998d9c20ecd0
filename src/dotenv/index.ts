// Public surface of src/dotenv: parse `.env` text with dotenv's parser and serialize an environment
// as dotenv, POSIX shell or JSON text. Callers import from here, not from the files behind it.

export { isValidKeyName, KEY_NAME_PATTERN, keyNameHint, validateKeyName } from './key-name.ts';
export type { DotenvDocument, DotenvEntry } from './parse.ts';
export { MAX_DOTENV_BYTES, parseDotenv, parseDotenvDocument } from './parse.ts';
export { encodeDotenvValue } from './quote.ts';
export { rewriteDotenv } from './rewrite-dotenv.ts';
export { serializeDotenv } from './serialize-dotenv.ts';
export { serializeJson } from './serialize-json.ts';
export { serializeShell } from './serialize-shell.ts';
