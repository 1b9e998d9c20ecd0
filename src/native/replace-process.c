// replace-process.node: execve(2) for `env-sync run`, so that the command it runs takes over the process
// (its pid, its signals, its exit status) the way `exec` in a shell or env(1) does, instead of Node forking
// itself to spawn a child and waiting on it. Node 20 has no execve of its own (process.execve came in 22.15).
//
// replaceProcess(file, argv, env) -> errno
//   file  the command, searched for in env's PATH when it has no slash (execvp's rules, PATH from the new
//         environment as libuv's spawn does, "/usr/bin:/bin" when it has none)
//   argv  the argument vector, argv[0] included
//   env   "NAME=value" strings
// It returns only when no candidate could be executed, with the errno of the most telling failure (EACCES
// over ENOENT, as execvp reports), after putting back what it changed; the caller must have checked that no
// string holds a NUL byte.
//
// Before the execve it undoes what Node did to the process that the new program would otherwise inherit, as
// libuv does in a spawned child: every signal's disposition back to the default (Node ignores SIGPIPE and
// SIGXFSZ and catches others; an ignored signal stays ignored across execve), an empty signal mask, and the
// standard descriptors no longer close-on-exec (Node marks them so at start). Everything else Node opens is
// close-on-exec, so the program gets the standard descriptors and whatever env-sync's caller passed down.

#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef NSIG
#define NSIG 65
#endif

typedef struct {
  struct sigaction actions[NSIG];
  int saved[NSIG];
  sigset_t mask;
  int stdio_flags[3];
} saved_state;

static void reset_process(saved_state *saved) {
  struct sigaction fallback;
  memset(&fallback, 0, sizeof fallback);
  fallback.sa_handler = SIG_DFL;
  sigemptyset(&fallback.sa_mask);
  for (int signal_number = 1; signal_number < NSIG; signal_number++) {
    if (signal_number == SIGKILL || signal_number == SIGSTOP) continue;
    // Numbers the kernel does not know (or the C library reserves for its threads) fail, and are left alone.
    saved->saved[signal_number] = sigaction(signal_number, NULL, &saved->actions[signal_number]) == 0;
    if (saved->saved[signal_number]) sigaction(signal_number, &fallback, NULL);
  }
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, &saved->mask);
  // Node marks the standard descriptors close-on-exec when it starts; the program must get them.
  for (int fd = 0; fd < 3; fd++) {
    saved->stdio_flags[fd] = fcntl(fd, F_GETFD);
    if (saved->stdio_flags[fd] >= 0) fcntl(fd, F_SETFD, saved->stdio_flags[fd] & ~FD_CLOEXEC);
  }
}

static void restore_process(const saved_state *saved) {
  for (int fd = 0; fd < 3; fd++)
    if (saved->stdio_flags[fd] >= 0) fcntl(fd, F_SETFD, saved->stdio_flags[fd]);
  for (int signal_number = 1; signal_number < NSIG; signal_number++)
    if (signal_number != SIGKILL && signal_number != SIGSTOP && saved->saved[signal_number])
      sigaction(signal_number, &saved->actions[signal_number], NULL);
  sigprocmask(SIG_SETMASK, &saved->mask, NULL);
}

// execve, and for a file the kernel does not recognise as a program (ENOEXEC: a script without #!), /bin/sh
// reading it, as execvp does.
static int exec_file(const char *path, char *const argv[], char *const envp[], size_t argc) {
  execve(path, argv, envp);
  if (errno != ENOEXEC) return errno;
  char **shell_argv = calloc(argc + 2, sizeof *shell_argv);
  if (shell_argv == NULL) return ENOEXEC;
  shell_argv[0] = "sh";
  shell_argv[1] = (char *)path;
  for (size_t i = 1; i < argc; i++) shell_argv[i + 1] = argv[i];
  execve("/bin/sh", shell_argv, envp);
  free(shell_argv);
  return ENOEXEC;
}

static const char *path_of(char *const envp[]) {
  for (size_t i = 0; envp[i] != NULL; i++)
    if (strncmp(envp[i], "PATH=", 5) == 0) return envp[i] + 5;
  return "/usr/bin:/bin";
}

static int exec_searching(const char *file, char *const argv[], char *const envp[], size_t argc) {
  if (*file == '\0') return ENOENT;
  if (strchr(file, '/') != NULL) return exec_file(file, argv, envp, argc);
  const char *search = path_of(envp);
  size_t file_length = strlen(file);
  char *candidate = malloc(strlen(search) + file_length + 3);
  if (candidate == NULL) return ENOMEM;
  int failure = ENOENT;
  int denied = 0;
  for (const char *start = search;; start++) {
    const char *end = strchr(start, ':');
    size_t length = end == NULL ? strlen(start) : (size_t)(end - start);
    // An empty entry is the current directory.
    if (length == 0) {
      candidate[0] = '.';
      length = 1;
    } else {
      memcpy(candidate, start, length);
    }
    candidate[length] = '/';
    memcpy(candidate + length + 1, file, file_length + 1);
    int error = exec_file(candidate, argv, envp, argc);
    // As glibc's execvp: a directory that does not hold the file (or cannot be reached) is passed over, and
    // so is one where it cannot be executed, which is reported if nothing else is found; anything else ends
    // the search.
    if (error == EACCES) {
      denied = 1;
    } else if (error != ENOENT && error != ENOTDIR && error != ESTALE && error != ENODEV && error != ETIMEDOUT) {
      failure = error;
      break;
    }
    if (end == NULL) break;
    start = end;
  }
  free(candidate);
  return denied && failure == ENOENT ? EACCES : failure;
}

// A JS string as a malloc'd C string; NULL when the value is not a string or memory runs out.
static char *c_string(napi_env env, napi_value value) {
  size_t length;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) return NULL;
  char *text = malloc(length + 1);
  if (text == NULL) return NULL;
  napi_get_value_string_utf8(env, value, text, length + 1, &length);
  return text;
}

static void free_strings(char **strings, uint32_t count) {
  if (strings == NULL) return;
  for (uint32_t i = 0; i < count; i++) free(strings[i]);
  free(strings);
}

// A JS array of strings as a NULL-terminated C array; NULL on a wrong type.
static char **c_strings(napi_env env, napi_value array, uint32_t *count) {
  *count = 0;
  bool is_array;
  if (napi_is_array(env, array, &is_array) != napi_ok || !is_array) return NULL;
  if (napi_get_array_length(env, array, count) != napi_ok) return NULL;
  char **strings = calloc((size_t)*count + 1, sizeof *strings);
  if (strings == NULL) return NULL;
  for (uint32_t i = 0; i < *count; i++) {
    napi_value element;
    if (napi_get_element(env, array, i, &element) != napi_ok ||
        (strings[i] = c_string(env, element)) == NULL) {
      free_strings(strings, *count);
      return NULL;
    }
  }
  return strings;
}

static napi_value replace_process(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value args[3];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  uint32_t argv_count = 0;
  uint32_t env_count = 0;
  char *file = argc == 3 ? c_string(env, args[0]) : NULL;
  char **argv = argc == 3 ? c_strings(env, args[1], &argv_count) : NULL;
  char **envp = argc == 3 ? c_strings(env, args[2], &env_count) : NULL;
  if (file == NULL || argv == NULL || argv_count == 0 || envp == NULL) {
    free(file);
    free_strings(argv, argv_count);
    free_strings(envp, env_count);
    napi_throw_type_error(env, NULL, "replaceProcess(file, argv, env): a string and two arrays of strings");
    return NULL;
  }
  saved_state saved;
  reset_process(&saved);
  int error = exec_searching(file, argv, envp, argv_count);
  restore_process(&saved);
  free(file);
  free_strings(argv, argv_count);
  free_strings(envp, env_count);
  napi_value result;
  napi_create_int32(env, error, &result);
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value function;
  if (napi_create_function(env, "replaceProcess", NAPI_AUTO_LENGTH, replace_process, NULL, &function) != napi_ok)
    return NULL;
  if (napi_set_named_property(env, exports, "replaceProcess", function) != napi_ok) return NULL;
  return exports;
}
