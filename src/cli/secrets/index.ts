// Secrets workflow: set, get, list, import, export, run, status, diff, history, env, checkout.

export const secretsCommands = [];
