// Sync: clone, remote, fetch, merge, pull, push, serve, bundle, upload-pack, receive-pack.

export const syncCommands = [];
