// The version string printed by `env-sync --version`; the build replaces it with package.json's version.

declare const __ENV_SYNC_VERSION__: string | undefined;

export const VERSION: string = typeof __ENV_SYNC_VERSION__ === 'string' ? __ENV_SYNC_VERSION__ : '0.0.0-dev';
