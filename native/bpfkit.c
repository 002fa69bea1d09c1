// bpfkit native shim: the only C in the project. It exposes generic syscall pieces and nothing eBPF-specific:
// raw syscall(), bpf(), mmap/munmap of fds into ArrayBuffers, the address of a buffer, and a libuv fd poller.
// Errors come back as negative errno numbers so the hot path never throws or allocates.
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>

#define CHECK(call)                                                                  \
  do {                                                                               \
    if ((call) != napi_ok) {                                                         \
      napi_throw_error(env, NULL, "bpfkit native: N-API call failed: " #call);       \
      return NULL;                                                                   \
    }                                                                                \
  } while (0)

static napi_value make_int64(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

// Reads one syscall argument: a number, a bigint, null/undefined (0), or a buffer/typed array/ArrayBuffer (its address).
static int read_arg(napi_env env, napi_value v, uint64_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_number) {
    int64_t n;
    if (napi_get_value_int64(env, v, &n) != napi_ok) return -1;
    *out = (uint64_t)n;
    return 0;
  }
  if (t == napi_bigint) {
    bool lossless;
    return napi_get_value_bigint_uint64(env, v, out, &lossless) == napi_ok ? 0 : -1;
  }
  if (t == napi_undefined || t == napi_null) {
    *out = 0;
    return 0;
  }
  bool is;
  void *data = NULL;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type tt;
    size_t len, off;
    napi_value ab;
    if (napi_get_typedarray_info(env, v, &tt, &len, &data, &ab, &off) != napi_ok) return -1;
    *out = (uint64_t)(uintptr_t)data;
    return 0;
  }
  if (napi_is_dataview(env, v, &is) == napi_ok && is) {
    size_t len, off;
    napi_value ab;
    if (napi_get_dataview_info(env, v, &len, &data, &ab, &off) != napi_ok) return -1;
    *out = (uint64_t)(uintptr_t)data;
    return 0;
  }
  if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) {
    size_t len;
    if (napi_get_arraybuffer_info(env, v, &data, &len) != napi_ok) return -1;
    *out = (uint64_t)(uintptr_t)data;
    return 0;
  }
  return -1;
}

// syscall(nr, ...args) -> result, or -errno. Up to six arguments.
static napi_value js_syscall(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint64_t a[7] = {0};
  for (size_t i = 0; i < argc; i++) {
    if (read_arg(env, argv[i], &a[i]) != 0) {
      napi_throw_type_error(env, NULL, "syscall arguments must be numbers, bigints or buffers");
      return NULL;
    }
  }
  long r = syscall((long)a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
  return make_int64(env, r < 0 ? -(int64_t)errno : (int64_t)r);
}

// bpf(cmd, attr) -> result, or -errno. attr is a Uint8Array whose byteLength is the attr size. The hot path.
static napi_value js_bpf(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t cmd;
  CHECK(napi_get_value_int32(env, argv[0], &cmd));
  napi_typedarray_type tt;
  size_t len, off;
  void *data;
  napi_value ab;
  CHECK(napi_get_typedarray_info(env, argv[1], &tt, &len, &data, &ab, &off));
  long r = syscall(__NR_bpf, cmd, data, (unsigned int)len);
  return make_int64(env, r < 0 ? -(int64_t)errno : (int64_t)r);
}

// A bpf() call bound once to (cmd, attr): calling it takes no arguments, so each call costs one N-API query (the
// bound data) and one syscall. For hot paths (map lookup/update) that reuse the same attr block every time.
typedef struct {
  int cmd;
  unsigned int size;
  void *attr;
  napi_ref keep; // the attr's typed array, alive as long as the bound function
} bound_bpf_t;

static napi_value js_bound_bpf_call(napi_env env, napi_callback_info info) {
  bound_bpf_t *b;
  CHECK(napi_get_cb_info(env, info, NULL, NULL, NULL, (void **)&b));
  long r = syscall(__NR_bpf, b->cmd, b->attr, b->size);
  napi_value out;
  napi_create_int32(env, r < 0 ? -errno : (int32_t)r, &out);
  return out;
}

static void bound_bpf_finalize(napi_env env, void *data, void *hint) {
  bound_bpf_t *b = (bound_bpf_t *)data;
  (void)hint;
  napi_delete_reference(env, b->keep);
  free(b);
}

// bpfBind(cmd, attr) -> function () => result or -errno. attr's bytes are read at every call, so later writes
// into it (a new key, flags) take effect. Getting its address here also moves a small typed array off the V8
// heap for good, so the address stays valid.
static napi_value js_bpf_bind(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t cmd;
  CHECK(napi_get_value_int32(env, argv[0], &cmd));
  napi_typedarray_type tt;
  size_t len, off;
  void *data;
  napi_value ab;
  CHECK(napi_get_typedarray_info(env, argv[1], &tt, &len, &data, &ab, &off));
  if (tt != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "bpfBind takes the attr as a Uint8Array");
    return NULL;
  }
  bound_bpf_t *b = calloc(1, sizeof(*b));
  if (!b) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  b->cmd = cmd;
  b->size = (unsigned int)len;
  b->attr = data;
  napi_value fn;
  if (napi_create_reference(env, argv[1], 1, &b->keep) != napi_ok) {
    free(b);
    napi_throw_error(env, NULL, "bpfkit native: cannot reference the attr");
    return NULL;
  }
  if (napi_create_function(env, "boundBpf", NAPI_AUTO_LENGTH, js_bound_bpf_call, b, &fn) != napi_ok ||
      napi_add_finalizer(env, fn, b, bound_bpf_finalize, NULL, NULL) != napi_ok) {
    napi_delete_reference(env, b->keep);
    free(b);
    napi_throw_error(env, NULL, "bpfkit native: cannot create the bound bpf function");
    return NULL;
  }
  return fn;
}

typedef struct {
  void *addr;
  size_t length;
} mapping_t;

static void mapping_finalize(napi_env env, void *data, void *hint) {
  mapping_t *m = (mapping_t *)hint;
  (void)env;
  (void)data;
  if (m->addr) munmap(m->addr, m->length);
  free(m);
}

// mmap(fd, length, prot, flags, offset) -> ArrayBuffer over the mapping, or -errno.
static napi_value js_mmap(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, prot, flags;
  int64_t length, offset;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_int64(env, argv[1], &length));
  CHECK(napi_get_value_int32(env, argv[2], &prot));
  CHECK(napi_get_value_int32(env, argv[3], &flags));
  CHECK(napi_get_value_int64(env, argv[4], &offset));
  void *addr = mmap(NULL, (size_t)length, prot, flags, fd, (off_t)offset);
  if (addr == MAP_FAILED) return make_int64(env, -(int64_t)errno);
  mapping_t *m = malloc(sizeof(*m));
  if (!m) {
    munmap(addr, (size_t)length);
    return make_int64(env, -ENOMEM);
  }
  m->addr = addr;
  m->length = (size_t)length;
  napi_value out;
  if (napi_create_external_arraybuffer(env, addr, (size_t)length, mapping_finalize, m, &out) != napi_ok) {
    munmap(addr, (size_t)length);
    free(m);
    napi_throw_error(env, NULL, "bpfkit native: cannot wrap mapping in an ArrayBuffer");
    return NULL;
  }
  // Remember the mapping on the buffer so munmap() can find it without trusting JS for the address.
  napi_value ext;
  CHECK(napi_create_external(env, m, NULL, NULL, &ext));
  CHECK(napi_set_named_property(env, out, "__bpfkitMapping", ext));
  return out;
}

// munmap(arrayBuffer): detach first, so every view of it reads as empty, then unmap. Idempotent.
static napi_value js_munmap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_value ext;
  bool has;
  CHECK(napi_has_named_property(env, argv[0], "__bpfkitMapping", &has));
  if (!has) {
    napi_throw_type_error(env, NULL, "munmap takes an ArrayBuffer returned by mmap");
    return NULL;
  }
  CHECK(napi_get_named_property(env, argv[0], "__bpfkitMapping", &ext));
  mapping_t *m;
  CHECK(napi_get_value_external(env, ext, (void **)&m));
  if (!m->addr) return make_int64(env, 0);
  CHECK(napi_detach_arraybuffer(env, argv[0]));
  int r = munmap(m->addr, m->length);
  m->addr = NULL;
  return make_int64(env, r < 0 ? -(int64_t)errno : 0);
}

// addressOf(buffer) -> bigint address of its first byte.
static napi_value js_address_of(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint64_t addr;
  if (read_arg(env, argv[0], &addr) != 0) {
    napi_throw_type_error(env, NULL, "addressOf takes a buffer, typed array or ArrayBuffer");
    return NULL;
  }
  napi_value out;
  CHECK(napi_create_bigint_uint64(env, addr, &out));
  return out;
}

// A libuv poll handle that calls a JS function whenever its fd is readable.
typedef struct {
  uv_poll_t handle;
  napi_env env;
  napi_ref callback;
  napi_ref self;
  int closed;
} poller_t;

static void poller_on_close(uv_handle_t *h) {
  poller_t *p = (poller_t *)h->data;
  napi_delete_reference(p->env, p->callback);
  free(p);
}

static void poller_on_event(uv_poll_t *h, int status, int events) {
  poller_t *p = (poller_t *)h->data;
  napi_env env = p->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, global, argv[2], resource, result;
  napi_async_context ctx;
  napi_get_reference_value(env, p->callback, &cb);
  napi_get_global(env, &global);
  napi_create_int32(env, status, &argv[0]);
  napi_create_int32(env, events, &argv[1]);
  napi_create_object(env, &resource);
  napi_value name;
  napi_create_string_utf8(env, "bpfkit.poller", NAPI_AUTO_LENGTH, &name);
  if (napi_async_init(env, resource, name, &ctx) == napi_ok) {
    // make_callback drains microtasks, so promise-based readers progress on each wake-up.
    napi_make_callback(env, ctx, global, cb, 2, argv, &result);
    napi_async_destroy(env, ctx);
  }
  bool pending;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static void poller_finalize(napi_env env, void *data, void *hint) {
  poller_t *p = (poller_t *)data;
  (void)hint;
  (void)env;
  if (!p->closed) {
    p->closed = 1;
    uv_poll_stop(&p->handle);
    uv_close((uv_handle_t *)&p->handle, poller_on_close);
  }
}

// pollStart(fd, callback, keepAlive) -> handle object. The callback gets (status, events).
static napi_value js_poll_start(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  bool keep_alive = true;
  if (argc > 2) napi_get_value_bool(env, argv[2], &keep_alive);
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  poller_t *p = calloc(1, sizeof(*p));
  if (!p) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  p->env = env;
  int r = uv_poll_init(loop, &p->handle, fd);
  if (r != 0) {
    free(p);
    napi_throw_error(env, NULL, uv_strerror(r));
    return NULL;
  }
  p->handle.data = p;
  CHECK(napi_create_reference(env, argv[1], 1, &p->callback));
  r = uv_poll_start(&p->handle, UV_READABLE, poller_on_event);
  if (r != 0) {
    p->closed = 1;
    uv_close((uv_handle_t *)&p->handle, poller_on_close);
    napi_throw_error(env, NULL, uv_strerror(r));
    return NULL;
  }
  if (!keep_alive) uv_unref((uv_handle_t *)&p->handle);
  napi_value out;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_wrap(env, out, p, poller_finalize, NULL, NULL));
  return out;
}

// pollStop(handle): stop and release the handle. Idempotent.
static napi_value js_poll_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  poller_t *p;
  if (napi_remove_wrap(env, argv[0], (void **)&p) != napi_ok) return make_int64(env, 0);
  if (!p->closed) {
    p->closed = 1;
    uv_poll_stop(&p->handle);
    uv_close((uv_handle_t *)&p->handle, poller_on_close);
  }
  return make_int64(env, 0);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"syscall", NULL, js_syscall, NULL, NULL, NULL, napi_default, NULL},
      {"bpf", NULL, js_bpf, NULL, NULL, NULL, napi_default, NULL},
      {"bpfBind", NULL, js_bpf_bind, NULL, NULL, NULL, napi_default, NULL},
      {"mmap", NULL, js_mmap, NULL, NULL, NULL, napi_default, NULL},
      {"munmap", NULL, js_munmap, NULL, NULL, NULL, napi_default, NULL},
      {"addressOf", NULL, js_address_of, NULL, NULL, NULL, napi_default, NULL},
      {"pollStart", NULL, js_poll_start, NULL, NULL, NULL, napi_default, NULL},
      {"pollStop", NULL, js_poll_stop, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
