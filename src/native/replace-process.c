// replace-process.node: execve(2) for `env-sync run`, so that the command it runs takes over the process
// (its pid, its signals, its exit status) the way `exec` in a shell or env(1) does, instead of Node forking
// itself to spawn a child and waiting on it. Node 20 has no execve of its own (process.execve came in 22.15).
//
// replaceProcess(file, argv, env, keep) -> errno
//   file  the command, searched for in env's PATH when it has no slash (execvp's rules, with the PATH of the
//         new environment, as libuv's spawn has glibc's execvp do; "/bin:/usr/bin" when it has none)
//   argv  the argument vector, argv[0] included
//   env   "NAME=value" strings
//   keep  the descriptors the program gets besides the standard ones (those Node marked close-on-exec)
// It returns only when no candidate could be executed, with the errno of the most telling failure (EACCES
// over ENOENT, as execvp reports), after putting back what it changed; the caller must have checked that no
// string holds a NUL byte.
//
// Before the execve it undoes, as libuv does in a spawned child, what Node did to the process that the new
// program would otherwise inherit: an ignored signal stays ignored across execve (Node ignores SIGPIPE and
// SIGXFSZ), so those go back to the default (caught ones are reset by execve itself); the signal mask is
// emptied; the standard descriptors lose the close-on-exec flag (libuv sets it on descriptors 0 to 15 and on
// up to the first closed one, when Node starts) and O_NONBLOCK (which a Node stream may have set, on the
// open file description shared with whoever else holds it). Everything else Node opens is close-on-exec.

#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef NSIG
#define NSIG 65
#endif

typedef struct {
  int fd;
  int descriptor_flags; // F_GETFD, or -1 for a descriptor that is not open
  int status_flags;     // F_GETFL
} saved_descriptor;

typedef struct {
  int ignored[NSIG]; // 1 where the signal was ignored (and is now at its default)
  sigset_t mask;
  saved_descriptor *descriptors;
  size_t descriptor_count;
} saved_state;

static void reset_process(saved_state *saved) {
  struct sigaction fallback;
  memset(&fallback, 0, sizeof fallback);
  fallback.sa_handler = SIG_DFL;
  sigemptyset(&fallback.sa_mask);
  for (int signal_number = 1; signal_number < NSIG; signal_number++) {
    struct sigaction current;
    // Numbers the kernel does not know (or the C library reserves for its threads) fail, and are left alone.
    saved->ignored[signal_number] = signal_number != SIGKILL && signal_number != SIGSTOP &&
                                    sigaction(signal_number, NULL, &current) == 0 &&
                                    current.sa_handler == SIG_IGN;
    if (saved->ignored[signal_number]) sigaction(signal_number, &fallback, NULL);
  }
  sigset_t empty;
  sigemptyset(&empty);
  pthread_sigmask(SIG_SETMASK, &empty, &saved->mask);
  for (size_t i = 0; i < saved->descriptor_count; i++) {
    saved_descriptor *descriptor = &saved->descriptors[i];
    descriptor->descriptor_flags = fcntl(descriptor->fd, F_GETFD);
    if (descriptor->descriptor_flags < 0) continue;
    fcntl(descriptor->fd, F_SETFD, descriptor->descriptor_flags & ~FD_CLOEXEC);
    descriptor->status_flags = fcntl(descriptor->fd, F_GETFL);
    if (descriptor->fd < 3 && descriptor->status_flags >= 0 && (descriptor->status_flags & O_NONBLOCK))
      fcntl(descriptor->fd, F_SETFL, descriptor->status_flags & ~O_NONBLOCK);
  }
}

static void restore_process(const saved_state *saved) {
  for (size_t i = 0; i < saved->descriptor_count; i++) {
    const saved_descriptor *descriptor = &saved->descriptors[i];
    if (descriptor->descriptor_flags < 0) continue;
    fcntl(descriptor->fd, F_SETFD, descriptor->descriptor_flags);
    if (descriptor->status_flags >= 0) fcntl(descriptor->fd, F_SETFL, descriptor->status_flags);
  }
  struct sigaction ignore;
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  for (int signal_number = 1; signal_number < NSIG; signal_number++)
    if (saved->ignored[signal_number]) sigaction(signal_number, &ignore, NULL);
  pthread_sigmask(SIG_SETMASK, &saved->mask, NULL);
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
  return "/bin:/usr/bin";
}

static int exec_searching(const char *file, char *const argv[], char *const envp[], size_t argc) {
  if (*file == '\0') return ENOENT;
  if (strchr(file, '/') != NULL) return exec_file(file, argv, envp, argc);
  const char *search = path_of(envp);
  size_t file_length = strlen(file);
  char *candidate = malloc(strlen(search) + file_length + 2);
  if (candidate == NULL) return ENOMEM;
  int failure = ENOENT;
  int denied = 0;
  for (const char *start = search;; start++) {
    const char *end = strchr(start, ':');
    size_t length = end == NULL ? strlen(start) : (size_t)(end - start);
    // An empty entry is the current directory: the bare name, as glibc tries it.
    if (length == 0) {
      memcpy(candidate, file, file_length + 1);
    } else {
      memcpy(candidate, start, length);
      candidate[length] = '/';
      memcpy(candidate + length + 1, file, file_length + 1);
    }
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

// The standard descriptors and those of a JS array of numbers; NULL on a wrong type.
static saved_descriptor *descriptors_to_keep(napi_env env, napi_value array, size_t *count) {
  bool is_array;
  uint32_t extra;
  if (napi_is_array(env, array, &is_array) != napi_ok || !is_array) return NULL;
  if (napi_get_array_length(env, array, &extra) != napi_ok) return NULL;
  saved_descriptor *descriptors = calloc((size_t)extra + 3, sizeof *descriptors);
  if (descriptors == NULL) return NULL;
  for (int fd = 0; fd < 3; fd++) descriptors[fd].fd = fd;
  for (uint32_t i = 0; i < extra; i++) {
    napi_value element;
    int32_t fd;
    if (napi_get_element(env, array, i, &element) != napi_ok ||
        napi_get_value_int32(env, element, &fd) != napi_ok || fd < 3) {
      free(descriptors);
      return NULL;
    }
    descriptors[i + 3].fd = fd;
  }
  *count = (size_t)extra + 3;
  return descriptors;
}

static napi_value replace_process(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  uint32_t argv_count = 0;
  uint32_t env_count = 0;
  saved_state saved;
  memset(&saved, 0, sizeof saved);
  char *file = argc == 4 ? c_string(env, args[0]) : NULL;
  char **argv = argc == 4 ? c_strings(env, args[1], &argv_count) : NULL;
  char **envp = argc == 4 ? c_strings(env, args[2], &env_count) : NULL;
  saved.descriptors = argc == 4 ? descriptors_to_keep(env, args[3], &saved.descriptor_count) : NULL;
  napi_value result = NULL;
  if (file == NULL || argv == NULL || argv_count == 0 || envp == NULL || saved.descriptors == NULL) {
    napi_throw_type_error(env, NULL,
                          "replaceProcess(file, argv, env, keep): a string, two arrays of strings and an array "
                          "of descriptors above 2");
  } else {
    reset_process(&saved);
    int error = exec_searching(file, argv, envp, argv_count);
    restore_process(&saved);
    napi_create_int32(env, error, &result);
  }
  free(file);
  free_strings(argv, argv_count);
  free_strings(envp, env_count);
  free(saved.descriptors);
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value function;
  if (napi_create_function(env, "replaceProcess", NAPI_AUTO_LENGTH, replace_process, NULL, &function) != napi_ok)
    return NULL;
  if (napi_set_named_property(env, exports, "replaceProcess", function) != napi_ok) return NULL;
  return exports;
}
