// ed25519-batch.node: Ed25519 signature checks of a long membership chain (a fresh peer's first fetch) on
// libuv's thread pool, calling the OpenSSL that node itself carries, so that no JS worker has to start and no
// JS runs per check. See src/membership/signature-pool.ts, which feeds it, and docs/membership.md.
//
// OpenSSL's symbols are those exported by the node binary (resolved when the addon is loaded, as the Node-API
// ones are); the few prototypes used are declared here, from OpenSSL's stable ABI (1.1.1 and 3.x), so that
// building needs no OpenSSL headers. Each check is exactly what node:crypto's verify(null, message, key,
// signature) does with an Ed25519 public key: EVP_DigestVerifyInit with no digest, then EVP_DigestVerify,
// with the same library, so the verdict is the same for every input.
//
// The packed format (packChecks in signature-pool.ts), per check: a valid byte (1: the key has 32 bytes, the
// signature 64 and the message could be derived; anything else fails unchecked), the 32-byte key, the 64-byte
// signature, the message length (uint32 big-endian) and the message. Nothing of it is trusted: a check that
// does not fit in the buffer, and every one after it, fails; results are written only within their buffer.
//
// createPool(maxLanes, settled) -> pool
//   A queue of chunks. `settled()` is called on the main thread each time a lane ends (see below).
// post(pool, bytes, results)
//   Queues a chunk: `bytes` (Uint8Array, packed checks) is verified into `results` (Uint8Array, one byte per
//   check, 1 = verified, 0 = not; its last byte, after the checks', is set to 1 once the chunk is done). A lane
//   (a napi_async_work on libuv's pool) starts if fewer than maxLanes run. The caller keeps both arrays alive
//   (referenced) until every lane has ended, and must use SharedArrayBuffer-backed arrays (never detached).
// help(pool)
//   Verifies on the calling thread the chunks no lane has taken yet.
// close(pool, drop)
//   No more chunks (post then throws); with `drop`, those no lane has taken are left unverified.
// Memory: the pool is freed once its JS handle is collected and its last lane has ended; `settled` is
// released once the pool is closed and no lane is left, so a pool that is closed can be collected; one never
// closed lives as long as the process. Close a pool before the process exits: process.exit waits for the lanes
// (libuv joins its threads), and close(pool, true) leaves them only the chunk each holds. The addon takes no
// reference to the arrays it is given (the caller's, above), nor checks that they are shared: the one caller,
// NativeSignaturePool, keeps them in its chunk list until it is closed and every lane has ended.

#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// --- OpenSSL (the node binary's own) ---------------------------------------------------------------------
typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_md_ctx_st EVP_MD_CTX;
typedef struct evp_md_st EVP_MD;
typedef struct evp_pkey_ctx_st EVP_PKEY_CTX;
typedef struct engine_st ENGINE;
#define ENV_SYNC_EVP_PKEY_ED25519 1087 // NID_ED25519

EVP_PKEY *EVP_PKEY_new_raw_public_key(int type, ENGINE *e, const unsigned char *pub, size_t len);
void EVP_PKEY_free(EVP_PKEY *pkey);
EVP_MD_CTX *EVP_MD_CTX_new(void);
void EVP_MD_CTX_free(EVP_MD_CTX *ctx);
int EVP_MD_CTX_reset(EVP_MD_CTX *ctx);
int EVP_DigestVerifyInit(EVP_MD_CTX *ctx, EVP_PKEY_CTX **pctx, const EVP_MD *type, ENGINE *e, EVP_PKEY *pkey);
int EVP_DigestVerify(EVP_MD_CTX *ctx, const unsigned char *sig, size_t siglen, const unsigned char *tbs,
                     size_t tbslen);
void ERR_clear_error(void);

// --- Verifying a packed chunk --------------------------------------------------------------------------------
#define HEADER 101 // valid byte, key (32), signature (64), length (4)
#define KEY_CACHE 8

typedef struct {
  unsigned char key[32];
  EVP_PKEY *pkey; // NULL: not a usable key (verifies nothing)
  int used;
} cached_key;

typedef struct {
  cached_key keys[KEY_CACHE];
  size_t next; // the slot replaced next (round robin)
  EVP_MD_CTX *ctx;
} verifier;

static void verifier_init(verifier *v) {
  memset(v, 0, sizeof *v);
  v->ctx = EVP_MD_CTX_new();
}

static void verifier_free(verifier *v) {
  for (size_t i = 0; i < KEY_CACHE; i++)
    if (v->keys[i].used) EVP_PKEY_free(v->keys[i].pkey);
  EVP_MD_CTX_free(v->ctx);
  memset(v, 0, sizeof *v);
}

// A chain has few signers, each signing many events, and many keys seen once (join requests): a small cache.
static EVP_PKEY *key_for(verifier *v, const unsigned char *key) {
  for (size_t i = 0; i < KEY_CACHE; i++)
    if (v->keys[i].used && memcmp(v->keys[i].key, key, 32) == 0) return v->keys[i].pkey;
  cached_key *slot = &v->keys[v->next];
  v->next = (v->next + 1) % KEY_CACHE;
  if (slot->used) EVP_PKEY_free(slot->pkey);
  memcpy(slot->key, key, 32);
  slot->pkey = EVP_PKEY_new_raw_public_key(ENV_SYNC_EVP_PKEY_ED25519, NULL, key, 32);
  slot->used = 1;
  return slot->pkey;
}

static int verify_one(verifier *v, const unsigned char *key, const unsigned char *signature,
                      const unsigned char *message, size_t length) {
  if (v->ctx == NULL) return 0;
  EVP_PKEY *pkey = key_for(v, key);
  if (pkey == NULL) return 0;
  // EVP_DigestVerify with an Ed25519 key is one-shot: the context is set up again for each check (as node does).
  EVP_MD_CTX_reset(v->ctx);
  int ok = EVP_DigestVerifyInit(v->ctx, NULL, NULL, NULL, pkey) == 1 &&
           EVP_DigestVerify(v->ctx, signature, 64, message, length) == 1;
  ERR_clear_error(); // a failed check leaves errors on this thread's queue; node's verify clears them too
  return ok;
}

// Verifies `bytes` into `results` (see the format above); then the done byte, when there is room for it.
static void verify_packed(const unsigned char *bytes, size_t size, unsigned char *results, size_t capacity) {
  verifier v;
  verifier_init(&v);
  size_t k = 0;
  size_t at = 0;
  // The last result byte is the done byte: at most capacity - 1 checks.
  while (at < size && k + 1 < capacity) {
    if (size - at < HEADER) break;
    const unsigned char *check = bytes + at;
    size_t length = ((size_t)check[97] << 24) | ((size_t)check[98] << 16) | ((size_t)check[99] << 8) |
                    (size_t)check[100];
    if (length > size - at - HEADER) break;
    results[k] = check[0] == 1 && verify_one(&v, check + 1, check + 33, check + HEADER, length) ? 1 : 0;
    at += HEADER + length;
    k++;
  }
  for (; k + 1 < capacity; k++) results[k] = 0; // a malformed tail fails
  verifier_free(&v);
  if (capacity > 0) __atomic_store_n(&results[capacity - 1], 1, __ATOMIC_RELEASE);
}

// --- The queue and its lanes ---------------------------------------------------------------------------------
// A lane is a napi_async_work on libuv's pool that verifies chunks until the queue is empty, then ends: it
// never waits for work, so it never holds a pool thread that file system calls (which share the pool) need.
// post() starts one whenever fewer than `max_lanes` are running; the count is kept under the lock, so a chunk
// is either taken by a running lane or starts a new one.

typedef struct chunk {
  struct chunk *next;
  const unsigned char *bytes;
  size_t size;
  unsigned char *results;
  size_t capacity;
} chunk;

typedef struct {
  pthread_mutex_t lock;
  chunk *head;      // under lock
  chunk *tail;      // under lock
  int running;      // under lock: lanes in lane_execute that have not yet found the queue empty
  int closed;       // under lock
  int max_lanes;    // set once
  int pending;      // main thread: lanes queued whose completion has not run
  int holders;      // main thread: the JS handle plus `pending`; the pool is freed at zero
  napi_ref settled; // main thread: called after each lane's completion; dropped once closed and no lane pending
} pool;

static void free_chunks(chunk *c) {
  while (c != NULL) {
    chunk *next = c->next;
    free(c);
    c = next;
  }
}

static void pool_release(pool *p) {
  if (--p->holders > 0) return;
  free_chunks(p->head);
  pthread_mutex_destroy(&p->lock);
  free(p);
}

// The next chunk, or NULL when the queue is empty; `lane`: the caller is a lane, which then stops running.
static chunk *pool_take(pool *p, int lane) {
  pthread_mutex_lock(&p->lock);
  chunk *c = p->head;
  if (c != NULL) {
    p->head = c->next;
    if (p->head == NULL) p->tail = NULL;
  } else if (lane) {
    p->running--;
  }
  pthread_mutex_unlock(&p->lock);
  return c;
}

typedef struct {
  pool *pool;
  napi_async_work work;
} lane;

static void lane_execute(napi_env env, void *data) {
  (void)env;
  lane *l = data;
  for (chunk *c = pool_take(l->pool, 1); c != NULL; c = pool_take(l->pool, 1)) {
    verify_packed(c->bytes, c->size, c->results, c->capacity);
    free(c);
  }
}

static void drop_settled(napi_env env, pool *p) {
  if (p->settled == NULL) return;
  napi_delete_reference(env, p->settled);
  p->settled = NULL;
}

static void lane_complete(napi_env env, napi_status status, void *data) {
  (void)status;
  lane *l = data;
  pool *p = l->pool;
  napi_delete_async_work(env, l->work);
  free(l);
  p->pending--;
  napi_value settled, global;
  if (p->settled != NULL && napi_get_reference_value(env, p->settled, &settled) == napi_ok &&
      settled != NULL && napi_get_global(env, &global) == napi_ok)
    napi_call_function(env, global, settled, 0, NULL, NULL);
  pthread_mutex_lock(&p->lock);
  int closed = p->closed;
  pthread_mutex_unlock(&p->lock);
  if (closed && p->pending == 0) drop_settled(env, p);
  pool_release(p);
}

// Queues a lane (the caller counted it in `running`); 0 when it could not be.
static int start_lane(napi_env env, pool *p) {
  lane *l = calloc(1, sizeof *l);
  if (l == NULL) return 0;
  l->pool = p;
  napi_value name;
  if (napi_create_string_utf8(env, "env-sync:ed25519-batch", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, lane_execute, lane_complete, l, &l->work) != napi_ok) {
    free(l);
    return 0;
  }
  if (napi_queue_async_work(env, l->work) != napi_ok) {
    napi_delete_async_work(env, l->work);
    free(l);
    return 0;
  }
  p->pending++;
  p->holders++;
  return 1;
}

// --- Node-API ------------------------------------------------------------------------------------------------
static napi_value fail(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static void pool_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  pool *p = data;
  pthread_mutex_lock(&p->lock);
  p->closed = 1;
  pthread_mutex_unlock(&p->lock);
  pool_release(p);
}

static pool *pool_arg(napi_env env, napi_value value) {
  void *data = NULL;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external) return NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok) return NULL;
  return data;
}

static int bytes_arg(napi_env env, napi_value value, unsigned char **data, size_t *length) {
  bool is_typed_array = false;
  if (napi_is_typedarray(env, value, &is_typed_array) != napi_ok || !is_typed_array) return 0;
  napi_typedarray_type type;
  void *pointer = NULL;
  if (napi_get_typedarray_info(env, value, &type, length, &pointer, NULL, NULL) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *data = pointer;
  if (*data == NULL) *length = 0;
  return 1;
}

// createPool(maxLanes, settled)
static napi_value create_pool(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t max_lanes = 0;
  napi_valuetype type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &max_lanes) != napi_ok || max_lanes < 0 ||
      napi_typeof(env, argv[1], &type) != napi_ok || type != napi_function)
    return fail(env, "createPool(maxLanes: number, settled: function)");
  pool *p = calloc(1, sizeof *p);
  if (p == NULL) return fail(env, "out of memory");
  pthread_mutex_init(&p->lock, NULL);
  p->max_lanes = max_lanes;
  p->holders = 1;
  napi_value handle;
  if (napi_create_reference(env, argv[1], 1, &p->settled) != napi_ok) {
    pool_release(p);
    return fail(env, "cannot create the pool");
  }
  if (napi_create_external(env, p, pool_finalize, NULL, &handle) != napi_ok) {
    drop_settled(env, p);
    pool_release(p);
    return fail(env, "cannot create the pool");
  }
  return handle;
}

// post(pool, bytes, results)
static napi_value post(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3)
    return fail(env, "post(pool, bytes, results)");
  pool *p = pool_arg(env, argv[0]);
  chunk *c = calloc(1, sizeof *c);
  if (c == NULL) return fail(env, "out of memory");
  unsigned char *bytes;
  if (p == NULL || !bytes_arg(env, argv[1], &bytes, &c->size) ||
      !bytes_arg(env, argv[2], &c->results, &c->capacity)) {
    free(c);
    return fail(env, "post(pool, bytes: Uint8Array, results: Uint8Array)");
  }
  c->bytes = bytes;
  pthread_mutex_lock(&p->lock);
  if (p->closed) {
    pthread_mutex_unlock(&p->lock);
    free(c);
    return fail(env, "the pool is closed");
  }
  if (p->tail == NULL) p->head = c;
  else p->tail->next = c;
  p->tail = c;
  int start = p->running < p->max_lanes;
  if (start) p->running++;
  pthread_mutex_unlock(&p->lock);
  if (start && !start_lane(env, p)) {
    // No lane: the chunk waits for help() (finish), on the main thread.
    pthread_mutex_lock(&p->lock);
    p->running--;
    pthread_mutex_unlock(&p->lock);
  }
  return NULL;
}

// help(pool): verifies, on the calling thread, the chunks no lane has taken yet.
static napi_value help(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1)
    return fail(env, "help(pool)");
  pool *p = pool_arg(env, argv[0]);
  if (p == NULL) return fail(env, "help(pool)");
  for (chunk *c = pool_take(p, 0); c != NULL; c = pool_take(p, 0)) {
    verify_packed(c->bytes, c->size, c->results, c->capacity);
    free(c);
  }
  return NULL;
}

// close(pool, drop): no more chunks; with `drop`, those no lane has taken are dropped (left unverified).
static napi_value close_pool(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  bool drop = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_bool(env, argv[1], &drop) != napi_ok)
    return fail(env, "close(pool, drop: boolean)");
  pool *p = pool_arg(env, argv[0]);
  if (p == NULL) return fail(env, "close(pool, drop: boolean)");
  pthread_mutex_lock(&p->lock);
  p->closed = 1;
  chunk *dropped = drop ? p->head : NULL;
  if (drop) p->head = p->tail = NULL;
  pthread_mutex_unlock(&p->lock);
  free_chunks(dropped);
  if (p->pending == 0) drop_settled(env, p);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"createPool", NULL, create_pool, NULL, NULL, NULL, napi_enumerable, NULL},
      {"post", NULL, post, NULL, NULL, NULL, napi_enumerable, NULL},
      {"help", NULL, help, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, close_pool, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok)
    return NULL;
  return exports;
}
