// Size limits enforced on every object read, written or received. Documented in docs/object-format.md#limits.

export const MAX_OBJECT_BYTES = 32 * 1024 * 1024;
export const MAX_SNAPSHOT_ENTRIES = 100_000;
export const MAX_KEY_BYTES = 1024;
export const MAX_PARENTS = 16;
export const MAX_MESSAGE_BYTES = 64 * 1024;
export const MAX_EVENT_SUBJECT_FIELDS = 32;
